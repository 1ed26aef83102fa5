#include "master/metrics/upstream_rates.hpp"

#include <algorithm>

namespace turnout::master {

void UpstreamRates::observe(const server::MetricsSnapshot& totals, clock::time_point now) {
    Sample sample{now, {}};
    for (const auto& [key, request_totals] : totals.requests) {
        auto& counts = sample.upstreams[key.second];
        counts.requests += request_totals.requests();
        counts.errors += request_totals.errors;
    }
    samples_.push_back(std::move(sample));
    while (samples_.size() > window_ticks + 1) {
        samples_.pop_front();
    }
}

UpstreamRates::Rate UpstreamRates::rate(const std::string& upstream) const {
    if (samples_.size() < 2) {
        return {};
    }
    const auto& oldest = samples_.front();
    const auto& newest = samples_.back();
    const std::chrono::duration<double> span = newest.at - oldest.at;
    const auto now_it = newest.upstreams.find(upstream);
    if (span.count() <= 0 || now_it == newest.upstreams.end()) {
        return {};
    }
    Counts before;
    if (const auto it = oldest.upstreams.find(upstream); it != oldest.upstreams.end()) {
        before = it->second;
    }
    // Summed counters never go back (retired workers fold in); the guards
    // only keep a surprise from turning into a huge unsigned difference.
    const auto& after = now_it->second;
    const auto requests = after.requests > before.requests ? after.requests - before.requests : 0;
    const auto errors = after.errors > before.errors ? after.errors - before.errors : 0;
    Rate rate;
    rate.requests_per_s = static_cast<double>(requests) / span.count();
    if (requests > 0) {
        rate.error_rate =
            std::min(1.0, static_cast<double>(errors) / static_cast<double>(requests));
    }
    return rate;
}

}  // namespace turnout::master

#include "master/metrics/metrics_aggregator.hpp"

#include "master/metrics/prometheus_text.hpp"

#include <algorithm>
#include <vector>

namespace turnout::master {

namespace {

std::uint64_t minus(std::uint64_t now, std::uint64_t before) {
    return now > before ? now - before : 0;
}

void append_requests(std::string& text, const server::MetricsSnapshot& totals) {
    append_family(text, "turnout_requests_total", "counter",
                  "Requests answered, by route, upstream and status code.");
    for (const auto& [key, series] : totals.requests) {
        for (const auto& [code, count] : series.codes) {
            const std::string code_text = std::to_string(code);
            append_sample(text, "turnout_requests_total",
                          {{"route", key.first}, {"upstream", key.second}, {"code", code_text}},
                          static_cast<double>(count));
        }
    }
    append_family(text, "turnout_request_duration_seconds", "histogram",
                  "Time from a request's arrival to the end of its response.");
    for (const auto& [key, series] : totals.requests) {
        append_histogram_samples(text, "turnout_request_duration_seconds",
                                 {{"route", key.first}, {"upstream", key.second}}, series.duration);
    }
}

void append_upstream_errors(std::string& text, const server::MetricsSnapshot& totals) {
    append_family(text, "turnout_upstream_errors_total", "counter",
                  "Failed attempts to reach an upstream target, by kind.");
    for (const auto& [key, counts] : totals.upstream_errors) {
        for (std::size_t i = 0; i < counts.size(); ++i) {
            if (counts[i] == 0) {
                continue;
            }
            const auto kind = to_string(static_cast<server::UpstreamErrorKind>(i));
            append_sample(text, "turnout_upstream_errors_total",
                          {{"upstream", key.first}, {"target", key.second}, {"kind", kind}},
                          static_cast<double>(counts[i]));
        }
    }
}

}  // namespace

server::Histogram histogram_since(const server::Histogram& now, const server::Histogram& before) {
    std::vector<std::uint64_t> counts(now.counts().size(), 0);
    const bool comparable = before.bounds() == now.bounds();
    for (std::size_t i = 0; i < counts.size(); ++i) {
        counts[i] = minus(now.counts()[i], comparable ? before.counts()[i] : 0);
    }
    const double sum = std::max(0.0, now.sum() - (comparable ? before.sum() : 0));
    return server::Histogram{now.bounds(), std::move(counts), sum};
}

void append_worker_metrics(std::string& text, const server::MetricsSnapshot& totals) {
    append_requests(text, totals);
    append_upstream_errors(text, totals);
    append_gauge(text, "turnout_connections_active", "Client connections open now.", {},
                 static_cast<double>(totals.connections_active));
}

bool MetricsAggregator::update(unsigned slot, pid_t pid, server::MetricsSnapshot snapshot) {
    if (auto it = retired_pids_.find(slot); it != retired_pids_.end() && it->second == pid) {
        return false;
    }
    if (auto it = slots_.find(slot); it != slots_.end() && it->second.pid != pid) {
        retire(slot);
    }
    slots_[slot] = SlotEntry{pid, std::move(snapshot)};
    return true;
}

void MetricsAggregator::retire(unsigned slot) {
    auto it = slots_.find(slot);
    if (it == slots_.end()) {
        return;
    }
    retired_.add(it->second.snapshot);
    retired_.connections_active = 0;
    retired_pids_[slot] = it->second.pid;
    slots_.erase(it);
}

server::MetricsSnapshot MetricsAggregator::totals() const {
    server::MetricsSnapshot totals = retired_;
    for (const auto& [slot, entry] : slots_) {
        totals.add(entry.snapshot);
    }
    return totals;
}

std::string MetricsAggregator::render_prometheus(std::string_view extra) const {
    std::string text{extra};
    append_worker_metrics(text, totals());
    return text;
}

server::RequestTotals MetricsAggregator::request_totals(const std::string& route,
                                                        const std::string& upstream) const {
    const std::pair<std::string, std::string> key{route, upstream};
    server::RequestTotals now;
    if (auto it = retired_.requests.find(key); it != retired_.requests.end()) {
        now.add(it->second);
    }
    for (const auto& [slot, entry] : slots_) {
        if (auto it = entry.snapshot.requests.find(key); it != entry.snapshot.requests.end()) {
            now.add(it->second);
        }
    }
    return now;
}

IntervalStats MetricsAggregator::interval_stats(const std::string& route,
                                                const std::string& upstream) {
    auto now = request_totals(route, upstream);
    auto& before = interval_base_[{route, upstream}];
    const auto since = histogram_since(now.duration, before.duration);
    IntervalStats stats{since.count(), minus(now.errors, before.errors),
                        since.quantile(0.99) * 1000};
    before = std::move(now);
    return stats;
}

}  // namespace turnout::master

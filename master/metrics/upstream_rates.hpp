#pragma once

// Per-upstream request rate and error rate for `turnout status` (SPEC §8).
// The master feeds it the workers' summed counters once per stats poll; a
// rate is the difference between the newest and the oldest of the last
// `window_ticks` + 1 observations, divided by the time between them, so it
// is smoothed over about `window_ticks` seconds and falls back to 0 that
// long after traffic stops. Counters are summed over routes: an upstream
// two routes send to shows both routes' traffic.

#include "server/worker_metrics.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>

namespace turnout::master {

class UpstreamRates {
public:
    using clock = std::chrono::steady_clock;

    // Observations a rate spans: 5 polls of 1 s each.
    static constexpr std::size_t window_ticks = 5;

    struct Rate {
        double requests_per_s = 0;
        double error_rate = 0;  // errors / requests over the window; 0 with no requests
    };

    // Records `totals` (cumulative counters, as MetricsAggregator::totals()
    // gives them) as seen at `now`. Times must not go back.
    void observe(const server::MetricsSnapshot& totals, clock::time_point now);

    // The upstream's rates over the window; zeros until two observations
    // exist or for an upstream that never served a request.
    Rate rate(const std::string& upstream) const;

private:
    struct Counts {
        std::uint64_t requests = 0;
        std::uint64_t errors = 0;
    };
    struct Sample {
        clock::time_point at;
        std::map<std::string, Counts> upstreams;
    };

    std::deque<Sample> samples_;  // oldest first; at most window_ticks + 1
};

}  // namespace turnout::master

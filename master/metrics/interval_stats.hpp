#pragma once

#include <cstdint>

namespace turnout::master {

// What one route's traffic to one upstream did during a rollout interval,
// summed over all workers.
struct IntervalStats {
    std::uint64_t requests = 0;
    std::uint64_t errors = 0;  // 5xx from upstream or turnout, connect failures, timeouts
    double p99_ms = 0;         // from the duration buckets; 0 without requests
};

}  // namespace turnout::master

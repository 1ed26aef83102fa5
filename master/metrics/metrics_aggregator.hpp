#pragma once

// The master's view of the workers' metrics (SPEC §8): the latest snapshot
// of each worker slot, summed over the workers for /metrics. When a slot's
// worker is replaced, its last snapshot's counters fold into a retired
// total, so a summed counter never goes back; its connections gauge goes
// with it. Interval stats feed the rollout controller (SPEC §7).

#include "master/metrics/interval_stats.hpp"
#include "server/worker_metrics.hpp"

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace turnout::master {

class MetricsAggregator {
public:
    // Stores `snapshot` as the latest of worker `pid` in `slot`. A pid other
    // than the one stored for the slot retires the stored one first. Returns
    // false, ignoring the snapshot, for the pid last retired from the slot (a
    // late message from a worker already folded in).
    bool update(unsigned slot, pid_t pid, server::MetricsSnapshot snapshot);

    // The slot's worker is gone: folds its last snapshot's counters into the
    // retired total and forgets its gauge. Nothing when the slot is empty.
    void retire(unsigned slot);

    // Counters summed over the live workers and the retired ones; the gauge
    // over the live ones only.
    server::MetricsSnapshot totals() const;

    // Text format 0.0.4: `extra` (the master's own families, written with
    // prometheus_text.hpp) followed by turnout_requests_total,
    // turnout_request_duration_seconds, turnout_upstream_errors_total and
    // turnout_connections_active.
    std::string render_prometheus(std::string_view extra = {}) const;

    // The pair's requests, errors and p99 since the previous call for the
    // same pair (the first call: since the start). Call it once when a
    // rollout starts or resumes to set the baseline, then at the end of
    // each interval.
    IntervalStats interval_stats(const std::string& route, const std::string& upstream);

    // The pair's cumulative totals over the live and retired workers.
    server::RequestTotals request_totals(const std::string& route,
                                         const std::string& upstream) const;

private:
    struct SlotEntry {
        pid_t pid = -1;
        server::MetricsSnapshot snapshot;
    };

    std::map<unsigned, SlotEntry> slots_;
    std::map<unsigned, pid_t> retired_pids_;  // per slot, the pid retired last
    server::MetricsSnapshot retired_;         // connections_active stays 0
    std::map<std::pair<std::string, std::string>, server::RequestTotals> interval_base_;
};

// The observations in `now` that `before` had not seen, bucket by bucket.
server::Histogram histogram_since(const server::Histogram& now, const server::Histogram& before);

// Renders the workers' families of `totals` (see render_prometheus).
void append_worker_metrics(std::string& text, const server::MetricsSnapshot& totals);

}  // namespace turnout::master

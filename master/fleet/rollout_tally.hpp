#pragma once

// What a fleet rollout is judged on (docs/SPEC.md, "Fleet rollouts"). Each
// node publishes, per rollout, the counters of the route's traffic to the
// new upstream since it began serving the current step (RolloutCounts) and
// the route key revision they were counted under; the leader sums the
// reports of every live node counted under the current step, and names the
// live nodes that do not serve it yet.

#include "master/metrics/interval_stats.hpp"
#include "server/histogram.hpp"
#include "server/worker_metrics.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace turnout::master::fleet {

// Requests, errors and latency buckets of one {route, upstream} pair.
struct RolloutCounts {
    std::uint64_t errors = 0;
    server::Histogram duration;  // seconds; count() is the request count

    // What `now` counted that `before` had not (both cumulative).
    static RolloutCounts since(const server::RequestTotals& now,
                               const server::RequestTotals& before);
    void add(const RolloutCounts& other);
    IntervalStats stats() const;
    // {"requests", "errors", "buckets": [per bucket of the default bounds,
    // +Inf last]}
    boost::json::object to_json() const;
    static std::optional<RolloutCounts> from_json(const boost::json::value& value);
};

// One node's report for a rollout, "<prefix>nodes/<node>/rollouts/<route>".
struct NodeRolloutReport {
    std::string node;
    // The revision of the route key whose split the counts were taken under
    // (0: the node does not serve any step of it yet).
    std::int64_t counted_under = 0;
    std::int64_t revision = 0;  // etcd revision the node serves
    std::uint64_t config_version = 0;
    RolloutCounts to;  // the route's traffic to the new upstream

    boost::json::object to_json(const std::string& route) const;
    static std::optional<NodeRolloutReport> from_json(const boost::json::value& value);
};

struct Tally {
    IntervalStats stats;               // summed over the nodes serving the step
    std::vector<std::string> serving;  // live nodes counted under the step
    std::vector<std::string> behind;   // live nodes not serving it
};

// Sums `reports` of the nodes in `live` (nodes with a node report) counted
// under `step_revision`; a live node without such a report is behind.
// Reports of nodes not live are left out: their lease is gone.
Tally tally(const std::set<std::string>& live,
            const std::map<std::string, NodeRolloutReport>& reports, std::int64_t step_revision);

}  // namespace turnout::master::fleet

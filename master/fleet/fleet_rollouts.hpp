#pragma once

// Fleet rollouts on one node (docs/SPEC.md, "Fleet rollouts"). Every node,
// a tenth of a second apart while a rollout is live:
// - publishes `<prefix>nodes/<node>/rollouts/<route>`: what its workers
//   counted for the route's traffic to the new upstream since it began
//   serving the current step, and the route key revision that step is
//   (under the node report's lease, so it goes with the node);
// - campaigns for `<prefix>leader` when its watch shows the key gone.
// The leader also, for each rollout key: answers the operator's request,
// or judges the step on the reports of every live node
// (leader_decision.hpp), and writes the rollout and the route's new split
// in one transaction guarded by the revisions it read. Every node,
// the leader included, then serves the split through its normal watch.
//
// What it reads of the fleet (keys, revisions) comes from the FleetSource's
// watch; what it needs of the master comes through Hooks, so it knows no
// workers.

#include "config/config.hpp"
#include "master/fleet/fleet_leader.hpp"
#include "master/fleet/fleet_source.hpp"
#include "master/fleet/leader_decision.hpp"
#include "server/worker_metrics.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace turnout::master::fleet {

class FleetRollouts {
public:
    struct Hooks {
        // The config the node serves: a start is planned against it.
        std::function<std::shared_ptr<const config::Config>()> live;
        // The workers' cumulative totals of a {route, upstream} pair.
        std::function<server::RequestTotals(const std::string&, const std::string&)> totals;
        // Runs `then` once the workers' counters are fresh.
        std::function<void(std::function<void()> then)> fresh_stats;
        std::function<std::uint64_t()> config_version;
        // The node report's lease (0 while none): rollout reports share it.
        std::function<std::int64_t()> lease;
    };

    FleetRollouts(boost::asio::io_context& io, FleetSource& source, std::string node, Hooks hooks);

    void start();
    // A stopping node: no more reports or steps, and the leader key given up;
    // `released` runs once etcd answered (or there was nothing to give up).
    void stop(std::function<void()> released);

    boost::json::object status() const;

    // How often nodes publish and the leader looks.
    static constexpr std::chrono::milliseconds tick_period{100};

private:
    struct Baseline {
        std::int64_t revision = 0;  // the route key's, when counting began
        server::RequestTotals totals;
    };
    struct Published {
        std::string body;
        bool in_flight = false;
    };

    struct Keyed {
        std::string route;
        RolloutRecord record;
        std::int64_t revision = 0;  // the rollout key's mod_revision
    };

    std::vector<Keyed> records() const;
    void tick();
    void look();
    void next_tick();
    void campaign_if_leaderless();
    void publish(const std::string& route, const RolloutRecord& record);
    void lead(const std::string& route, RolloutRecord record, std::int64_t record_revision);
    void write(const std::string& route, const RolloutRecord& record, std::int64_t record_revision,
               bool split_changed);
    std::set<std::string> live_nodes() const;
    std::map<std::string, NodeRolloutReport> reports_for(const std::string& route) const;

    boost::asio::steady_timer timer_;
    FleetSource& source_;
    std::string node_;
    Hooks hooks_;
    FleetLeader leader_;
    std::map<std::string, Baseline> baselines_;   // by route
    std::map<std::string, Published> published_;  // by route
    // By route: the revision of the leader's last write (the watch must
    // show it before the leader judges that rollout again), or -1 while
    // the write is in flight.
    std::map<std::string, std::int64_t> written_;
    bool stopped_ = false;
};

}  // namespace turnout::master::fleet

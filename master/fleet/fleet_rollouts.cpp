#include "master/fleet/fleet_rollouts.hpp"

#include "config/fleet_file.hpp"
#include "config/fleet_keys.hpp"
#include "config/json_codec.hpp"
#include "master/rollout/rollout_split.hpp"
#include "server/logfmt.hpp"

#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include <utility>

namespace turnout::master::fleet {

namespace json = boost::json;

namespace {

constexpr std::string_view rollouts_folder = "rollouts/";

}  // namespace

FleetRollouts::FleetRollouts(boost::asio::io_context& io, FleetSource& source, std::string node,
                             Hooks hooks)
    : timer_{io}, source_{source}, node_{std::move(node)}, hooks_{std::move(hooks)},
      leader_{io, source.client(), leader_key(source.prefix()), node_} {}

void FleetRollouts::start() {
    next_tick();
}

void FleetRollouts::stop(std::function<void()> released) {
    stopped_ = true;
    timer_.cancel();
    leader_.resign(std::move(released));
}

json::object FleetRollouts::status() const {
    return {{"leading", leader_.leading()}};
}

void FleetRollouts::next_tick() {
    if (stopped_) {
        return;
    }
    timer_.expires_after(tick_period);
    timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) {
            tick();
        }
    });
}

std::vector<FleetRollouts::Keyed> FleetRollouts::records() const {
    std::vector<Keyed> records;
    const auto now = rollout_now();
    const auto& keys = source_.keys();
    for (auto it = keys.lower_bound(std::string{rollouts_folder});
         it != keys.end() && it->first.starts_with(rollouts_folder); ++it) {
        auto route = it->first.substr(rollouts_folder.size());
        const auto value = config::parse_json(it->second);
        auto read = value ? read_rollout_record(*value, now)
                          : std::variant<RolloutRecord, std::string>{std::string{"not JSON"}};
        if (auto* error = std::get_if<std::string>(&read)) {
            spdlog::warn("msg=\"fleet rollout key does not read\" route={} error={}",
                         log_value(route), log_value(*error));
            continue;
        }
        records.push_back({std::move(route), std::get<RolloutRecord>(std::move(read)),
                           source_.mod_revision(it->first)});
    }
    return records;
}

// With a rollout live, asks the workers for fresh counters first.
void FleetRollouts::tick() {
    campaign_if_leaderless();
    bool counting = false;
    for (const auto& keyed : records()) {
        counting = counting || keyed.record.live();
    }
    if (!counting) {
        baselines_.clear();
        look();
        return;
    }
    hooks_.fresh_stats([this] {
        if (!stopped_) {
            look();
        }
    });
}

void FleetRollouts::look() {
    for (auto& keyed : records()) {
        publish(keyed.route, keyed.record);
        if (leader_.leading()) {
            lead(keyed.route, std::move(keyed.record), keyed.revision);
        }
    }
    next_tick();
}

void FleetRollouts::campaign_if_leaderless() {
    const auto& keys = source_.keys();
    const auto holder = keys.find("leader");
    if (holder == keys.end()) {
        leader_.campaign();
    } else if (leader_.leading() && holder->second != node_) {
        leader_.lost("the leader key names " + holder->second);
    }
}

// This node's counts of the step the route key holds, from the moment it
// served it; before that, counted under 0 (behind).
void FleetRollouts::publish(const std::string& route, const RolloutRecord& record) {
    const auto lease = hooks_.lease();
    auto& published = published_[route];
    if (!record.live() || lease == 0 || published.in_flight) {
        return;
    }
    const auto step_revision = source_.mod_revision("routes/" + route);
    NodeRolloutReport report;
    report.node = node_;
    report.revision = source_.served_revision();
    report.config_version = hooks_.config_version();
    if (step_revision > 0 && report.revision >= step_revision) {
        auto& baseline = baselines_[route];
        auto totals = hooks_.totals(route, record.spec.to);
        if (baseline.revision != step_revision) {
            baseline = {step_revision, totals};
        }
        report.counted_under = step_revision;
        report.to = RolloutCounts::since(totals, baseline.totals);
    }
    auto body = json::serialize(report.to_json(route));
    if (body == published.body) {
        return;
    }
    published.in_flight = true;
    source_.client().put(node_rollout_key(source_.prefix(), node_, route), body, lease,
                         [this, route, body](std::optional<std::int64_t> revision, std::string) {
                             auto& published = published_[route];
                             published.in_flight = false;
                             if (revision) {
                                 published.body = body;
                             }
                         });
}

void FleetRollouts::lead(const std::string& route, RolloutRecord record,
                         std::int64_t record_revision) {
    if (auto written = written_.find(route);
        written != written_.end() && (written->second < 0 || record_revision < written->second)) {
        return;  // the last write is in flight, or the watch has not shown it yet
    }
    const auto now = rollout_now();
    LeaderDecision decision;
    if (record.request) {
        const auto live = hooks_.live();
        decision = answer_request(record, *live, now);
    } else if (record.live()) {
        const auto step_revision = source_.mod_revision("routes/" + route);
        decision =
            step_rollout(record, tally(live_nodes(), reports_for(route), step_revision), now);
    }
    if (decision.write) {
        write(route, record, record_revision, decision.split_changed);
    }
}

void FleetRollouts::write(const std::string& route, const RolloutRecord& record,
                          std::int64_t record_revision, bool split_changed) {
    const auto prefix = source_.prefix();
    const auto key = rollout_key(prefix, route);
    const auto now = rollout_now();
    auto stored = record;
    stored.leader = node_;
    etcd::Txn txn;
    txn.compare.push_back({key,
                           {},
                           etcd::Compare::Target::mod_revision,
                           etcd::Compare::Result::equal,
                           record_revision,
                           {}});
    if (split_changed && record.rollout) {
        const auto relative = "routes/" + route;
        const auto found = source_.keys().find(relative);
        auto value = found == source_.keys().end()
                         ? std::nullopt
                         : route_with_split(found->second, split_weights(record.rollout->split()));
        if (!value) {
            spdlog::error("msg=\"fleet rollout cannot write the split: the route key is gone or "
                          "not a YAML map\" route={} key={}",
                          log_value(route), log_value(prefix + relative));
            return;
        }
        txn.compare.push_back({prefix + relative,
                               {},
                               etcd::Compare::Target::mod_revision,
                               etcd::Compare::Result::equal,
                               source_.mod_revision(relative),
                               {}});
        txn.success.push_back({etcd::TxnOp::Kind::put, prefix + relative, std::move(*value), 0});
    }
    txn.success.push_back({etcd::TxnOp::Kind::put, key, json::serialize(to_json(stored, now)), 0});
    written_[route] = -1;
    const auto state =
        record.rollout ? std::string{to_string(record.rollout->state())} : std::string{"pending"};
    const auto weight = record.rollout ? record.rollout->weight() : 0;
    const auto reason = record.rollout ? record.rollout->reason() : std::string{};
    source_.client().txn(txn, [this, route, state, weight, reason, split_changed](
                                  std::optional<etcd::TxnResult> result, std::string error) {
        if (!result || !result->succeeded) {
            // Stale or unreachable: the next look reads the keys again.
            written_.erase(route);
            if (!result) {
                spdlog::warn("msg=\"fleet rollout write failed\" route={} error={}",
                             log_value(route), log_value(error));
            }
            return;
        }
        written_[route] = result->revision;
        spdlog::info("msg=\"fleet rollout\" route={} state={} weight={} split_changed={} "
                     "revision={} reason={}",
                     log_value(route), state, weight, split_changed, result->revision,
                     log_value(reason));
    });
}

std::set<std::string> FleetRollouts::live_nodes() const {
    std::set<std::string> nodes;
    const auto& keys = source_.keys();
    for (auto it = keys.lower_bound("nodes/"); it != keys.end() && it->first.starts_with("nodes/");
         ++it) {
        const auto name = classify_key(it->first);
        if (name.route.empty()) {
            nodes.insert(name.name);
        }
    }
    return nodes;
}

std::map<std::string, NodeRolloutReport> FleetRollouts::reports_for(
    const std::string& route) const {
    std::map<std::string, NodeRolloutReport> reports;
    const auto& keys = source_.keys();
    for (auto it = keys.lower_bound("nodes/"); it != keys.end() && it->first.starts_with("nodes/");
         ++it) {
        const auto name = classify_key(it->first);
        if (name.route != route) {
            continue;
        }
        const auto value = config::parse_json(it->second);
        auto report = value ? NodeRolloutReport::from_json(*value) : std::nullopt;
        if (report) {
            reports.insert_or_assign(name.name, std::move(*report));
        }
    }
    return reports;
}

}  // namespace turnout::master::fleet

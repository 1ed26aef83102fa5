#pragma once

// The layout of a fleet's keys under its prefix (docs/SPEC.md, "Fleet
// configuration from etcd" and "Fleet rollouts"): one key per object, named
// after it.

#include <optional>
#include <string>
#include <string_view>

namespace turnout::master::fleet {

// What a key (its part after the prefix) holds.
struct KeyName {
    enum class Kind { listener, upstream, route, settings, node_report, rollout, leader, unknown };
    Kind kind = Kind::unknown;
    // Of the listener, upstream, route or node; a rollout's route; for a
    // node's rollout report ("nodes/<node>/rollouts/<route>") the node.
    std::string name;
    std::string route;  // a node's rollout report: the route it counts
};

KeyName classify_key(std::string_view relative);

// Whether a change to this key changes the config (node reports, rollouts
// and the leader key do not).
inline bool is_config_key(std::string_view relative) {
    const auto kind = classify_key(relative).kind;
    return kind != KeyName::Kind::node_report && kind != KeyName::Kind::rollout &&
           kind != KeyName::Kind::leader;
}

// "<prefix>nodes/<node>", where a node reports what it serves.
std::string node_key(std::string_view prefix, std::string_view node);
// "<prefix>nodes/<node>/rollouts/<route>": what the node counted for a
// fleet rollout of the route.
std::string node_rollout_key(std::string_view prefix, std::string_view node,
                             std::string_view route);
// "<prefix>rollouts/<route>": a fleet rollout's request and state.
std::string rollout_key(std::string_view prefix, std::string_view route);
// "<prefix>routes/<route>".
std::string route_key(std::string_view prefix, std::string_view route);
// "<prefix>leader": the node that steps fleet rollouts, under its lease.
std::string leader_key(std::string_view prefix);

}  // namespace turnout::master::fleet

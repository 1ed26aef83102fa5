#include "config/fleet_keys.hpp"

namespace turnout::master::fleet {

namespace {

constexpr std::string_view node_rollouts = "/rollouts/";

}  // namespace

KeyName classify_key(std::string_view relative) {
    using Kind = KeyName::Kind;
    if (relative == "settings") {
        return {Kind::settings, {}, {}};
    }
    if (relative == "leader") {
        return {Kind::leader, {}, {}};
    }
    constexpr std::pair<std::string_view, Kind> folders[] = {
        {"listeners/", Kind::listener}, {"upstreams/", Kind::upstream}, {"routes/", Kind::route},
        {"nodes/", Kind::node_report},  {"rollouts/", Kind::rollout},
    };
    for (const auto& [folder, kind] : folders) {
        if (!relative.starts_with(folder)) {
            continue;
        }
        auto name = relative.substr(folder.size());
        if (kind == Kind::node_report) {
            if (const auto at = name.find(node_rollouts); at != std::string_view::npos) {
                return {kind, std::string{name.substr(0, at)},
                        std::string{name.substr(at + node_rollouts.size())}};
            }
        }
        return {kind, std::string{name}, {}};
    }
    return {Kind::unknown, std::string{relative}, {}};
}

std::string node_key(std::string_view prefix, std::string_view node) {
    return std::string{prefix} + "nodes/" + std::string{node};
}

std::string node_rollout_key(std::string_view prefix, std::string_view node,
                             std::string_view route) {
    return node_key(prefix, node) + std::string{node_rollouts} + std::string{route};
}

std::string rollout_key(std::string_view prefix, std::string_view route) {
    return std::string{prefix} + "rollouts/" + std::string{route};
}

std::string route_key(std::string_view prefix, std::string_view route) {
    return std::string{prefix} + "routes/" + std::string{route};
}

std::string leader_key(std::string_view prefix) {
    return std::string{prefix} + "leader";
}

}  // namespace turnout::master::fleet

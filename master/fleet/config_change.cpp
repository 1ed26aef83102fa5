#include "master/fleet/config_change.hpp"

#include <map>
#include <string_view>

namespace turnout::master::fleet {

namespace {

using worker::ConfigDelta;

// The names whose item differs between the two lists (added, removed or
// changed), up to two: more than one means no single change.
template <typename Named>
std::vector<std::string> differing_names(const config::SharedList<Named>& before,
                                         const config::SharedList<Named>& after) {
    std::map<std::string_view, const Named*> old_items;
    for (const auto& item : before) {
        old_items[item.name] = &item;
    }
    std::vector<std::string> names;
    for (const auto& item : after) {
        auto found = old_items.find(item.name);
        if (found == old_items.end() || !(*found->second == item)) {
            names.push_back(item.name);
        }
        if (found != old_items.end()) {
            old_items.erase(found);
        }
        if (names.size() > 1) {
            return names;
        }
    }
    for (const auto& [name, item] : old_items) {
        names.emplace_back(name);
    }
    return names;
}

template <typename Named>
const Named* find_named(const config::SharedList<Named>& items, std::string_view name) {
    for (const auto& item : items) {
        if (item.name == name) {
            return &item;
        }
    }
    return nullptr;
}

std::optional<ConfigDelta> candidate(const config::Config& live, const config::Config& next) {
    if (live.upstreams == next.upstreams) {
        auto names = differing_names(live.routes, next.routes);
        if (names.size() != 1) {
            return std::nullopt;
        }
        const auto* route = find_named(next.routes, names[0]);
        return route ? ConfigDelta{ConfigDelta::Op::put_route, names[0], *route, std::nullopt}
                     : ConfigDelta{ConfigDelta::Op::delete_route, names[0], std::nullopt,
                                   std::nullopt};
    }
    if (live.routes == next.routes) {
        auto names = differing_names(live.upstreams, next.upstreams);
        if (names.size() != 1) {
            return std::nullopt;
        }
        const auto* upstream = find_named(next.upstreams, names[0]);
        return upstream
                   ? ConfigDelta{ConfigDelta::Op::put_upstream, names[0], std::nullopt, *upstream}
                   : ConfigDelta{ConfigDelta::Op::delete_upstream, names[0], std::nullopt,
                                 std::nullopt};
    }
    return std::nullopt;
}

}  // namespace

std::optional<ConfigDelta> single_change(const config::Config& live, const config::Config& next) {
    auto delta = candidate(live, next);
    if (!delta) {
        return std::nullopt;
    }
    config::Config replayed = live;
    worker::apply_delta(*delta, replayed);
    replayed.source_path = next.source_path;
    if (!(replayed == next)) {
        return std::nullopt;
    }
    return delta;
}

}  // namespace turnout::master::fleet

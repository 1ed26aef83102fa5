#include "worker/config_changes.hpp"

#include "config/string_map.hpp"

#include <boost/json/array.hpp>

namespace turnout::worker {

namespace {

using Op = ConfigDelta::Op;

// What a worker serves of a config besides routes and upstreams (see
// ServingState::apply and Worker::apply); the rest (state_dir, admin, ...)
// is the master's. A field workers start to serve belongs here too, or a
// change of it alone would not reach them.
bool same_settings(const config::Config& a, const config::Config& b) {
    return a.limits == b.limits && a.access_log == b.access_log && a.listeners == b.listeners;
}

template <class Item>
config::StringMap<std::size_t> positions(const config::SharedList<Item>& items) {
    config::StringMap<std::size_t> found;
    found.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        found.emplace(items[i].name, i);
    }
    return found;
}

ConfigDelta put(const config::Route& route) {
    return ConfigDelta{Op::put_route, route.name, route, std::nullopt};
}

ConfigDelta put(const config::Upstream& upstream) {
    return ConfigDelta{Op::put_upstream, upstream.name, std::nullopt, upstream};
}

ConfigDelta erase(Op op, const std::string& name) {
    return ConfigDelta{op, name, std::nullopt, std::nullopt};
}

// The puts and deletes of routes, or nullopt when the kept routes' order
// would differ from a snapshot's.
std::optional<std::vector<ConfigDelta>> route_changes(const config::Config& from,
                                                      const config::Config& to) {
    const auto before = positions(from.routes);
    const auto after = positions(to.routes);
    std::vector<ConfigDelta> deletes;
    for (const auto& route : from.routes) {
        if (!after.contains(route.name)) {
            deletes.push_back(erase(Op::delete_route, route.name));
        }
    }
    std::vector<ConfigDelta> puts;
    std::optional<std::size_t> last_kept;
    bool added = false;
    for (const auto& route : to.routes) {
        const auto found = before.find(route.name);
        if (found == before.end()) {
            added = true;
            puts.push_back(put(route));
            continue;
        }
        if (added || (last_kept && found->second < *last_kept)) {
            return std::nullopt;
        }
        last_kept = found->second;
        if (!(from.routes[found->second] == route)) {
            puts.push_back(put(route));
        }
    }
    deletes.insert(deletes.end(), std::make_move_iterator(puts.begin()),
                   std::make_move_iterator(puts.end()));
    return deletes;
}

}  // namespace

std::optional<std::vector<ConfigDelta>> changes_between(const config::Config& from,
                                                        const config::Config& to) {
    if (!same_settings(from, to)) {
        return std::nullopt;
    }
    auto routes = route_changes(from, to);
    if (!routes) {
        return std::nullopt;
    }
    // New and changed upstreams before the routes that may use them, and
    // deleted ones after the routes that stopped using them.
    std::vector<ConfigDelta> changes;
    const auto before = positions(from.upstreams);
    for (const auto& upstream : to.upstreams) {
        const auto found = before.find(upstream.name);
        if (found == before.end() || !(from.upstreams[found->second] == upstream)) {
            changes.push_back(put(upstream));
        }
    }
    changes.insert(changes.end(), std::make_move_iterator(routes->begin()),
                   std::make_move_iterator(routes->end()));
    const auto after = positions(to.upstreams);
    for (const auto& upstream : from.upstreams) {
        if (!after.contains(upstream.name)) {
            changes.push_back(erase(Op::delete_upstream, upstream.name));
        }
    }
    if (changes.size() * 2 > to.routes.size() + to.upstreams.size()) {
        return std::nullopt;
    }
    return changes;
}

boost::json::value to_json(const std::vector<ConfigDelta>& changes) {
    boost::json::array array;
    array.reserve(changes.size());
    for (const auto& change : changes) {
        array.push_back(to_json(change));
    }
    return array;
}

std::optional<std::vector<ConfigDelta>> changes_from_json(const boost::json::value& json) {
    std::vector<ConfigDelta> changes;
    if (!json.is_array()) {
        auto one = delta_from_json(json);
        if (!one) {
            return std::nullopt;
        }
        changes.push_back(std::move(*one));
        return changes;
    }
    changes.reserve(json.get_array().size());
    for (const auto& item : json.get_array()) {
        auto change = delta_from_json(item);
        if (!change) {
            return std::nullopt;
        }
        changes.push_back(std::move(*change));
    }
    return changes;
}

}  // namespace turnout::worker

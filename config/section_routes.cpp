// The `routes` section of SPEC §3, except `match:` (route_match.cpp).

#include "config/route_match.hpp"
#include "config/sections.hpp"
#include "config/syntax.hpp"

#include <unordered_set>

namespace turnout::config::detail {

namespace {

constexpr std::uint64_t max_weight = max_split_weight;
constexpr std::size_t max_names_listed = 10;

struct KnownUpstreams {
    std::unordered_set<std::string> names;
    std::vector<std::string> in_order;
};

// False, after reporting it at `at`, when no upstream has that name.
bool check_upstream(Context& context, const Cursor& at, const std::string& name,
                    const KnownUpstreams& known) {
    if (known.names.contains(name)) {
        return true;
    }
    std::string message = "no upstream named '" + name + "'";
    if (auto near = closest_match(name, known.in_order)) {
        message += "; did you mean '" + *near + "'?";
    } else if (known.in_order.empty()) {
        message += "; define it under upstreams:";
    } else if (known.in_order.size() <= max_names_listed) {
        message += "; the upstreams are: " + join(known.in_order);
    }
    context.error(at, message);
    return false;
}

std::optional<SplitEntry> read_split_entry(Context& context, const Cursor& at,
                                           const KnownUpstreams& known, UniqueCheck& seen) {
    if (at.is_null()) {
        context.error(at, "needs { upstream: NAME, weight: N }");
        return std::nullopt;
    }
    MapReader map(context, at, {"upstream", "weight"});
    if (!map.is_map()) {
        return std::nullopt;
    }
    std::optional<std::string> name;
    if (auto upstream = map.require("upstream")) {
        name = read_name(context, *upstream);
        if (name && (!check_upstream(context, *upstream, *name, known) ||
                     !seen.check(context, *upstream, *name, "'" + *name + "'"))) {
            name.reset();
        }
    }
    std::optional<std::uint64_t> weight;
    if (auto weight_at = map.require("weight")) {
        weight = read_uint(context, *weight_at, 0, max_weight);
    }
    if (!name || !weight) {
        return std::nullopt;
    }
    return SplitEntry{*name, static_cast<std::uint32_t>(*weight)};
}

void read_split(Context& context, const Cursor& at, const KnownUpstreams& known, Route& route) {
    UniqueCheck seen("split upstream");
    bool all_read = true;
    bool is_list = for_each_item(context, at, [&](const Cursor& item) {
        if (auto entry = read_split_entry(context, item, known, seen)) {
            route.split.push_back(std::move(*entry));
        } else {
            all_read = false;
        }
    });
    if (!is_list || !all_read) {
        return;
    }
    if (route.split.empty()) {
        context.error(at, "needs at least one { upstream: NAME, weight: N }");
        return;
    }
    std::uint64_t sum = 0;
    for (const auto& entry : route.split) {
        sum += entry.weight;
    }
    if (sum == 0) {
        context.error(at, "the weights add up to 0; give at least one upstream a weight above 0");
    }
}

// Exactly one of `upstream: NAME` and `split: [...]`.
void read_destination(Context& context, const MapReader& map, const KnownUpstreams& known,
                      Route& route) {
    auto upstream = map.get("upstream");
    auto split = map.get("split");
    if (upstream && split) {
        const Cursor& later = upstream->mark.pos > split->mark.pos ? *upstream : *split;
        context.error(later, "give either upstream or split, not both");
        return;
    }
    if (!upstream && !split) {
        context.error(map.self(), "needs upstream: NAME or split: [{ upstream: NAME, weight: N }]");
        return;
    }
    if (upstream) {
        auto name = read_name(context, *upstream);
        if (name && check_upstream(context, *upstream, *name, known)) {
            route.split = {SplitEntry{*name, 1}};
            route.single_upstream = true;
        }
        return;
    }
    read_split(context, *split, known, route);
}

// A route's map, with the keys a route may have.
MapReader route_map(Context& context, const Cursor& at) {
    return MapReader(context, at,
                     {"name", "match", "upstream", "split", "sticky", "strip_prefix",
                      "request_headers", "response_headers"});
}

// Everything of a route but its name.
void read_route_fields(Context& context, const MapReader& map, const KnownUpstreams& known,
                       Route& route) {
    if (auto match = map.get("match")) {
        route.match = read_route_match(context, *match);
    }
    read_destination(context, map, known, route);
    map.read("sticky", route.sticky, read_key_source);
    map.read("strip_prefix", route.strip_prefix,
             [](Context& c, const Cursor& value) { return read_url_path(c, value, false); });
    if (auto rules = map.get("request_headers")) {
        route.request_headers = read_header_rules(context, *rules);
    }
    if (auto rules = map.get("response_headers")) {
        route.response_headers = read_header_rules(context, *rules);
    }
}

Route read_route(Context& context, const Cursor& at, const KnownUpstreams& known,
                 UniqueCheck& names) {
    MapReader map = route_map(context, at);
    Route route;
    if (!map.is_map()) {
        return route;
    }
    if (auto name = map.require("name")) {
        if (auto value = read_name(context, *name)) {
            route.name = *value;
            names.check(context, *name, *value, "'" + *value + "'");
        }
    }
    read_route_fields(context, map, known, route);
    return route;
}

KnownUpstreams known_upstreams(const SharedList<Upstream>& upstreams) {
    KnownUpstreams known;
    for (const auto& upstream : upstreams) {
        known.names.insert(upstream.name);
        known.in_order.push_back(upstream.name);
    }
    return known;
}

}  // namespace

SharedList<Route> read_routes(Context& context, const Cursor& at,
                              const SharedList<Upstream>& upstreams) {
    KnownUpstreams known = known_upstreams(upstreams);
    SharedList<Route> routes;
    UniqueCheck names("route name");
    for_each_item(context, at, [&](const Cursor& item) {
        routes.push_back(read_route(context, item, known, names));
    });
    return routes;
}

Route read_route_body(Context& context, const Cursor& at, const std::string& name,
                      const SharedList<Upstream>& upstreams) {
    MapReader map = route_map(context, at);
    Route route;
    route.name = name;
    if (!map.is_map()) {
        return route;
    }
    if (auto name_at = map.get("name")) {
        auto value = read_name(context, *name_at);
        if (value && *value != name) {
            context.error(*name_at, "must be the route's name in the URL, " + quote(name) +
                                        ", or be left out; got " + quote(*value));
        }
    }
    read_route_fields(context, map, known_upstreams(upstreams), route);
    return route;
}

}  // namespace turnout::config::detail

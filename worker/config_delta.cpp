#include "worker/config_delta.hpp"

#include "config/edits.hpp"
#include "config/json_codec.hpp"

#include <algorithm>
#include <array>

namespace turnout::worker {

namespace json = boost::json;

namespace {

constexpr std::array<std::pair<ConfigDelta::Op, std::string_view>, 4> op_names{{
    {ConfigDelta::Op::put_route, "put_route"},
    {ConfigDelta::Op::delete_route, "delete_route"},
    {ConfigDelta::Op::put_upstream, "put_upstream"},
    {ConfigDelta::Op::delete_upstream, "delete_upstream"},
}};

}  // namespace

json::value to_json(const ConfigDelta& delta) {
    json::object object;
    for (const auto& [op, name] : op_names) {
        if (op == delta.op) {
            object["op"] = name;
        }
    }
    object["name"] = delta.name;
    if (delta.route) {
        object["route"] = config::to_json(*delta.route);
    }
    if (delta.upstream) {
        object["upstream"] = config::to_json(*delta.upstream);
    }
    return object;
}

std::optional<ConfigDelta> delta_from_json(const json::value& value) {
    const auto* object = value.if_object();
    if (!object) {
        return std::nullopt;
    }
    ConfigDelta delta;
    const auto* op = object->if_contains("op");
    const auto* name = object->if_contains("name");
    if (!op || !op->is_string() || !name || !name->is_string()) {
        return std::nullopt;
    }
    const auto found = std::find_if(op_names.begin(), op_names.end(), [&](const auto& entry) {
        return entry.second == op->get_string();
    });
    if (found == op_names.end()) {
        return std::nullopt;
    }
    delta.op = found->first;
    delta.name = name->get_string();
    if (const auto* route = object->if_contains("route")) {
        delta.route = config::route_from_json(*route);
    }
    if (const auto* upstream = object->if_contains("upstream")) {
        delta.upstream = config::upstream_from_json(*upstream);
    }
    const bool complete = (delta.op != ConfigDelta::Op::put_route || delta.route) &&
                          (delta.op != ConfigDelta::Op::put_upstream || delta.upstream);
    return complete ? std::optional{std::move(delta)} : std::nullopt;
}

void apply_delta(const ConfigDelta& delta, server::ServingState& state) {
    switch (delta.op) {
    case ConfigDelta::Op::put_route:
        state.put_route(*delta.route);
        break;
    case ConfigDelta::Op::delete_route:
        state.remove_route(delta.name);
        break;
    case ConfigDelta::Op::put_upstream:
        state.put_upstream(*delta.upstream);
        break;
    case ConfigDelta::Op::delete_upstream:
        state.remove_upstream(delta.name);
        break;
    }
}

void apply_delta(const ConfigDelta& delta, config::Config& config) {
    switch (delta.op) {
    case ConfigDelta::Op::put_route:
        config::put_named(config.routes, *delta.route);
        break;
    case ConfigDelta::Op::delete_route:
        config::erase_named(config.routes, delta.name);
        break;
    case ConfigDelta::Op::put_upstream:
        config::put_named(config.upstreams, *delta.upstream);
        break;
    case ConfigDelta::Op::delete_upstream:
        config::erase_named(config.upstreams, delta.name);
        break;
    }
}

}  // namespace turnout::worker

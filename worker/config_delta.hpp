#pragma once

// One partial config change as it travels from master to worker (SPEC §4:
// "only the change travels to workers"): a route or upstream put or
// deleted. A split change is a put of the route with its new split.

#include "config/config.hpp"
#include "server/serving_state.hpp"

#include <boost/json/value.hpp>

#include <optional>
#include <string>

namespace turnout::worker {

struct ConfigDelta {
    enum class Op { put_route, delete_route, put_upstream, delete_upstream };
    Op op = Op::put_route;
    std::string name;                          // of what is deleted
    std::optional<config::Route> route;        // put_route
    std::optional<config::Upstream> upstream;  // put_upstream
};

boost::json::value to_json(const ConfigDelta& delta);
std::optional<ConfigDelta> delta_from_json(const boost::json::value& json);

// Applies the change to what a worker serves.
void apply_delta(const ConfigDelta& delta, server::ServingState& state);
// Applies the change to a config, as the edit that made it did (replaying
// a change the master stored).
void apply_delta(const ConfigDelta& delta, config::Config& config);

}  // namespace turnout::worker

#pragma once

// What a rollout is asked to do (SPEC §2 `turnout rollout start`, §4
// `POST /v1/rollouts`, §7): the route, the upstream traffic moves to, the
// steps and the limits each interval is judged by. Parsing and the checks
// that need no config live here; the checks against a live config are
// plan_rollout's (rollout.hpp).

#include "config/config.hpp"

#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace turnout::master {

struct RolloutSpec {
    std::string route;
    std::string to;  // the upstream traffic moves to
    // Percent of the route's traffic `to` gets at each step: strictly
    // increasing, each 1..100, the last 100.
    std::vector<std::uint32_t> steps{1, 5, 25, 50, 100};
    config::Duration interval = std::chrono::seconds(30);
    double max_error_rate = 0.01;  // 0..1; above it: roll back
    config::Duration max_p99 = std::chrono::milliseconds(500);
    std::uint64_t min_requests = 50;  // fewer in an interval: hold the step

    bool operator==(const RolloutSpec&) const = default;
};

// The shortest interval accepted: each interval end asks every worker for
// its counts, which should not happen in a tight loop.
inline constexpr config::Duration min_rollout_interval = std::chrono::milliseconds(100);

// Reads the body of `POST /v1/rollouts`:
//   {"route": "api", "to": "app-v2", "steps": [1,5,25,50,100],
//    "interval": "30s", "max_error_rate": 0.01, "max_p99": "500ms",
//    "min_requests": 50}
// route and to are required; the rest default as in RolloutSpec. Returns
// the spec, or one message that names the field, e.g. "steps: must be
// strictly increasing, got 50 after 50". Unknown fields are refused, so a
// typo is not silently a default.
std::variant<RolloutSpec, std::string> parse_rollout_spec(const boost::json::value& body);

// The spec in the shape parse_rollout_spec reads; durations as "30s".
boost::json::object to_json(const RolloutSpec& spec);

}  // namespace turnout::master

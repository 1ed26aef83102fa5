#pragma once

// Shared by the rollout tests: a live config with routes to roll out on,
// and made-up moments, so no test reads a clock or sleeps.

#include "master/rollout/rollout.hpp"

#include "config/loader.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <variant>

namespace turnout::master::test {

using namespace std::chrono_literals;

// `offset` after an arbitrary start, on both clocks.
inline RolloutInstant at(std::chrono::milliseconds offset) {
    return {std::chrono::steady_clock::time_point{} + std::chrono::hours(1) + offset,
            1'750'000'000'000 + offset.count()};
}

// Upstreams app-v1, app-v2, app-v3. Routes:
//   api    app-v1 90, app-v2 10       single  upstream: app-v1
//   three  app-v1 60, app-v3 30, app-v2 10 (to in the middle)
//   done   app-v1 0, app-v2 5         only    upstream: app-v2
inline config::Config live_config() {
    config::Config live;
    for (const char* name : {"app-v1", "app-v2", "app-v3"}) {
        config::Upstream upstream;
        upstream.name = name;
        upstream.targets.push_back({*config::parse_address("127.0.0.1:9001"), 1});
        live.upstreams.push_back(std::move(upstream));
    }
    const auto route = [&](std::string name, std::vector<config::SplitEntry> split) {
        config::Route route;
        route.name = std::move(name);
        route.single_upstream = split.size() == 1;
        route.split = std::move(split);
        live.routes.push_back(std::move(route));
    };
    route("api", {{"app-v1", 90}, {"app-v2", 10}});
    route("single", {{"app-v1", 1}});
    route("three", {{"app-v1", 60}, {"app-v2", 10}, {"app-v3", 30}});
    route("done", {{"app-v1", 0}, {"app-v2", 5}});
    route("only", {{"app-v2", 1}});
    return live;
}

inline RolloutSpec spec_for(std::string route, std::string to) {
    RolloutSpec spec;
    spec.route = std::move(route);
    spec.to = std::move(to);
    return spec;
}

// A pending rollout of `spec` on live_config(); fails the test if refused.
inline Rollout planned(const RolloutSpec& spec) {
    auto result = plan_rollout(spec, live_config());
    if (auto* error = std::get_if<RolloutError>(&result)) {
        FAIL("expected a rollout, got: " << error->message);
    }
    return std::get<Rollout>(std::move(result));
}

inline const IntervalStats healthy{200, 1, 42.0};

}  // namespace turnout::master::test

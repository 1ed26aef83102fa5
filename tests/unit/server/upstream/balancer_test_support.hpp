#pragma once

// Helpers shared by the balancer tests.

#include "config/config.hpp"
#include "server/upstream/balancer.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace turnout::server::testing {

// Targets 127.0.0.1:9001, :9002, ... with the given weights.
inline std::vector<config::Target> make_targets(const std::vector<std::uint32_t>& weights) {
    std::vector<config::Target> targets;
    for (std::size_t i = 0; i < weights.size(); ++i) {
        config::Target target;
        target.address.text = "127.0.0.1:" + std::to_string(9001 + i);
        target.weight = weights[i];
        targets.push_back(target);
    }
    return targets;
}

// How often each of N targets is picked in `count` picks under `context`.
template <std::size_t N>
std::array<std::size_t, N> counts(Balancer& balancer, std::size_t count,
                                  const PickContext& context = {}) {
    std::array<std::size_t, N> result{};
    for (std::size_t i = 0; i < count; ++i) {
        auto index = balancer.pick(context);
        REQUIRE(index);
        ++result.at(*index);
    }
    return result;
}

}  // namespace turnout::server::testing

#pragma once

// What the balancers read from a PickContext about one target: whether it
// may be picked and how loaded it is.

#include "server/upstream/balancer.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace turnout::server {

inline bool is_excluded(const PickContext& context, std::size_t target) {
    return target < context.excluded.size() && context.excluded[target] != 0;
}

inline std::uint64_t in_flight(const PickContext& context, std::size_t target) {
    return target < context.in_flight.size() ? context.in_flight[target] : 0;
}

// The targets' weights, as the balancers keep them.
inline std::vector<std::uint64_t> target_weights(const std::vector<config::Target>& targets) {
    std::vector<std::uint64_t> weights;
    weights.reserve(targets.size());
    for (const config::Target& target : targets) {
        weights.push_back(target.weight);
    }
    return weights;
}

// Compares two targets' in_flight / weight without dividing: negative when
// `a` is the less loaded, zero on a tie, positive when `b` is. Both weights
// must be above 0; a weight is at most 10^6, so the products fit.
inline int compare_load(const PickContext& context, const std::vector<std::uint64_t>& weight,
                        std::size_t a, std::size_t b) {
    std::uint64_t left = in_flight(context, a) * weight[b];
    std::uint64_t right = in_flight(context, b) * weight[a];
    return left < right ? -1 : (left > right ? 1 : 0);
}

}  // namespace turnout::server

// Sharing a route's traffic between a rollout's `to` and the other sides.

#include "master/rollout/rollout_split.hpp"

#include <algorithm>
#include <numeric>

namespace turnout::master {

std::vector<config::SplitEntry> rollout_split(const std::vector<config::SplitEntry>& others,
                                              const std::string& to, std::uint32_t weight) {
    weight = std::min<std::uint32_t>(weight, 100);
    const std::uint64_t rest = 100 - weight;
    const std::uint64_t total = std::accumulate(
        others.begin(), others.end(), std::uint64_t{0},
        [](std::uint64_t sum, const config::SplitEntry& side) { return sum + side.weight; });
    std::vector<config::SplitEntry> split;
    std::vector<std::uint64_t> remainders;
    std::uint64_t given = 0;
    for (const auto& side : others) {
        const std::uint64_t scaled = total == 0 ? 0 : rest * side.weight;
        const auto share = total == 0 ? 0 : scaled / total;
        split.push_back({side.upstream, static_cast<std::uint32_t>(share)});
        remainders.push_back(total == 0 ? 0 : scaled % total);
        given += share;
    }
    // Largest remainder first; stable, so the earlier side wins a tie.
    std::vector<std::size_t> order(split.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return remainders[a] > remainders[b]; });
    for (std::size_t i = 0; given < rest && i < order.size(); ++i, ++given) {
        ++split[order[i]].weight;
    }
    split.push_back({to, weight});
    return split;
}

std::vector<std::pair<std::string, std::int64_t>> split_weights(
    const std::vector<config::SplitEntry>& split) {
    std::vector<std::pair<std::string, std::int64_t>> weights;
    for (const auto& side : split) {
        weights.emplace_back(side.upstream, side.weight);
    }
    return weights;
}

}  // namespace turnout::master

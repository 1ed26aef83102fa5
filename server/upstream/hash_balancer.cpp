#include "server/upstream/hash_balancer.hpp"

#include "server/upstream/balancer_load.hpp"
#include "server/routing/stable_hash.hpp"

#include <boost/assert.hpp>

#include <algorithm>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace turnout::server {
namespace {

// How many ring points each target gets: points_per_weight per weight unit,
// scaled down in proportion when that would pass max_points.
std::vector<std::uint64_t> point_counts(const std::vector<std::uint64_t>& weights) {
    std::uint64_t total = 0;
    for (std::uint64_t weight : weights) {
        total += weight;
    }
    const bool scale = total * HashBalancer::points_per_weight > HashBalancer::max_points;
    std::vector<std::uint64_t> counts;
    counts.reserve(weights.size());
    for (std::uint64_t weight : weights) {
        if (weight == 0) {
            counts.push_back(0);
        } else if (scale) {
            counts.push_back(std::max<std::uint64_t>(1, HashBalancer::max_points * weight / total));
        } else {
            counts.push_back(weight * HashBalancer::points_per_weight);
        }
    }
    return counts;
}

// Each target's seed for its points: the hash of its address, told apart by
// occurrence should the same address appear twice.
std::vector<std::uint64_t> point_seeds(const std::vector<config::Target>& targets) {
    std::unordered_map<std::string_view, std::uint64_t> seen;
    std::vector<std::uint64_t> seeds;
    seeds.reserve(targets.size());
    for (const config::Target& target : targets) {
        std::uint64_t occurrence = seen[target.address.text]++;
        std::uint64_t seed = stable_hash(target.address.text);
        seeds.push_back(occurrence == 0 ? seed : mix64(seed + occurrence));
    }
    return seeds;
}

}  // namespace

HashBalancer::HashBalancer(const std::vector<config::Target>& targets)
    : weight_(target_weights(targets)), no_key_(targets) {
    const std::vector<std::uint64_t> counts = point_counts(weight_);
    const std::vector<std::uint64_t> seeds = point_seeds(targets);
    std::vector<std::pair<std::uint64_t, std::uint32_t>> ring;
    for (std::size_t i = 0; i < targets.size(); ++i) {
        for (std::uint64_t v = 0; v < counts[i]; ++v) {
            // Fibonacci steps from the seed, mixed: a target's first k
            // points stay the same whatever its count.
            std::uint64_t point = mix64(seeds[i] + (v + 1) * 0x9e3779b97f4a7c15ull);
            ring.emplace_back(point, static_cast<std::uint32_t>(i));
        }
    }
    std::sort(ring.begin(), ring.end());
    point_.reserve(ring.size());
    owner_.reserve(ring.size());
    for (const auto& [point, owner] : ring) {
        point_.push_back(point);
        owner_.push_back(owner);
    }
}

std::optional<std::size_t> HashBalancer::pick(const PickContext& context) {
    if (context.hash_key.empty()) {
        return no_key_.pick(context);
    }
    if (!context.excluded.empty() && !any_pickable(context)) {
        return std::nullopt;
    }
    const std::uint64_t key = stable_hash(context.hash_key);
    std::size_t at = std::lower_bound(point_.begin(), point_.end(), key) - point_.begin();
    for (std::size_t step = 0; step < point_.size(); ++step, ++at) {
        if (at == point_.size()) {
            at = 0;
        }
        if (!is_excluded(context, owner_[at])) {
            return owner_[at];
        }
    }
    // Every target of weight above 0 owns at least one point, and one of
    // them may be picked (checked above): only an empty ring, all weights
    // 0, gets here.
    BOOST_ASSERT_MSG(point_.empty(), "some point belongs to a pickable target");
    return std::nullopt;
}

bool HashBalancer::any_pickable(const PickContext& context) const {
    for (std::size_t i = 0; i < weight_.size(); ++i) {
        if (weight_[i] != 0 && !is_excluded(context, i)) {
            return true;
        }
    }
    return false;
}

}  // namespace turnout::server

#pragma once

// balance: hash — consistent hashing on the request's hash key (SPEC §3), so
// a key keeps going to the same target while the targets stay, and only
// about 1/N of keys move when one of N targets comes or goes.
//
// A hash ring with virtual nodes rather than Maglev: on a ring, removing a
// target moves exactly its own keys and no others, and an excluded target's
// keys go each to the next point clockwise, so they spread over the other
// targets with no table to rebuild and come back when it returns. Maglev
// balances a little more evenly and looks up in O(1), but moves some keys of
// the remaining targets on every change and needs a rebuilt table to route
// around an excluded one. At 160 points per weight unit the ring's shares
// stay within a few percent of the weights.

#include "server/upstream/balancer.hpp"

#include <cstdint>
#include <vector>

namespace turnout::server {

class HashBalancer final : public Balancer {
public:
    static constexpr std::uint64_t points_per_weight = 160;
    // Bounds the ring (12 bytes a point) when weights are large: the points
    // are then shared out in proportion to the weights, at least one each.
    static constexpr std::uint64_t max_points = 1 << 16;

    // A target's points hash from its address, not its position, so adding
    // or removing a target leaves the others' points where they were.
    explicit HashBalancer(const std::vector<config::Target>& targets);

    // The owner of the first point at or after the key's hash that belongs
    // to a non-excluded target. A request with no hash key goes by smooth
    // weighted round robin instead. O(log points) plus the points passed
    // over (and O(targets) when some are excluded); no allocation.
    std::optional<std::size_t> pick(const PickContext& context) override;

    std::size_t point_count() const { return point_.size(); }

private:
    bool any_pickable(const PickContext& context) const;

    std::vector<std::uint64_t> weight_;
    std::vector<std::uint64_t> point_;  // sorted ring positions
    std::vector<std::uint32_t> owner_;  // the target of each point
    RoundRobinBalancer no_key_;
};

}  // namespace turnout::server

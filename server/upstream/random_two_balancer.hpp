#pragma once

// balance: random_two — the power of two choices: draw two different targets
// at random by weight, send to the one with fewer requests in flight for its
// weight. Nearly as good as least_request at spreading load, without every
// worker herding onto the same momentarily idle target.

#include "server/upstream/balancer.hpp"

#include <cstdint>
#include <memory>
#include <vector>

namespace turnout::server {

class RandomTwoBalancer final : public Balancer {
public:
    // A null `random` gets a SplitMixRandom.
    RandomTwoBalancer(const std::vector<config::Target>& targets,
                      std::unique_ptr<RandomSource> random);

    // On a tie the first draw wins, so on equal load the picks follow the
    // weights exactly. O(targets), no allocation.
    std::optional<std::size_t> pick(const PickContext& context) override;

private:
    // The target that the point `at` in [0, total) of the pickable weights
    // falls on, passing over `skip`.
    std::size_t target_at(const PickContext& context, std::uint64_t at, std::size_t skip) const;

    std::vector<std::uint64_t> weight_;
    std::unique_ptr<RandomSource> random_;
};

}  // namespace turnout::server

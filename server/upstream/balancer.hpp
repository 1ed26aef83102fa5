#pragma once

// Picks a target of an upstream. One small class per `balance:` kind behind
// this interface; the worker owns one per upstream.

#include "config/config.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace turnout::server {

struct PickContext {
    // One entry per target; non-zero = do not pick (already tried for this
    // request, ejected, unhealthy). Empty = every target may be picked.
    std::span<const std::uint8_t> excluded;
    // The request's hash key for Balance::hash; empty = none.
    std::string_view hash_key;
    // One entry per target: requests now in flight to it, for
    // Balance::least_request and Balance::random_two. Empty (or shorter than
    // the targets) = zero for the rest.
    std::span<const std::uint32_t> in_flight = {};
};

class Balancer {
public:
    virtual ~Balancer() = default;

    // The index of the chosen target, or nullopt when every target is
    // excluded.
    virtual std::optional<std::size_t> pick(const PickContext& context) = 0;
};

// Where the randomised balancers get their randomness; tests inject a seeded
// one so their picks repeat.
class RandomSource {
public:
    virtual ~RandomSource() = default;

    // A uniformly distributed 64-bit value.
    virtual std::uint64_t next() = 0;
};

// splitmix64: a few multiplies per value, no locks, no allocation. Good for
// spreading load, not for secrets.
class SplitMixRandom final : public RandomSource {
public:
    // Seeded once from std::random_device, so each worker draws its own
    // sequence.
    SplitMixRandom();
    explicit SplitMixRandom(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next() override;

private:
    std::uint64_t state_;
};

// Smooth weighted round robin over the targets' weights (as nginx does).
class RoundRobinBalancer final : public Balancer {
public:
    explicit RoundRobinBalancer(const std::vector<config::Target>& targets);
    std::optional<std::size_t> pick(const PickContext& context) override;

private:
    std::vector<std::int64_t> weight_;
    std::vector<std::int64_t> current_;
};

// The balancer for `upstream.balance`, drawing on a SplitMixRandom where it
// needs randomness.
std::unique_ptr<Balancer> make_balancer(const config::Upstream& upstream);

// The same, drawing on `random` (which only random_two uses).
std::unique_ptr<Balancer> make_balancer(const config::Upstream& upstream,
                                        std::unique_ptr<RandomSource> random);

}  // namespace turnout::server

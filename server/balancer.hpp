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

namespace turnout::server {

struct PickContext {
    // One entry per target; non-zero = do not pick (already tried for this
    // request, ejected, unhealthy). Empty = every target may be picked.
    std::span<const std::uint8_t> excluded;
    // The request's hash key for Balance::hash; empty = none.
    std::string_view hash_key;
};

class Balancer {
public:
    virtual ~Balancer() = default;

    // The index of the chosen target, or nullopt when every target is
    // excluded.
    virtual std::optional<std::size_t> pick(const PickContext& context) = 0;
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

// The balancer for `upstream.balance`.
std::unique_ptr<Balancer> make_balancer(const config::Upstream& upstream);

}  // namespace turnout::server

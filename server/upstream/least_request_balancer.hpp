#pragma once

// balance: least_request — the target with the fewest requests in flight for
// its weight.

#include "server/upstream/balancer.hpp"

#include <cstdint>
#include <vector>

namespace turnout::server {

class LeastRequestBalancer final : public Balancer {
public:
    explicit LeastRequestBalancer(const std::vector<config::Target>& targets);

    // The non-excluded target with the lowest in_flight / weight. Ties (an
    // idle upstream is all ties) go by smooth weighted round robin among the
    // tied targets, so they share by weight instead of all going to the
    // first. O(targets), no allocation.
    std::optional<std::size_t> pick(const PickContext& context) override;

private:
    std::vector<std::uint64_t> weight_;
    RoundRobinBalancer tie_break_;
    std::vector<std::uint8_t> not_tied_;  // per pick: 1 = not among the least loaded
};

}  // namespace turnout::server

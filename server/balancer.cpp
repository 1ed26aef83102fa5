#include "server/balancer.hpp"

namespace turnout::server {

RoundRobinBalancer::RoundRobinBalancer(const std::vector<config::Target>& targets)
    : current_(targets.size(), 0) {
    weight_.reserve(targets.size());
    for (const config::Target& target : targets) {
        weight_.push_back(target.weight);
    }
}

std::optional<std::size_t> RoundRobinBalancer::pick(const PickContext& context) {
    // nginx's smooth weighted round robin over the targets that may be
    // picked: each gains its weight, the richest wins and pays the total of
    // this round. Excluded targets neither gain nor pay, so the others keep
    // their proportions while one is out.
    std::int64_t total = 0;
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < weight_.size(); ++i) {
        bool excluded = i < context.excluded.size() && context.excluded[i] != 0;
        if (excluded || weight_[i] == 0) {
            continue;
        }
        current_[i] += weight_[i];
        total += weight_[i];
        if (!best || current_[i] > current_[*best]) {
            best = i;
        }
    }
    if (best) {
        current_[*best] -= total;
    }
    return best;
}

std::unique_ptr<Balancer> make_balancer(const config::Upstream& upstream) {
    // least_request, random_two and hash fall back to round robin until their
    // own balancers land (a later issue).
    return std::make_unique<RoundRobinBalancer>(upstream.targets);
}

}  // namespace turnout::server

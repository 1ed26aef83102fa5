#include "server/upstream/balancer.hpp"

#include "server/upstream/hash_balancer.hpp"
#include "server/upstream/least_request_balancer.hpp"
#include "server/upstream/random_two_balancer.hpp"

#include <random>
#include <utility>

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

SplitMixRandom::SplitMixRandom() {
    std::random_device device;
    state_ = (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

std::uint64_t SplitMixRandom::next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

std::unique_ptr<Balancer> make_balancer(const config::Upstream& upstream) {
    return make_balancer(upstream, std::make_unique<SplitMixRandom>());
}

std::unique_ptr<Balancer> make_balancer(const config::Upstream& upstream,
                                        std::unique_ptr<RandomSource> random) {
    switch (upstream.balance) {
    case config::Balance::round_robin:
        return std::make_unique<RoundRobinBalancer>(upstream.targets);
    case config::Balance::least_request:
        return std::make_unique<LeastRequestBalancer>(upstream.targets);
    case config::Balance::random_two:
        return std::make_unique<RandomTwoBalancer>(upstream.targets, std::move(random));
    case config::Balance::hash:
        return std::make_unique<HashBalancer>(upstream.targets);
    }
    return std::make_unique<RoundRobinBalancer>(upstream.targets);  // not reached
}

}  // namespace turnout::server

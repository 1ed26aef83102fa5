#include "server/upstream/random_two_balancer.hpp"

#include "server/upstream/balancer_load.hpp"

#include <boost/assert.hpp>

#include <utility>

namespace turnout::server {

RandomTwoBalancer::RandomTwoBalancer(const std::vector<config::Target>& targets,
                                     std::unique_ptr<RandomSource> random)
    : weight_(target_weights(targets)),
      random_(random ? std::move(random) : std::make_unique<SplitMixRandom>()) {}

std::optional<std::size_t> RandomTwoBalancer::pick(const PickContext& context) {
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < weight_.size(); ++i) {
        if (!is_excluded(context, i)) {
            total += weight_[i];
        }
    }
    if (total == 0) {
        return std::nullopt;
    }
    // The modulo's bias is below total / 2^64: nothing next to the weights.
    const std::size_t none = weight_.size();
    std::size_t first = target_at(context, random_->next() % total, none);
    std::uint64_t rest = total - weight_[first];
    if (rest == 0) {
        return first;
    }
    std::size_t second = target_at(context, random_->next() % rest, first);
    return compare_load(context, weight_, second, first) < 0 ? second : first;
}

std::size_t RandomTwoBalancer::target_at(const PickContext& context, std::uint64_t at,
                                         std::size_t skip) const {
    std::size_t last = skip;
    for (std::size_t i = 0; i < weight_.size(); ++i) {
        if (i == skip || weight_[i] == 0 || is_excluded(context, i)) {
            continue;
        }
        if (at < weight_[i]) {
            return i;
        }
        at -= weight_[i];
        last = i;
    }
    // pick() draws `at` below the weights of the targets this loop counts.
    BOOST_ASSERT_MSG(false, "a draw below the pickable total lands on a target");
    return last;
}

}  // namespace turnout::server

#include "server/upstream/least_request_balancer.hpp"

#include "server/upstream/balancer_load.hpp"

#include <boost/assert.hpp>

namespace turnout::server {

LeastRequestBalancer::LeastRequestBalancer(const std::vector<config::Target>& targets)
    : weight_(target_weights(targets)), tie_break_(targets), not_tied_(targets.size(), 1) {}

std::optional<std::size_t> LeastRequestBalancer::pick(const PickContext& context) {
    std::optional<std::size_t> least;
    for (std::size_t i = 0; i < weight_.size(); ++i) {
        if (weight_[i] == 0 || is_excluded(context, i)) {
            continue;
        }
        if (!least || compare_load(context, weight_, i, *least) < 0) {
            least = i;
        }
    }
    if (!least) {
        return std::nullopt;
    }
    for (std::size_t i = 0; i < weight_.size(); ++i) {
        bool tied = weight_[i] != 0 && !is_excluded(context, i) &&
                    compare_load(context, weight_, i, *least) == 0;
        not_tied_[i] = tied ? 0 : 1;
    }
    const auto picked = tie_break_.pick(PickContext{not_tied_, {}});
    BOOST_ASSERT_MSG(picked && not_tied_[*picked] == 0,
                     "the least loaded target is among the tied");
    return picked;
}

}  // namespace turnout::server

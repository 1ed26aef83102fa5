#pragma once

// A rollout's output: the route's split with the upstream it moves to at a
// given percent (SPEC §7).

#include "config/config.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace turnout::master {

// The split that gives `to` `weight` percent (0..100) and shares the rest
// among `others` (the route's other sides, as they were when the rollout
// was planned) in proportion to their weights. The weights are integers
// summing to 100: each other side gets its share rounded down, and the
// percents left over go one each to the largest remainders, the earlier
// side first on a tie. `others` keep their order and `to` comes last, so as
// its weight grows no sticky client moves off it (SPEC §7's bucket layout).
// A side whose share is 0 stays in the split with weight 0. `others` must
// have weights summing to more than 0.
std::vector<config::SplitEntry> rollout_split(const std::vector<config::SplitEntry>& others,
                                              const std::string& to, std::uint32_t weight);

// The same entries as config::put_split takes them.
std::vector<std::pair<std::string, std::int64_t>> split_weights(
    const std::vector<config::SplitEntry>& split);

}  // namespace turnout::master

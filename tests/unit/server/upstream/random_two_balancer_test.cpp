#include "server/upstream/random_two_balancer.hpp"

#include "tests/unit/server/upstream/balancer_test_support.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <memory>
#include <string>
#include <vector>

using turnout::config::Target;
using turnout::server::PickContext;
using turnout::server::RandomTwoBalancer;
using turnout::server::SplitMixRandom;

using turnout::server::testing::counts;
using turnout::server::testing::make_targets;

namespace {

RandomTwoBalancer seeded(const std::vector<std::uint32_t>& weights, std::uint64_t seed = 7) {
    return RandomTwoBalancer(make_targets(weights), std::make_unique<SplitMixRandom>(seed));
}

}  // namespace

TEST_CASE("random two: on equal load the picks follow the weights", "[server][balancer]") {
    auto seed = GENERATE(1u, 7u, 12345u);
    RandomTwoBalancer balancer = seeded({1, 2, 3, 4}, seed);
    auto picked = counts<4>(balancer, 10000);
    for (std::size_t i = 0; i < 4; ++i) {
        INFO("target " << i << " picked " << picked[i] << " times, seed " << seed);
        CHECK(picked[i] >= (i + 1) * 1000 - 300);
        CHECK(picked[i] <= (i + 1) * 1000 + 300);
    }
}

TEST_CASE("random two: prefers the less loaded of its two draws", "[server][balancer]") {
    RandomTwoBalancer balancer = seeded({1, 1, 1, 1});
    PickContext context;

    // The idle target loses only when neither draw is it: 3/4 * 2/3 = 1/2.
    const std::array<std::uint32_t, 4> one_idle{5, 5, 0, 5};
    context.in_flight = one_idle;
    auto picked = counts<4>(balancer, 10000, context);
    INFO(picked[0] << " " << picked[1] << " " << picked[2] << " " << picked[3]);
    CHECK(picked[2] >= 4700);
    CHECK(picked[2] <= 5300);

    // The busiest is never picked: the other draw always beats it.
    const std::array<std::uint32_t, 4> one_busy{9, 0, 0, 0};
    context.in_flight = one_busy;
    CHECK(counts<4>(balancer, 1000, context)[0] == 0);

    // With two targets both are always drawn, so the less loaded wins.
    RandomTwoBalancer pair = seeded({1, 1});
    const std::array<std::uint32_t, 2> loads{3, 1};
    context.in_flight = loads;
    CHECK(counts<2>(pair, 100, context) == std::array<std::size_t, 2>{0, 100});
}

TEST_CASE("random two: load is in flight per weight", "[server][balancer]") {
    RandomTwoBalancer pair = seeded({1, 4});
    PickContext context;
    const std::array<std::uint32_t, 2> loads{1, 3};  // 1/1 against 3/4
    context.in_flight = loads;
    CHECK(counts<2>(pair, 100, context) == std::array<std::size_t, 2>{0, 100});
}

TEST_CASE("random two: honours exclusion and weight 0", "[server][balancer]") {
    RandomTwoBalancer balancer = seeded({1, 0, 1, 1});
    PickContext context;
    const std::array<std::uint8_t, 4> two_out{1, 0, 0, 1};
    context.excluded = two_out;
    const std::array<std::uint32_t, 4> loads{0, 0, 5, 0};
    context.in_flight = loads;
    // Only target 2 is left: picked however loaded.
    CHECK(counts<4>(balancer, 100, context) == std::array<std::size_t, 4>{0, 0, 100, 0});

    const std::array<std::uint8_t, 4> all_out{1, 0, 1, 1};
    context.excluded = all_out;
    CHECK_FALSE(balancer.pick(context));

    // Nothing excluded: weight 0 still never comes up.
    CHECK(counts<4>(balancer, 3000, {})[1] == 0);

    RandomTwoBalancer zero = seeded({0, 0});
    CHECK_FALSE(zero.pick({}));
    RandomTwoBalancer none = seeded({});
    CHECK_FALSE(none.pick({}));
}

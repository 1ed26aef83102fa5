#include "server/upstream/least_request_balancer.hpp"

#include "tests/unit/server/upstream/balancer_test_support.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <deque>
#include <string>
#include <vector>

using turnout::config::Target;
using turnout::server::LeastRequestBalancer;
using turnout::server::PickContext;

using turnout::server::testing::counts;
using turnout::server::testing::make_targets;

TEST_CASE("least request: idle targets share by weight", "[server][balancer]") {
    LeastRequestBalancer balancer(make_targets({1, 3}));
    CHECK(counts<2>(balancer, 400) == std::array<std::size_t, 2>{100, 300});

    // Equal weights take turns rather than all going to the first.
    LeastRequestBalancer equal(make_targets({1, 1, 1}));
    std::vector<std::size_t> sequence;
    for (int i = 0; i < 6; ++i) {
        sequence.push_back(*equal.pick({}));
    }
    CHECK(sequence == std::vector<std::size_t>{0, 1, 2, 0, 1, 2});
}

TEST_CASE("least request: only the least loaded are picked", "[server][balancer]") {
    LeastRequestBalancer balancer(make_targets({1, 1, 1, 1}));
    const std::array<std::uint32_t, 4> in_flight{5, 2, 2, 9};
    PickContext context;
    context.in_flight = in_flight;
    CHECK(counts<4>(balancer, 100, context) == std::array<std::size_t, 4>{0, 50, 50, 0});
}

TEST_CASE("least request: load is in flight per weight", "[server][balancer]") {
    LeastRequestBalancer balancer(make_targets({1, 4}));
    PickContext context;
    // 1/1 against 3/4: the heavier target is the less loaded.
    const std::array<std::uint32_t, 2> lighter_heavy{1, 3};
    context.in_flight = lighter_heavy;
    CHECK(counts<2>(balancer, 10, context) == std::array<std::size_t, 2>{0, 10});
    // 1/1 against 5/4: the light one.
    const std::array<std::uint32_t, 2> heavier_heavy{1, 5};
    context.in_flight = heavier_heavy;
    CHECK(counts<2>(balancer, 10, context) == std::array<std::size_t, 2>{10, 0});
    // 1/1 against 4/4: a tie, shared by weight.
    const std::array<std::uint32_t, 2> tied{1, 4};
    context.in_flight = tied;
    CHECK(counts<2>(balancer, 100, context) == std::array<std::size_t, 2>{20, 80});
}

TEST_CASE("least request: a slow target gets few requests", "[server][balancer]") {
    // One request arrives per tick; target 0 takes 10 ticks to answer, the
    // others answer within the tick.
    LeastRequestBalancer balancer(make_targets({1, 1, 1}));
    std::array<std::uint32_t, 3> in_flight{};
    std::deque<std::size_t> slow_done_at;
    std::array<std::size_t, 3> picked{};
    const std::size_t ticks = 3000;
    for (std::size_t tick = 0; tick < ticks; ++tick) {
        while (!slow_done_at.empty() && slow_done_at.front() <= tick) {
            slow_done_at.pop_front();
            --in_flight[0];
        }
        PickContext context;
        context.in_flight = in_flight;
        std::size_t index = *balancer.pick(context);
        ++picked.at(index);
        if (index == 0) {
            ++in_flight[0];
            slow_done_at.push_back(tick + 10);
        }
    }
    INFO(picked[0] << " " << picked[1] << " " << picked[2]);
    CHECK(picked[0] < ticks / 10);
    CHECK(picked[1] > ticks * 4 / 10);
    CHECK(picked[2] > ticks * 4 / 10);
}

TEST_CASE("least request: honours exclusion and weight 0", "[server][balancer]") {
    LeastRequestBalancer balancer(make_targets({1, 1, 0}));
    PickContext context;
    const std::array<std::uint32_t, 3> in_flight{0, 7, 0};
    context.in_flight = in_flight;
    const std::array<std::uint8_t, 3> first_out{1, 0, 0};
    context.excluded = first_out;
    // The idle target is out and the other idle one has weight 0: the busy
    // one it is.
    CHECK(counts<3>(balancer, 5, context) == std::array<std::size_t, 3>{0, 5, 0});

    const std::array<std::uint8_t, 3> all_out{1, 1, 0};
    context.excluded = all_out;
    CHECK_FALSE(balancer.pick(context));

    // A short in_flight list counts the rest as idle.
    const std::array<std::uint32_t, 1> short_list{3};
    PickContext partial;
    partial.in_flight = short_list;
    CHECK(counts<3>(balancer, 5, partial) == std::array<std::size_t, 3>{0, 5, 0});

    LeastRequestBalancer none(make_targets({}));
    CHECK_FALSE(none.pick({}));
}

#include "server/upstream/balancer.hpp"

#include "server/upstream/hash_balancer.hpp"
#include "server/upstream/least_request_balancer.hpp"
#include "server/upstream/random_two_balancer.hpp"

#include "tests/unit/server/upstream/balancer_test_support.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <string>
#include <vector>

using turnout::config::Balance;
using turnout::config::Target;
using turnout::config::Upstream;
using turnout::server::PickContext;
using turnout::server::RoundRobinBalancer;

using turnout::server::testing::counts;
using turnout::server::testing::make_targets;

namespace {

std::vector<std::size_t> picks(turnout::server::Balancer& balancer, std::size_t count,
                               const PickContext& context = {}) {
    std::vector<std::size_t> result;
    for (std::size_t i = 0; i < count; ++i) {
        auto index = balancer.pick(context);
        REQUIRE(index);
        result.push_back(*index);
    }
    return result;
}

}  // namespace

TEST_CASE("round robin with weights 1 and 3 is exact and smooth", "[server][balancer]") {
    RoundRobinBalancer balancer(make_targets({1, 3}));
    std::vector<std::size_t> sequence = picks(balancer, 400);

    std::array<std::size_t, 2> counts{};
    for (std::size_t index : sequence) {
        ++counts.at(index);
    }
    CHECK(counts[0] == 100);
    CHECK(counts[1] == 300);

    // nginx's sequence for {1, 3} is b a b b, repeated: the light target
    // is in every window of 4, so the heavy one never runs more than 3.
    CHECK(std::vector<std::size_t>(sequence.begin(), sequence.begin() + 8) ==
          std::vector<std::size_t>{1, 0, 1, 1, 1, 0, 1, 1});
    for (std::size_t start = 0; start + 4 <= sequence.size(); ++start) {
        std::size_t light = 0;
        for (std::size_t i = start; i < start + 4; ++i) {
            light += sequence[i] == 0 ? 1 : 0;
        }
        INFO("window at " << start);
        CHECK(light == 1);
    }
}

TEST_CASE("round robin follows nginx's smooth sequence for 5, 1, 1", "[server][balancer]") {
    // From nginx's ngx_http_upstream_round_robin.c commentary.
    RoundRobinBalancer balancer(make_targets({5, 1, 1}));
    CHECK(picks(balancer, 14) ==
          std::vector<std::size_t>{0, 0, 1, 0, 2, 0, 0, 0, 0, 1, 0, 2, 0, 0});
}

TEST_CASE("round robin with equal weights alternates", "[server][balancer]") {
    RoundRobinBalancer balancer(make_targets({1, 1, 1}));
    CHECK(picks(balancer, 6) == std::vector<std::size_t>{0, 1, 2, 0, 1, 2});
}

TEST_CASE("round robin skips excluded targets", "[server][balancer]") {
    RoundRobinBalancer balancer(make_targets({1, 2, 1}));
    const std::array<std::uint8_t, 3> excluded{0, 1, 0};
    std::array<std::size_t, 3> counts{};
    for (std::size_t index : picks(balancer, 100, PickContext{excluded, {}})) {
        ++counts.at(index);
    }
    CHECK(counts[0] == 50);
    CHECK(counts[1] == 0);
    CHECK(counts[2] == 50);

    // Back in: the target gets its share again.
    counts = {};
    for (std::size_t index : picks(balancer, 400)) {
        ++counts.at(index);
    }
    CHECK(counts[0] == 100);
    CHECK(counts[1] == 200);
    CHECK(counts[2] == 100);
}

TEST_CASE("round robin: a shorter exclusion list excludes nothing beyond it",
          "[server][balancer]") {
    RoundRobinBalancer balancer(make_targets({1, 1}));
    const std::array<std::uint8_t, 1> excluded{1};
    for (std::size_t index : picks(balancer, 10, PickContext{excluded, {}})) {
        CHECK(index == 1);
    }
}

TEST_CASE("round robin: nothing to pick gives nullopt", "[server][balancer]") {
    RoundRobinBalancer all_excluded(make_targets({1, 3}));
    const std::array<std::uint8_t, 2> excluded{1, 1};
    CHECK_FALSE(all_excluded.pick(PickContext{excluded, {}}));
    // And it recovers once a target is back.
    CHECK(all_excluded.pick({}).has_value());

    RoundRobinBalancer zero(make_targets({0, 0}));
    CHECK_FALSE(zero.pick({}));

    RoundRobinBalancer none(make_targets({}));
    CHECK_FALSE(none.pick({}));
}

TEST_CASE("round robin never picks a target of weight 0", "[server][balancer]") {
    RoundRobinBalancer balancer(make_targets({0, 2, 0}));
    for (std::size_t index : picks(balancer, 20)) {
        CHECK(index == 1);
    }
}

TEST_CASE("make_balancer gives a working balancer for every kind", "[server][balancer]") {
    auto kind =
        GENERATE(Balance::round_robin, Balance::least_request, Balance::random_two, Balance::hash);
    Upstream upstream;
    upstream.name = "app";
    upstream.targets = make_targets({1, 1});
    upstream.balance = kind;
    auto balancer = turnout::server::make_balancer(upstream);
    REQUIRE(balancer);
    std::array<std::size_t, 2> counts{};
    for (std::size_t index : picks(*balancer, 100)) {
        ++counts.at(index);
    }
    CHECK(counts[0] > 0);
    CHECK(counts[1] > 0);
}

TEST_CASE("make_balancer gives the balancer that balance names", "[server][balancer]") {
    Upstream upstream;
    upstream.name = "app";
    upstream.targets = make_targets({1, 1});
    auto made = [&](Balance kind) {
        upstream.balance = kind;
        return turnout::server::make_balancer(upstream);
    };
    using namespace turnout::server;
    CHECK(dynamic_cast<RoundRobinBalancer*>(made(Balance::round_robin).get()));
    CHECK(dynamic_cast<LeastRequestBalancer*>(made(Balance::least_request).get()));
    CHECK(dynamic_cast<RandomTwoBalancer*>(made(Balance::random_two).get()));
    CHECK(dynamic_cast<HashBalancer*>(made(Balance::hash).get()));

    // An injected random source is the one random_two draws from.
    struct Counting final : RandomSource {
        std::uint64_t* calls;
        explicit Counting(std::uint64_t* c) : calls(c) {}
        std::uint64_t next() override { return ++*calls; }
    };
    std::uint64_t calls = 0;
    upstream.balance = Balance::random_two;
    auto balancer = make_balancer(upstream, std::make_unique<Counting>(&calls));
    REQUIRE(balancer->pick({}));
    CHECK(calls == 2);
}

TEST_CASE("split mix random repeats for a seed and differs across seeds", "[server][balancer]") {
    turnout::server::SplitMixRandom a(42);
    turnout::server::SplitMixRandom b(42);
    turnout::server::SplitMixRandom c(43);
    std::uint64_t first = a.next();
    CHECK(first == b.next());
    CHECK(first != c.next());
    CHECK(a.next() != first);
}

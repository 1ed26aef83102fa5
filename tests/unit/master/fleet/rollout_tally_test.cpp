// The leader's sum of the nodes' rollout reports (docs/SPEC.md, "Fleet
// rollouts"): only live nodes, only reports counted under the step.

#include "master/fleet/rollout_tally.hpp"

#include <catch2/catch.hpp>

using namespace turnout::master::fleet;
using turnout::server::RequestTotals;

namespace {

// `requests` requests of `seconds` each, `errors` of them errors.
RolloutCounts counts(std::uint64_t requests, std::uint64_t errors, double seconds = 0.004) {
    RolloutCounts result;
    for (std::uint64_t i = 0; i < requests; ++i) {
        result.duration.record(seconds);
    }
    result.errors = errors;
    return result;
}

NodeRolloutReport report(std::string node, std::int64_t under, RolloutCounts to) {
    return {std::move(node), under, under, 3, std::move(to)};
}

}  // namespace

TEST_CASE("the tally sums live nodes counted under the step and names the others", "[fleet]") {
    const std::map<std::string, NodeRolloutReport> reports{
        {"a", report("a", 40, counts(100, 0))},
        {"b", report("b", 40, counts(30, 9))},
        {"c", report("c", 35, counts(500, 0))},          // still at the step before
        {"gone", report("gone", 40, counts(900, 900))},  // its lease expired
    };
    const auto result = tally({"a", "b", "c", "d"}, reports, 40);
    CHECK(result.stats.requests == 130);
    CHECK(result.stats.errors == 9);
    CHECK(result.serving == std::vector<std::string>{"a", "b"});
    CHECK(result.behind == std::vector<std::string>{"c", "d"});  // d never reported
}

TEST_CASE("the summed latency is judged from the summed buckets", "[fleet]") {
    const std::map<std::string, NodeRolloutReport> reports{
        {"fast", report("fast", 7, counts(90, 0, 0.004))},
        {"slow", report("slow", 7, counts(10, 0, 3.0))},
    };
    const auto result = tally({"fast", "slow"}, reports, 7);
    CHECK(result.stats.requests == 100);
    CHECK(result.stats.p99_ms > 2500);  // the slow node's tail shows in the fleet's p99
}

TEST_CASE("a node's counts are what it counted since it began serving the step", "[fleet]") {
    RequestTotals before;
    before.duration.record(0.01);
    before.errors = 1;
    RequestTotals now = before;
    now.duration.record(0.02);
    now.duration.record(0.03);
    now.errors = 2;
    const auto since = RolloutCounts::since(now, before);
    CHECK(since.stats().requests == 2);
    CHECK(since.stats().errors == 1);
}

TEST_CASE("a node report reads back what it wrote, and refuses what is not one", "[fleet]") {
    const auto original = report("edge-1", 12, counts(5, 2));
    const auto back = NodeRolloutReport::from_json(original.to_json("api"));
    REQUIRE(back);
    CHECK(back->node == "edge-1");
    CHECK(back->counted_under == 12);
    CHECK(back->to.stats().requests == 5);
    CHECK(back->to.stats().errors == 2);
    CHECK_FALSE(NodeRolloutReport::from_json(boost::json::value{"nope"}));
    auto short_buckets = original.to_json("api");
    short_buckets["to"].as_object()["buckets"] = boost::json::array{1, 2};
    CHECK_FALSE(NodeRolloutReport::from_json(short_buckets));
}

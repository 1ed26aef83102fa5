// A rollout's spec from POST /v1/rollouts, its checks against the live
// config, and the splits it produces.

#include "master/rollout/rollout.hpp"
#include "master/rollout/rollout_split.hpp"

#include "tests/unit/master/rollout/rollout_test_support.hpp"

#include <boost/json.hpp>

#include <numeric>

using namespace turnout::master;
using namespace turnout::master::test;
using Catch::Matchers::Contains;
using turnout::config::SplitEntry;
namespace json = boost::json;

namespace {

std::variant<RolloutSpec, std::string> parse(std::string_view body) {
    return parse_rollout_spec(json::parse(body));
}

// The body is refused with a message holding `fragment`.
void require_refused(std::string_view body, std::string_view fragment) {
    INFO(body);
    const auto result = parse(body);
    REQUIRE(std::holds_alternative<std::string>(result));
    CHECK_THAT(std::get<std::string>(result), Contains(std::string{fragment}));
}

RolloutError refusal(const RolloutSpec& spec) {
    auto result = plan_rollout(spec, live_config());
    REQUIRE(std::holds_alternative<RolloutError>(result));
    return std::get<RolloutError>(result);
}

std::uint64_t total(const std::vector<SplitEntry>& split) {
    return std::accumulate(
        split.begin(), split.end(), std::uint64_t{0},
        [](std::uint64_t sum, const SplitEntry& side) { return sum + side.weight; });
}

}  // namespace

TEST_CASE("a spec needs only route and to; the rest defaults", "[rollout]") {
    const auto result = parse(R"({"route": "api", "to": "app-v2"})");
    REQUIRE(std::holds_alternative<RolloutSpec>(result));
    const auto& spec = std::get<RolloutSpec>(result);
    CHECK(spec == spec_for("api", "app-v2"));
    CHECK(spec.steps == std::vector<std::uint32_t>{1, 5, 25, 50, 100});
    CHECK(spec.interval == 30s);
    CHECK(spec.max_error_rate == 0.01);
    CHECK(spec.max_p99 == 500ms);
    CHECK(spec.min_requests == 50);
}

TEST_CASE("a spec reads every field and writes them back the same", "[rollout]") {
    const auto result = parse(R"({"route": "api", "to": "app-v2", "steps": [10, 50, 100],
        "interval": "2m", "max_error_rate": 0.05, "max_p99": "1500ms", "min_requests": 0})");
    REQUIRE(std::holds_alternative<RolloutSpec>(result));
    const auto& spec = std::get<RolloutSpec>(result);
    CHECK(spec.steps == std::vector<std::uint32_t>{10, 50, 100});
    CHECK(spec.interval == 2min);
    CHECK(spec.max_error_rate == 0.05);
    CHECK(spec.max_p99 == 1500ms);
    CHECK(spec.min_requests == 0);
    CHECK(to_json(spec).at("interval") == "2m");
    const auto again = parse_rollout_spec(to_json(spec));
    REQUIRE(std::holds_alternative<RolloutSpec>(again));
    CHECK(std::get<RolloutSpec>(again) == spec);

    const auto whole_rate = parse(R"({"route": "api", "to": "app-v2", "max_error_rate": 1})");
    REQUIRE(std::holds_alternative<RolloutSpec>(whole_rate));
    CHECK(std::get<RolloutSpec>(whole_rate).max_error_rate == 1.0);
}

TEST_CASE("invalid specs are refused with the field named", "[rollout]") {
    require_refused(R"([1, 2])", "must be a JSON object");
    require_refused(R"({"to": "app-v2"})", "route: required");
    require_refused(R"({"route": "api"})", "to: required");
    require_refused(R"({"route": "", "to": "app-v2"})", "route: must be a non-empty string");
    require_refused(R"({"route": "api", "to": "app v2"})", "to: must be a name");
    require_refused(R"({"route": "api", "to": 7})", "to: must be a non-empty string");
    const std::string base = R"({"route": "api", "to": "app-v2", )";
    require_refused(base + R"("steps": []})", "steps: must be a non-empty list");
    require_refused(base + R"("steps": "1,5,100"})", "steps: must be a non-empty list");
    require_refused(base + R"("steps": [0, 100]})",
                    "steps: each step must be a whole percent from 1 to 100, got 0");
    require_refused(base + R"("steps": [5, 101]})",
                    "steps: each step must be a whole percent from 1 to 100, got 101");
    require_refused(base + R"("steps": [5.5, 100]})", "got 5.5");
    require_refused(base + R"("steps": [5, 50, 50, 100]})",
                    "steps: must be strictly increasing, got 50 after 50");
    require_refused(base + R"("steps": [50, 5, 100]})",
                    "steps: must be strictly increasing, got 5 after 50");
    require_refused(base + R"("steps": [1, 5, 50]})", "steps: the last step must be 100, got 50");
    require_refused(base + R"("interval": "30x"})", "interval: must be a duration like");
    require_refused(base + R"("interval": 30})", "interval: must be a duration like");
    require_refused(base + R"("interval": "10ms"})", "interval: must be at least 100ms, got 10ms");
    require_refused(base + R"("max_error_rate": 2})",
                    "max_error_rate: must be a number from 0 to 1, got 2");
    require_refused(base + R"("max_error_rate": -0.1})",
                    "max_error_rate: must be a number from 0 to 1");
    require_refused(base + R"("max_error_rate": "1%"})", "max_error_rate: must be a number");
    require_refused(base + R"("max_p99": "fast"})", "max_p99: must be a duration like");
    require_refused(base + R"("max_p99": "0ms"})", "max_p99: must be at least 1ms");
    require_refused(base + R"("min_requests": -1})", "min_requests: must be a whole number");
    require_refused(base + R"("min_requests": 2.5})", "min_requests: must be a whole number");
    require_refused(base + R"("max_p95": "1s"})",
                    "max_p95: unknown field; did you mean 'max_p99'?");
}

TEST_CASE("a rollout is checked against the live config", "[rollout]") {
    using Kind = RolloutError::Kind;
    const auto no_route = refusal(spec_for("apj", "app-v2"));
    CHECK(no_route.kind == Kind::not_found);
    CHECK(no_route.message == "route: no route named 'apj'; did you mean 'api'?");

    const auto no_upstream = refusal(spec_for("api", "app-v9"));
    CHECK(no_upstream.kind == Kind::invalid);
    CHECK_THAT(no_upstream.message, Contains("to: no upstream named 'app-v9'"));

    const auto all_there = refusal(spec_for("only", "app-v2"));
    CHECK(all_there.kind == Kind::conflict);
    CHECK(all_there.message ==
          "to: route 'only' already sends all its traffic to 'app-v2'; nothing to roll out");
    CHECK(refusal(spec_for("done", "app-v2")).kind == Kind::conflict);
}

TEST_CASE("the other sides are the route's split without to", "[rollout]") {
    CHECK(planned(spec_for("api", "app-v2")).others() == std::vector<SplitEntry>{{"app-v1", 90}});
    // A route written `upstream: app-v1` moves from app-v1.
    CHECK(planned(spec_for("single", "app-v2")).others() == std::vector<SplitEntry>{{"app-v1", 1}});
    CHECK(planned(spec_for("three", "app-v2")).others() ==
          std::vector<SplitEntry>{{"app-v1", 60}, {"app-v3", 30}});
    // `to` need not be in the split yet.
    CHECK(planned(spec_for("api", "app-v3")).others() ==
          std::vector<SplitEntry>{{"app-v1", 90}, {"app-v2", 10}});
    CHECK(planned(spec_for("api", "app-v2")).state() == RolloutState::pending);
}

TEST_CASE("two sides: from keeps what to does not take", "[rollout]") {
    const std::vector<SplitEntry> from{{"app-v1", 90}};
    for (std::uint32_t weight = 0; weight <= 100; ++weight) {
        CHECK(rollout_split(from, "app-v2", weight) ==
              std::vector<SplitEntry>{{"app-v1", 100 - weight}, {"app-v2", weight}});
    }
}

TEST_CASE("three sides: to last, the others in proportion, summing to 100", "[rollout]") {
    const std::vector<SplitEntry> others{{"app-v1", 60}, {"app-v3", 30}};
    CHECK(rollout_split(others, "app-v2", 25) ==
          std::vector<SplitEntry>{{"app-v1", 50}, {"app-v3", 25}, {"app-v2", 25}});
    // 95 shared 2:1 is 63.33 and 31.67: the larger remainder gets the point.
    CHECK(rollout_split(others, "app-v2", 5) ==
          std::vector<SplitEntry>{{"app-v1", 63}, {"app-v3", 32}, {"app-v2", 5}});
    CHECK(rollout_split(others, "app-v2", 0) ==
          std::vector<SplitEntry>{{"app-v1", 67}, {"app-v3", 33}, {"app-v2", 0}});
    CHECK(rollout_split(others, "app-v2", 100) ==
          std::vector<SplitEntry>{{"app-v1", 0}, {"app-v3", 0}, {"app-v2", 100}});
    // Equal remainders: the earlier side first.
    CHECK(rollout_split({{"a", 1}, {"b", 1}}, "c", 1) ==
          std::vector<SplitEntry>{{"a", 50}, {"b", 49}, {"c", 1}});

    const std::vector<SplitEntry> uneven{{"a", 7}, {"b", 0}, {"c", 13}, {"d", 1}};
    for (std::uint32_t weight = 0; weight <= 100; ++weight) {
        const auto split = rollout_split(uneven, "to", weight);
        INFO("weight " << weight);
        REQUIRE(split.size() == 5);
        CHECK(total(split) == 100);
        CHECK(split.back() == SplitEntry{"to", weight});
        CHECK(split[1].weight == 0);
    }
}

TEST_CASE("a rollout's split moves to from the middle of the route to last", "[rollout]") {
    auto rollout = planned(spec_for("three", "app-v2"));
    rollout.start(at(0ms));
    CHECK(rollout.split() ==
          std::vector<SplitEntry>{{"app-v1", 66}, {"app-v3", 33}, {"app-v2", 1}});
    CHECK(split_weights(rollout.split()) == std::vector<std::pair<std::string, std::int64_t>>{
                                                {"app-v1", 66}, {"app-v3", 33}, {"app-v2", 1}});
}

// What the fleet's leader does with a rollout key (docs/SPEC.md, "Fleet
// rollouts"), driven with made-up moments and tallies.

#include "master/fleet/leader_decision.hpp"

#include "tests/unit/master/rollout/rollout_test_support.hpp"

using namespace turnout::master;
using namespace turnout::master::fleet;
using namespace turnout::master::test;
using Catch::Matchers::Contains;
using State = RolloutState;

namespace {

RolloutRecord requested(std::string route, std::string action) {
    RolloutRecord record;
    record.spec = spec_for(std::move(route), "app-v2");
    record.spec.steps = {25, 50, 100};
    record.spec.interval = 1s;
    record.spec.min_requests = 10;
    record.request = RolloutRequest{std::move(action), "id-1", ""};
    return record;
}

// A record whose rollout started at 0 ms on route api.
RolloutRecord started() {
    auto record = requested("api", "start");
    const auto decision = answer_request(record, live_config(), at(0ms));
    REQUIRE(decision.split_changed);
    return record;
}

Tally all_serving(std::uint64_t requests, std::uint64_t errors) {
    return {{requests, errors, 12.0}, {"a", "b"}, {}};
}

Tally with_behind(std::vector<std::string> behind) {
    return {{0, 0, 0}, {"a"}, std::move(behind)};
}

}  // namespace

TEST_CASE("a start request is planned against the live config and answered", "[fleet]") {
    auto record = started();
    REQUIRE(record.rollout);
    CHECK(record.rollout->state() == State::stepping);
    CHECK(record.rollout->weight() == 25);
    CHECK_FALSE(record.request);
    CHECK(record.answer.at("id") == "id-1");
    CHECK(record.answer.at("error") == "");
    CHECK(record.step_written_ms == at(0ms).unix_ms);
    CHECK_FALSE(record.counting);

    auto unknown = requested("nowhere", "start");
    const auto refused = answer_request(unknown, live_config(), at(0ms));
    CHECK(refused.write);
    CHECK_FALSE(refused.split_changed);
    CHECK_FALSE(unknown.rollout);
    CHECK_THAT(std::string{unknown.answer.at("error").as_string()}, Contains("nowhere"));
}

TEST_CASE("a step is judged only after every live node serves it", "[fleet]") {
    auto record = started();
    // Nodes not serving yet, within the interval after the step: wait.
    CHECK_FALSE(step_rollout(record, with_behind({"b"}), at(500ms)).write);
    // Every node serves: the interval starts now, not when the step was written.
    CHECK(step_rollout(record, all_serving(0, 0), at(700ms)).write);
    CHECK(record.counting);
    CHECK(record.rollout->next_deadline() == at(1700ms).steady);
    CHECK_FALSE(step_rollout(record, all_serving(50, 0), at(1600ms)).write);
    const auto next = step_rollout(record, all_serving(50, 0), at(1700ms));
    CHECK(next.split_changed);
    CHECK(record.rollout->weight() == 50);
    CHECK_FALSE(record.counting);
    CHECK(record.step_written_ms == at(1700ms).unix_ms);
}

TEST_CASE("a node behind past the deadline holds the rollout, named, until it serves", "[fleet]") {
    auto record = started();
    const auto held = step_rollout(record, with_behind({"c"}), at(1000ms));
    CHECK(held.write);
    CHECK_FALSE(held.split_changed);
    CHECK(record.rollout->state() == State::holding);
    CHECK(record.behind == std::vector<std::string>{"c"});
    CHECK_THAT(record.rollout->reason(), Contains("c") && Contains("25%"));
    CHECK_FALSE(record.rollout->next_deadline());
    // Nothing new to write while the same node stays behind.
    CHECK_FALSE(step_rollout(record, with_behind({"c"}), at(5000ms)).write);

    CHECK(step_rollout(record, all_serving(0, 0), at(6000ms)).write);
    CHECK(record.rollout->state() == State::stepping);
    CHECK(record.behind.empty());
    CHECK(record.counting);
    CHECK(record.rollout->next_deadline() == at(7000ms).steady);
}

TEST_CASE("counters that break a limit roll back before the interval ends", "[fleet]") {
    auto record = started();
    step_rollout(record, all_serving(0, 0), at(100ms));
    // Too few requests to judge yet, however bad.
    CHECK_FALSE(step_rollout(record, all_serving(5, 5), at(200ms)).write);
    const auto rollback = step_rollout(record, all_serving(40, 4), at(300ms));
    CHECK(rollback.split_changed);
    CHECK(record.rollout->state() == State::rolled_back);
    CHECK(record.rollout->weight() == 0);
    CHECK_THAT(record.rollout->reason(), Contains("error rate"));
    CHECK_FALSE(step_rollout(record, all_serving(40, 4), at(400ms)).write);
}

TEST_CASE("operator requests act on the rollout; a refused one is answered with why", "[fleet]") {
    auto record = started();
    record.request = RolloutRequest{"pause", "id-2", ""};
    CHECK(answer_request(record, live_config(), at(100ms)).write);
    CHECK(record.rollout->state() == State::paused);
    CHECK(record.answer.at("error") == "");
    CHECK_FALSE(step_rollout(record, all_serving(500, 500), at(5000ms)).write);

    record.request = RolloutRequest{"pause", "id-3", ""};
    answer_request(record, live_config(), at(200ms));
    CHECK_THAT(std::string{record.answer.at("error").as_string()}, Contains("already paused"));

    record.request = RolloutRequest{"promote", "id-4", ""};
    CHECK(answer_request(record, live_config(), at(300ms)).split_changed);
    CHECK(record.rollout->state() == State::promoted);
    CHECK(record.rollout->weight() == 100);
}

TEST_CASE("a new leader reads the record back at the same step and deadline", "[fleet]") {
    auto record = started();
    step_rollout(record, all_serving(0, 0), at(200ms));  // deadline at 1200 ms
    const auto stored = to_json(record, at(300ms));
    CHECK(stored.at("deadline_unix_ms") == at(1200ms).unix_ms);

    // Read by another node 400 ms later: 500 ms of the interval are left.
    auto read = read_rollout_record(stored, at(700ms));
    REQUIRE(std::holds_alternative<RolloutRecord>(read));
    auto& again = std::get<RolloutRecord>(read);
    REQUIRE(again.rollout);
    CHECK(again.rollout->weight() == 25);
    CHECK(again.rollout->step_index() == 0);
    CHECK(again.counting);
    CHECK(again.rollout->next_deadline() == at(1200ms).steady);
    CHECK(again.step_written_ms == record.step_written_ms);

    CHECK(std::holds_alternative<std::string>(
        read_rollout_record(boost::json::value{"not a rollout"}, at(0ms))));
}

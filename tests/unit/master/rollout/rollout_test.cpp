// The rollout state machine of SPEC §7, driven with made-up moments.

#include "master/rollout/rollout.hpp"

#include "tests/unit/master/rollout/rollout_test_support.hpp"

#include <boost/json.hpp>

using namespace turnout::master;
using namespace turnout::master::test;
using Catch::Matchers::Contains;
using turnout::config::SplitEntry;
using State = RolloutState;

namespace {

// Ends the current interval exactly at its deadline with `stats`.
RolloutUpdate end_interval(Rollout& rollout, const IntervalStats& stats) {
    REQUIRE(rollout.next_deadline());
    const auto offset = std::chrono::duration_cast<std::chrono::milliseconds>(
        *rollout.next_deadline() - at(0ms).steady);
    return rollout.on_interval_end(at(offset), stats);
}

Rollout started_on_api() {
    auto rollout = planned(spec_for("api", "app-v2"));
    REQUIRE(rollout.start(at(0ms)).split_changed);
    return rollout;
}

}  // namespace

TEST_CASE("a healthy canary steps 1, 5, 25, 50, 100 and is promoted", "[rollout]") {
    auto rollout = planned(spec_for("api", "app-v2"));
    CHECK(rollout.state() == State::pending);
    CHECK_FALSE(rollout.next_deadline());

    const auto update = rollout.start(at(0ms));
    CHECK_FALSE(update.refused());
    CHECK(update.split_changed);
    CHECK(rollout.state() == State::stepping);
    CHECK(rollout.weight() == 1);
    CHECK(rollout.next_deadline() == at(30s).steady);
    CHECK(rollout.split() == std::vector<SplitEntry>{{"app-v1", 99}, {"app-v2", 1}});

    for (const std::uint32_t expected : {5u, 25u, 50u}) {
        CHECK(end_interval(rollout, healthy).split_changed);
        CHECK(rollout.state() == State::stepping);
        CHECK(rollout.weight() == expected);
    }
    CHECK(rollout.next_deadline() == at(120s).steady);
    CHECK_THAT(rollout.reason(), Contains("healthy over 200 requests") && Contains("step 50%"));

    CHECK(end_interval(rollout, healthy).split_changed);
    CHECK(rollout.state() == State::promoted);
    CHECK(rollout.terminal());
    CHECK(rollout.weight() == 100);
    CHECK(rollout.step_index() == 4);
    CHECK_FALSE(rollout.next_deadline());
    CHECK(rollout.split() == std::vector<SplitEntry>{{"app-v1", 0}, {"app-v2", 100}});

    const auto& transitions = rollout.transitions();
    REQUIRE(transitions.size() == 5);
    CHECK(transitions[0].from == State::pending);
    CHECK(transitions[0].to == State::stepping);
    CHECK(transitions[0].time_ms == at(0ms).unix_ms);
    CHECK(transitions[4].to == State::promoted);
    CHECK(transitions[4].weight == 100);
    CHECK(transitions[4].time_ms == at(120s).unix_ms);
    CHECK(rollout.on_interval_end(at(150s), healthy).refused());
}

TEST_CASE("too few requests hold the step, then it proceeds", "[rollout]") {
    auto rollout = started_on_api();
    CHECK(end_interval(rollout, healthy).split_changed);  // 5%

    const auto held = end_interval(rollout, {12, 0, 10.0});
    CHECK_FALSE(held.refused());
    CHECK_FALSE(held.split_changed);
    CHECK(rollout.state() == State::holding);
    CHECK(rollout.weight() == 5);
    CHECK(rollout.reason() == "only 12 requests < min 50, holding step 5%");
    CHECK(rollout.next_deadline() == at(90s).steady);
    CHECK(rollout.transitions().back().to == State::holding);
    const auto recorded = rollout.transitions().size();

    // Held again: the reason follows the interval, no new transition.
    CHECK_FALSE(end_interval(rollout, {49, 0, 10.0}).split_changed);
    CHECK(rollout.state() == State::holding);
    CHECK(rollout.reason() == "only 49 requests < min 50, holding step 5%");
    CHECK(rollout.transitions().size() == recorded);

    // Too few requests hold even when they all failed (SPEC §7's order).
    CHECK_FALSE(end_interval(rollout, {3, 3, 900.0}).split_changed);
    CHECK(rollout.state() == State::holding);

    CHECK(end_interval(rollout, {50, 0, 10.0}).split_changed);
    CHECK(rollout.state() == State::stepping);
    CHECK(rollout.weight() == 25);
    CHECK(rollout.transitions().back().from == State::holding);
}

TEST_CASE("an error rate above the limit rolls back to 0 and stops", "[rollout]") {
    auto rollout = started_on_api();
    CHECK(end_interval(rollout, healthy).split_changed);

    const auto update = end_interval(rollout, {120, 60, 30.0});
    CHECK(update.split_changed);
    CHECK(rollout.state() == State::rolled_back);
    CHECK(rollout.terminal());
    CHECK(rollout.weight() == 0);
    CHECK_FALSE(rollout.next_deadline());
    CHECK(rollout.reason() == "error rate 0.5 > max 0.01 over 120 requests");
    CHECK(rollout.transitions().back().reason == rollout.reason());
    CHECK(rollout.transitions().back().weight == 0);
    CHECK(rollout.split() == std::vector<SplitEntry>{{"app-v1", 100}, {"app-v2", 0}});

    CHECK(rollout.on_interval_end(at(10min), healthy).refused());
    CHECK_THAT(rollout.pause(at(10min)).error, Contains("already rolled_back"));
    CHECK(rollout.promote(at(10min)).refused());
    CHECK(rollout.state() == State::rolled_back);
}

TEST_CASE("a p99 above the limit rolls back with the reason", "[rollout]") {
    auto rollout = started_on_api();
    CHECK(end_interval(rollout, {100, 0, 812.0}).split_changed);
    CHECK(rollout.state() == State::rolled_back);
    CHECK(rollout.weight() == 0);
    CHECK(rollout.reason() == "p99 812ms > max 500ms");

    auto both = started_on_api();
    end_interval(both, {100, 20, 600.5});
    CHECK(both.reason() == "error rate 0.2 > max 0.01 over 100 requests; p99 600.5ms > max 500ms");
}

TEST_CASE("limits are maxima: reaching them exactly is healthy", "[rollout]") {
    auto rollout = started_on_api();
    end_interval(rollout, {100, 1, 500.0});
    CHECK(rollout.state() == State::stepping);
    CHECK(rollout.weight() == 5);
}

TEST_CASE("pause stops the deadlines; resume starts a fresh interval", "[rollout]") {
    auto rollout = started_on_api();
    const auto paused = rollout.pause(at(10s));
    CHECK_FALSE(paused.refused());
    CHECK_FALSE(paused.split_changed);
    CHECK(rollout.state() == State::paused);
    CHECK(rollout.weight() == 1);
    CHECK_FALSE(rollout.next_deadline());
    CHECK(rollout.reason() == "paused by operator");
    CHECK(rollout.on_interval_end(at(30s), healthy).refused());
    CHECK_THAT(rollout.pause(at(31s)).error, Contains("already paused"));

    CHECK_FALSE(rollout.resume(at(5min), "deploy window open").refused());
    CHECK(rollout.state() == State::stepping);
    CHECK(rollout.reason() == "deploy window open");
    CHECK(rollout.next_deadline() == at(5min + 30s).steady);
    CHECK_THAT(rollout.resume(at(5min)).error, Contains("not paused"));

    // A timer armed before the pause must not judge the fresh interval.
    CHECK_THAT(rollout.on_interval_end(at(5min + 29s), healthy).error, Contains("not over"));
    CHECK(rollout.weight() == 1);
    CHECK(rollout.on_interval_end(at(5min + 30s), healthy).split_changed);
    CHECK(rollout.weight() == 5);
}

TEST_CASE("promote and abort act at once", "[rollout]") {
    auto promoted = started_on_api();
    const auto update = promoted.promote(at(3s), "looks fine");
    CHECK(update.split_changed);
    CHECK(promoted.state() == State::promoted);
    CHECK(promoted.weight() == 100);
    CHECK_FALSE(promoted.next_deadline());
    CHECK(promoted.transitions().back().reason == "looks fine");

    auto aborted = started_on_api();
    aborted.pause(at(1s));
    CHECK(aborted.abort(at(2s)).split_changed);
    CHECK(aborted.state() == State::aborted);
    CHECK(aborted.weight() == 0);
    CHECK(aborted.reason() == "aborted by operator");
    CHECK(aborted.transitions().back().from == State::paused);
    CHECK_THAT(aborted.abort(at(3s)).error, Contains("already aborted"));
    CHECK(aborted.resume(at(3s)).refused());
}

TEST_CASE("a pending rollout only starts; a started one cannot start again", "[rollout]") {
    auto rollout = planned(spec_for("api", "app-v2"));
    CHECK_THAT(rollout.pause(at(0ms)).error, Contains("has not started"));
    CHECK(rollout.abort(at(0ms)).refused());
    CHECK(rollout.on_interval_end(at(1h), healthy).refused());
    rollout.start(at(0ms));
    CHECK_THAT(rollout.start(at(1s)).error, Contains("already started"));
}

TEST_CASE("steps of just 100 promote on start", "[rollout]") {
    auto spec = spec_for("single", "app-v2");
    spec.steps = {100};
    auto rollout = planned(spec);
    CHECK(rollout.start(at(0ms)).split_changed);
    CHECK(rollout.state() == State::promoted);
    CHECK(rollout.split() == std::vector<SplitEntry>{{"app-v1", 0}, {"app-v2", 100}});
}

TEST_CASE("a rollout read back from JSON mid-way goes on identically", "[rollout]") {
    auto spec = spec_for("three", "app-v2");
    spec.steps = {10, 20, 60, 100};
    spec.interval = 1min;
    auto original = planned(spec);
    original.start(at(0ms));
    end_interval(original, healthy);      // 20% at 1 min
    end_interval(original, {5, 0, 1.0});  // holding at 2 min
    original.pause(at(2min + 5s));
    original.resume(at(2min + 10s));  // deadline 3 min 10 s

    // Saved 25 s into the interval, read back by a master that restarted:
    // its steady clock starts elsewhere, the interval has 35 s left.
    const auto text = boost::json::serialize(original.to_json(at(2min + 35s)));
    const auto saved = boost::json::parse(text);
    CHECK(saved.at("deadline_in_ms") == 35'000);
    CHECK(saved.at("state") == "stepping");
    CHECK(saved.at("weight") == 20);
    const RolloutInstant restarted{at(0ms).steady + 100h, at(3h).unix_ms};
    auto result = Rollout::from_json(saved, restarted);
    REQUIRE(std::holds_alternative<Rollout>(result));
    auto& copy = std::get<Rollout>(result);
    CHECK(copy.next_deadline() == restarted.steady + 35s);
    CHECK(copy.spec() == original.spec());
    CHECK(copy.others() == original.others());
    CHECK(copy.transitions() == original.transitions());
    CHECK(copy.reason() == original.reason());
    CHECK(copy.split() == original.split());
    CHECK(copy.to_json(restarted) == original.to_json(at(2min + 35s)));

    // The same intervals from here lead both the same way.
    const IntervalStats intervals[] = {healthy, {3, 0, 1.0}, healthy};
    for (const auto& stats : intervals) {
        end_interval(original, stats);
        const auto copy_now = RolloutInstant{*copy.next_deadline(), 0};
        copy.on_interval_end(copy_now, stats);
        CHECK(copy.state() == original.state());
        CHECK(copy.weight() == original.weight());
        CHECK(copy.step_index() == original.step_index());
        CHECK(copy.reason() == original.reason());
    }
    CHECK(copy.state() == State::promoted);
}

TEST_CASE("a paused or finished rollout reads back with no deadline", "[rollout]") {
    auto rollout = started_on_api();
    rollout.pause(at(1s));
    auto paused = Rollout::from_json(rollout.to_json(at(2s)), at(3s));
    REQUIRE(std::holds_alternative<Rollout>(paused));
    CHECK(std::get<Rollout>(paused).state() == State::paused);
    CHECK_FALSE(std::get<Rollout>(paused).next_deadline());
    CHECK(rollout.to_json(at(2s)).at("deadline_in_ms").is_null());

    rollout.abort(at(4s));
    auto aborted = Rollout::from_json(rollout.to_json(at(5s)), at(6s));
    REQUIRE(std::holds_alternative<Rollout>(aborted));
    CHECK(std::get<Rollout>(aborted).terminal());
}

TEST_CASE("broken saved rollouts are refused with the field named", "[rollout]") {
    const auto good = started_on_api().to_json(at(0ms));
    const auto refused = [&](const char* key, boost::json::value value, const char* fragment) {
        auto broken = good;
        broken[key] = std::move(value);
        auto result = Rollout::from_json(broken, at(0ms));
        REQUIRE(std::holds_alternative<std::string>(result));
        CHECK_THAT(std::get<std::string>(result), Contains(fragment));
    };
    refused("state", "sleeping", "state: unknown state 'sleeping'");
    refused("step", 5, "step: must be an integer from 0 to 4");
    refused("weight", 101, "weight:");
    refused("from", boost::json::array{}, "from:");
    refused("spec", boost::json::object{{"route", "api"}}, "spec: to: required");
    refused("transitions", 3, "transitions:");
    CHECK(std::holds_alternative<std::string>(Rollout::from_json(boost::json::array{}, at(0ms))));
}

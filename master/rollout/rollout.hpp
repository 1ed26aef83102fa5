#pragma once

// A rollout (SPEC §7) as a pure state machine: it moves a route's traffic to
// upstream `to` in steps, and at the end of each interval judges what the
// master measured for `to` in it. It does no I/O and keeps no timers: the
// master reads the clocks, passes the moment in, arms a timer for
// next_deadline(), applies split() as a new config version whenever a call
// reports split_changed, and persists to_json() with it.
//
//   pending  --start-->  stepping (the first step)
//   stepping --healthy interval--> stepping (the next step)
//   stepping --too few requests--> holding --too few--> holding
//   holding  --healthy interval--> stepping (the next step)
//   stepping, holding --unhealthy interval--> rolled_back (weight 0)
//   stepping, holding --healthy, next step 100--> promoted (weight 100)
//   stepping, holding --pause--> paused --resume--> stepping (a fresh interval)
//   stepping, holding, paused --promote--> promoted; --abort--> aborted (0)
//
// A fleet rollout (docs/SPEC.md, "Fleet rollouts") adds: stepping --hold-->
// holding with no deadline (a node does not serve the step) --release-->
// stepping (a fresh interval); restart_interval when every node serves the
// step; on_breach judges the counters so far, rolling back before the
// interval ends once they cross a limit.

#include "master/metrics/interval_stats.hpp"
#include "config/rollout_spec.hpp"

#include "config/config.hpp"

#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace turnout::master {

// promoted, rolled_back and aborted are terminal: nothing changes them.
enum class RolloutState { pending, stepping, holding, paused, promoted, rolled_back, aborted };
std::string_view to_string(RolloutState state);
std::optional<RolloutState> rollout_state_from(std::string_view text);
bool is_terminal(RolloutState state);

// A moment as a rollout sees it: steady time for deadlines, wall time for
// the record. Tests make these up; the master takes rollout_now().
struct RolloutInstant {
    std::chrono::steady_clock::time_point steady;
    std::int64_t unix_ms = 0;
};
RolloutInstant rollout_now();

struct RolloutTransition {
    std::int64_t time_ms = 0;  // Unix time in milliseconds
    RolloutState from = RolloutState::pending;
    RolloutState to = RolloutState::pending;
    std::uint32_t weight = 0;  // `to`'s percent after it
    std::string reason;

    bool operator==(const RolloutTransition&) const = default;
};

// What a call did. When refused, the rollout is as it was and `error` says
// why (HTTP 409). When split_changed, the master applies split() to the
// route as a new config version (source "rollout").
struct RolloutUpdate {
    std::string error;
    bool split_changed = false;

    bool refused() const { return !error.empty(); }
};

// Why a rollout cannot start: not_found (no such route, HTTP 404), invalid
// (HTTP 400), conflict with the live config (HTTP 409).
struct RolloutError {
    enum class Kind { invalid, not_found, conflict };
    Kind kind = Kind::invalid;
    std::string message;
};

class Rollout {
public:
    // `others`: the route's split without `to`, as it was when planned; the
    // rollout shares 100 - weight among them in these proportions.
    Rollout(RolloutSpec spec, std::vector<config::SplitEntry> others);

    // pending → the first step (or promoted when it is 100).
    RolloutUpdate start(const RolloutInstant& now);

    // Judges the interval that ends now (SPEC §7): fewer than min_requests →
    // hold the step; error rate above max_error_rate or p99 above max_p99 →
    // roll back to 0 and stop; else the next step, promoted at 100. Refused
    // unless stepping or holding with now at or past next_deadline(), so a
    // stale timer cannot judge a fresh interval.
    RolloutUpdate on_interval_end(const RolloutInstant& now, const IntervalStats& stats);

    // Rolls back now when `stats`, counted since the interval began, already
    // hold min_requests and break a limit; else changes nothing (no error,
    // no split change). Refused unless stepping or holding.
    RolloutUpdate on_breach(const RolloutInstant& now, const IntervalStats& stats);

    // Holds the step with no deadline until release(): for a step some
    // node does not serve. Refused unless stepping or holding; when already
    // holding only the reason changes.
    RolloutUpdate hold(const RolloutInstant& now, const std::string& reason);
    // holding → stepping, with a fresh interval. Refused unless holding.
    RolloutUpdate release(const RolloutInstant& now, const std::string& reason);
    // The interval starts again now (every node serves the step). Nothing
    // unless stepping or holding.
    void restart_interval(const RolloutInstant& now);

    // Act at once; refused while pending or terminal (and pause when
    // paused, resume when not). An empty reason is recorded as "paused by
    // operator" and so on. resume starts a fresh interval at the same step.
    RolloutUpdate pause(const RolloutInstant& now, const std::string& reason = {});
    RolloutUpdate resume(const RolloutInstant& now, const std::string& reason = {});
    RolloutUpdate promote(const RolloutInstant& now, const std::string& reason = {});
    RolloutUpdate abort(const RolloutInstant& now, const std::string& reason = {});

    // When to call on_interval_end: the last step, hold or resume plus the
    // interval. None while pending, paused or terminal.
    std::optional<std::chrono::steady_clock::time_point> next_deadline() const { return deadline_; }

    const RolloutSpec& spec() const { return spec_; }
    const std::vector<config::SplitEntry>& others() const { return others_; }
    RolloutState state() const { return state_; }
    bool terminal() const { return is_terminal(state_); }
    std::uint32_t weight() const { return weight_; }       // `to`'s percent now
    std::size_t step_index() const { return step_; }       // into spec().steps
    const std::string& reason() const { return reason_; }  // the last decision's
    const std::vector<RolloutTransition>& transitions() const { return transitions_; }

    // The route's split for weight(): rollout_split(others(), to, weight()).
    std::vector<config::SplitEntry> split() const;

    // The whole rollout, for GET /v1/rollouts/{route}, status and state_dir:
    //   {"route", "to", "state", "weight", "step", "reason",
    //    "spec": {as parse_rollout_spec reads it},
    //    "from": [{"upstream", "weight"}...]   (others(), as planned),
    //    "split": [{"upstream", "weight"}...]  (split(); not read back),
    //    "deadline_in_ms": ms from `now` to next_deadline(), or null,
    //    "transitions": [{"time_ms", "from", "to", "weight", "reason"}...]}
    // The deadline is kept as time remaining, not as a clock reading, since
    // steady time does not survive a restart and wall time may jump.
    boost::json::object to_json(const RolloutInstant& now) const;

    // Reads to_json's form back; the deadline becomes now + deadline_in_ms
    // (at most one interval), so a restarted master goes on at the step it
    // was at with what was left of the interval. Returns the message of
    // what is wrong otherwise.
    static std::variant<Rollout, std::string> from_json(const boost::json::value& value,
                                                        const RolloutInstant& now);

private:
    void record(const RolloutInstant& now, RolloutState next, std::uint32_t weight,
                std::string reason);
    void begin_interval(const RolloutInstant& now);
    RolloutUpdate refuse_unless_live(std::string_view action) const;

    RolloutSpec spec_;
    std::vector<config::SplitEntry> others_;
    RolloutState state_ = RolloutState::pending;
    std::size_t step_ = 0;
    std::uint32_t weight_ = 0;
    std::string reason_;
    std::optional<std::chrono::steady_clock::time_point> deadline_;
    std::vector<RolloutTransition> transitions_;
};

// Checks `spec` against the live config and returns a pending rollout, or
// why it cannot run: the route must exist (not_found), `to` must be an
// upstream (invalid), and the route must send some traffic elsewhere
// (conflict when `to` already has 100% of it). The "from" sides are the
// route's split without `to`; `to` need not be in the split yet (a route
// written `upstream: app-v1` moves from app-v1).
std::variant<Rollout, RolloutError> plan_rollout(RolloutSpec spec, const config::Config& live);

}  // namespace turnout::master

// The rollout state machine: steps, holds, rollbacks and operator actions.

#include "master/rollout/rollout.hpp"

#include "master/rollout/rollout_split.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

namespace turnout::master {

namespace {

using State = RolloutState;

constexpr std::array<std::pair<State, std::string_view>, 7> state_names{{
    {State::pending, "pending"},
    {State::stepping, "stepping"},
    {State::holding, "holding"},
    {State::paused, "paused"},
    {State::promoted, "promoted"},
    {State::rolled_back, "rolled_back"},
    {State::aborted, "aborted"},
}};

// "812ms", "812.4ms": a latency with at most one decimal.
std::string ms_text(double ms) {
    auto text = fmt::format("{:.1f}", ms);
    if (text.ends_with(".0")) {
        text.resize(text.size() - 2);
    }
    return text + "ms";
}

double error_rate(const IntervalStats& stats) {
    if (stats.requests == 0) {
        return 0.0;
    }
    return static_cast<double>(stats.errors) / static_cast<double>(stats.requests);
}

// Why the interval was unhealthy, or empty when it was not. Both limits are
// named when both were broken.
std::string unhealthy_reason(const RolloutSpec& spec, const IntervalStats& stats) {
    std::string reason;
    const double rate = error_rate(stats);
    if (rate > spec.max_error_rate) {
        reason = fmt::format("error rate {:.4g} > max {:.4g} over {} requests", rate,
                             spec.max_error_rate, stats.requests);
    }
    if (stats.p99_ms > static_cast<double>(spec.max_p99.count())) {
        reason += reason.empty() ? "" : "; ";
        reason += fmt::format("p99 {} > max {}ms", ms_text(stats.p99_ms), spec.max_p99.count());
    }
    return reason;
}

std::string healthy_summary(const IntervalStats& stats) {
    const double rate = error_rate(stats);
    return fmt::format("healthy over {} requests (error rate {:.4g}, p99 {})", stats.requests, rate,
                       ms_text(stats.p99_ms));
}

std::string or_default(const std::string& reason, std::string_view action) {
    return reason.empty() ? std::string{action} + " by operator" : reason;
}

}  // namespace

std::string_view to_string(RolloutState state) {
    for (const auto& [value, name] : state_names) {
        if (value == state) {
            return name;
        }
    }
    return "unknown";
}

std::optional<RolloutState> rollout_state_from(std::string_view text) {
    for (const auto& [value, name] : state_names) {
        if (name == text) {
            return value;
        }
    }
    return std::nullopt;
}

bool is_terminal(RolloutState state) {
    return state == State::promoted || state == State::rolled_back || state == State::aborted;
}

RolloutInstant rollout_now() {
    const auto wall = std::chrono::system_clock::now().time_since_epoch();
    return {std::chrono::steady_clock::now(),
            std::chrono::duration_cast<std::chrono::milliseconds>(wall).count()};
}

Rollout::Rollout(RolloutSpec spec, std::vector<config::SplitEntry> others)
    : spec_(std::move(spec)), others_(std::move(others)) {}

std::vector<config::SplitEntry> Rollout::split() const {
    return rollout_split(others_, spec_.to, weight_);
}

void Rollout::record(const RolloutInstant& now, RolloutState next, std::uint32_t weight,
                     std::string reason) {
    transitions_.push_back({now.unix_ms, state_, next, weight, reason});
    state_ = next;
    weight_ = weight;
    reason_ = std::move(reason);
    if (is_terminal(next) || next == State::paused) {
        deadline_.reset();
    }
}

void Rollout::begin_interval(const RolloutInstant& now) {
    deadline_ = now.steady + spec_.interval;
}

RolloutUpdate Rollout::refuse_unless_live(std::string_view action) const {
    if (state_ == State::pending) {
        return {fmt::format("cannot {} the rollout of route '{}': it has not started", action,
                            spec_.route),
                false};
    }
    if (is_terminal(state_)) {
        return {fmt::format("cannot {} the rollout of route '{}': it is already {}", action,
                            spec_.route, to_string(state_)),
                false};
    }
    return {};
}

RolloutUpdate Rollout::start(const RolloutInstant& now) {
    if (state_ != State::pending) {
        return {fmt::format("the rollout of route '{}' has already started", spec_.route), false};
    }
    const auto first = spec_.steps.front();
    step_ = 0;
    if (first >= 100) {
        record(now, State::promoted, 100, "started at 100%: promoted");
    } else {
        record(now, State::stepping, first, fmt::format("started: step {}%", first));
        begin_interval(now);
    }
    return {{}, true};
}

RolloutUpdate Rollout::on_interval_end(const RolloutInstant& now, const IntervalStats& stats) {
    if (state_ != State::stepping && state_ != State::holding) {
        return {fmt::format("the rollout of route '{}' is {}, not in an interval", spec_.route,
                            to_string(state_)),
                false};
    }
    if (!deadline_ || now.steady < *deadline_) {
        return {fmt::format("the interval of the rollout of route '{}' is not over", spec_.route),
                false};
    }
    if (stats.requests < spec_.min_requests) {
        auto reason = fmt::format("only {} requests < min {}, holding step {}%", stats.requests,
                                  spec_.min_requests, weight_);
        if (state_ == State::holding) {
            reason_ = std::move(reason);  // still holding: no transition
        } else {
            record(now, State::holding, weight_, std::move(reason));
        }
        begin_interval(now);
        return {};
    }
    if (auto reason = unhealthy_reason(spec_, stats); !reason.empty()) {
        record(now, State::rolled_back, 0, std::move(reason));
        return {{}, true};
    }
    step_ = std::min(step_ + 1, spec_.steps.size() - 1);
    const auto next = spec_.steps[step_];
    if (next >= 100) {
        record(now, State::promoted, 100, healthy_summary(stats) + ": promoted at 100%");
    } else {
        record(now, State::stepping, next,
               fmt::format("{}: step {}%", healthy_summary(stats), next));
        begin_interval(now);
    }
    return {{}, true};
}

RolloutUpdate Rollout::on_breach(const RolloutInstant& now, const IntervalStats& stats) {
    if (state_ != State::stepping && state_ != State::holding) {
        return {fmt::format("the rollout of route '{}' is {}, not in an interval", spec_.route,
                            to_string(state_)),
                false};
    }
    if (stats.requests < spec_.min_requests) {
        return {};
    }
    auto reason = unhealthy_reason(spec_, stats);
    if (reason.empty()) {
        return {};
    }
    record(now, State::rolled_back, 0, reason + " (before the interval ended)");
    return {{}, true};
}

RolloutUpdate Rollout::hold(const RolloutInstant& now, const std::string& reason) {
    if (state_ != State::stepping && state_ != State::holding) {
        return {fmt::format("cannot hold the rollout of route '{}': it is {}", spec_.route,
                            to_string(state_)),
                false};
    }
    if (state_ == State::holding) {
        reason_ = reason;
    } else {
        record(now, State::holding, weight_, reason);
    }
    deadline_.reset();
    return {};
}

RolloutUpdate Rollout::release(const RolloutInstant& now, const std::string& reason) {
    if (state_ != State::holding) {
        return {fmt::format("cannot release the rollout of route '{}': it is {}, not holding",
                            spec_.route, to_string(state_)),
                false};
    }
    record(now, State::stepping, weight_, reason);
    begin_interval(now);
    return {};
}

void Rollout::restart_interval(const RolloutInstant& now) {
    if (state_ == State::stepping || state_ == State::holding) {
        begin_interval(now);
    }
}

RolloutUpdate Rollout::pause(const RolloutInstant& now, const std::string& reason) {
    if (auto refused = refuse_unless_live("pause"); refused.refused()) {
        return refused;
    }
    if (state_ == State::paused) {
        return {fmt::format("the rollout of route '{}' is already paused", spec_.route), false};
    }
    record(now, State::paused, weight_, or_default(reason, "paused"));
    return {};
}

RolloutUpdate Rollout::resume(const RolloutInstant& now, const std::string& reason) {
    if (auto refused = refuse_unless_live("resume"); refused.refused()) {
        return refused;
    }
    if (state_ != State::paused) {
        return {fmt::format("the rollout of route '{}' is {}, not paused", spec_.route,
                            to_string(state_)),
                false};
    }
    record(now, State::stepping, weight_, or_default(reason, "resumed"));
    begin_interval(now);
    return {};
}

RolloutUpdate Rollout::promote(const RolloutInstant& now, const std::string& reason) {
    if (auto refused = refuse_unless_live("promote"); refused.refused()) {
        return refused;
    }
    step_ = spec_.steps.size() - 1;
    record(now, State::promoted, 100, or_default(reason, "promoted"));
    return {{}, true};
}

RolloutUpdate Rollout::abort(const RolloutInstant& now, const std::string& reason) {
    if (auto refused = refuse_unless_live("abort"); refused.refused()) {
        return refused;
    }
    record(now, State::aborted, 0, or_default(reason, "aborted"));
    return {{}, true};
}

}  // namespace turnout::master

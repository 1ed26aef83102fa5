#include "master/fleet/leader_decision.hpp"

#include <fmt/format.h>

namespace turnout::master::fleet {

namespace {

void step_written(RolloutRecord& record, const RolloutInstant& now) {
    record.step_written_ms = now.unix_ms;
    record.counting = false;
    record.behind.clear();
}

std::string node_list(const std::vector<std::string>& nodes) {
    return fmt::format("{}", fmt::join(nodes, ", "));
}

RolloutUpdate start(RolloutRecord& record, const config::Config& live, const RolloutInstant& now) {
    if (record.live()) {
        return {fmt::format("route {} already has a rollout in progress; abort or promote it first",
                            record.spec.route),
                false};
    }
    auto planned = plan_rollout(record.spec, live);
    if (auto* error = std::get_if<RolloutError>(&planned)) {
        return {error->message, false};
    }
    record.rollout.emplace(std::get<Rollout>(std::move(planned)));
    return record.rollout->start(now);
}

RolloutUpdate act(RolloutRecord& record, const RolloutRequest& request, const config::Config& live,
                  const RolloutInstant& now) {
    if (request.action == "start") {
        return start(record, live, now);
    }
    if (!record.rollout) {
        return {fmt::format("cannot {} the rollout of route '{}': it has not started",
                            request.action, record.spec.route),
                false};
    }
    auto& rollout = *record.rollout;
    if (request.action == "pause") {
        return rollout.pause(now, request.reason);
    }
    if (request.action == "resume") {
        return rollout.resume(now, request.reason);
    }
    if (request.action == "promote") {
        return rollout.promote(now, request.reason);
    }
    if (request.action == "abort") {
        return rollout.abort(now, request.reason);
    }
    return {fmt::format("unknown action '{}'; use start, pause, resume, promote or abort",
                        request.action),
            false};
}

}  // namespace

std::chrono::milliseconds behind_after(const RolloutSpec& spec) {
    return std::max<std::chrono::milliseconds>(
        std::chrono::duration_cast<std::chrono::milliseconds>(spec.interval),
        std::chrono::seconds{1});
}

LeaderDecision answer_request(RolloutRecord& record, const config::Config& live,
                              const RolloutInstant& now) {
    if (!record.request) {
        return {};
    }
    const auto request = *std::exchange(record.request, std::nullopt);
    const auto update = act(record, request, live, now);
    record.answer = {{"id", request.id}, {"action", request.action}, {"error", update.error}};
    if (update.split_changed) {
        step_written(record, now);
    }
    return {true, update.split_changed};
}

LeaderDecision step_rollout(RolloutRecord& record, const Tally& tally, const RolloutInstant& now) {
    if (!record.rollout) {
        return {};
    }
    auto& rollout = *record.rollout;
    const auto state = rollout.state();
    if (state != RolloutState::stepping && state != RolloutState::holding) {
        return {};
    }
    if (!tally.behind.empty()) {
        const bool late = now.unix_ms - record.step_written_ms >= behind_after(record.spec).count();
        if (!late || record.behind == tally.behind) {
            return {};
        }
        rollout.hold(now, fmt::format("waiting for node(s) {} to serve step {}%",
                                      node_list(tally.behind), rollout.weight()));
        record.behind = tally.behind;
        record.counting = false;
        return {true, false};
    }
    if (!record.behind.empty()) {
        const auto caught_up = node_list(record.behind);
        record.behind.clear();
        record.counting = true;
        rollout.release(now, fmt::format("node(s) {} serve step {}%: a fresh interval", caught_up,
                                         rollout.weight()));
        return {true, false};
    }
    if (!record.counting) {
        record.counting = true;
        rollout.restart_interval(now);
        return {true, false};
    }
    const auto deadline = rollout.next_deadline();
    if (deadline && now.steady >= *deadline) {
        const auto update = rollout.on_interval_end(now, tally.stats);
        if (update.refused()) {
            return {};
        }
        if (update.split_changed) {
            step_written(record, now);
        }
        return {true, update.split_changed};
    }
    const auto update = rollout.on_breach(now, tally.stats);
    if (!update.split_changed) {
        return {};
    }
    step_written(record, now);
    return {true, true};
}

}  // namespace turnout::master::fleet

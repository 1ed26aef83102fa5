// Rollouts (SPEC §7) as the master runs them: the state machine of
// rollout.hpp, a timer per rollout, interval stats from the workers'
// metrics, every step a persisted config version, and the rollout itself
// saved in state_dir/rollouts so it goes on after a restart.

#include "master/master.hpp"

#include "config/edits.hpp"
#include "config/json_codec.hpp"
#include "master/rollout/rollout_split.hpp"
#include "server/logfmt.hpp"

#include <boost/json/serialize.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace turnout::master {

namespace json = boost::json;

namespace {

constexpr const char* rollouts_folder = "rollouts";

unsigned status_of(RolloutError::Kind kind) {
    switch (kind) {
    case RolloutError::Kind::not_found:
        return 404;
    case RolloutError::Kind::conflict:
        return 409;
    case RolloutError::Kind::invalid:
        return 400;
    }
    return 400;
}

}  // namespace

void Master::start_rollout(const json::value& body, AdminCallback done) {
    changes_.enqueue([this, body, done](Job job) {
        auto parsed = parse_rollout_spec(body);
        if (auto* error = std::get_if<std::string>(&parsed)) {
            done({400, error_json(*error)});
            return;
        }
        auto spec = std::get<RolloutSpec>(std::move(parsed));
        const auto route = spec.route;
        if (auto running = rollouts_.find(route);
            running != rollouts_.end() && !running->second.rollout.terminal()) {
            done({409, error_json("route " + route +
                                  " already has a rollout in progress; "
                                  "abort or promote it first")});
            return;
        }
        auto planned = plan_rollout(std::move(spec), *live_);
        if (auto* error = std::get_if<RolloutError>(&planned)) {
            done({status_of(error->kind), error_json(error->message)});
            return;
        }
        auto rollout = std::get<Rollout>(std::move(planned));
        const auto update = rollout.start(rollout_now());
        metrics_.interval_stats(route, rollout.spec().to);  // the first interval starts now
        auto timer = std::make_shared<boost::asio::steady_timer>(io_);
        rollouts_.insert_or_assign(route, RunningRollout{std::move(rollout), std::move(timer)});
        rollout_changed(route, update, 201, done, std::move(job));
    });
}

AdminResult Master::rollout_status(const std::string& route) {
    auto running = rollouts_.find(route);
    if (running == rollouts_.end()) {
        return {404,
                error_json("no rollout for route " + route + " (start one: POST /v1/rollouts)")};
    }
    return {200, running->second.rollout.to_json(rollout_now())};
}

void Master::rollout_action(const std::string& route, const std::string& action,
                            AdminCallback done) {
    changes_.enqueue([this, route, action, done](Job job) {
        auto running = rollouts_.find(route);
        if (running == rollouts_.end()) {
            done({404, error_json("no rollout for route " + route)});
            return;
        }
        auto& rollout = running->second.rollout;
        const auto now = rollout_now();
        const std::string reason = "by the admin API";
        RolloutUpdate update;
        if (action == "pause") {
            update = rollout.pause(now, reason);
        } else if (action == "resume") {
            update = rollout.resume(now, reason);
            metrics_.interval_stats(route, rollout.spec().to);  // a fresh interval
        } else if (action == "promote") {
            update = rollout.promote(now, reason);
        } else {
            update = rollout.abort(now, reason);
        }
        if (update.refused()) {
            done({409, error_json(update.error)});
            return;
        }
        rollout_changed(route, update, 200, done, std::move(job));
    });
}

// After any accepted step: put the new split live as a config version when
// it changed, then save the rollout and arm its timer. Ends the job.
void Master::rollout_changed(const std::string& route, const RolloutUpdate& update, unsigned status,
                             AdminCallback done, Job job) {
    auto& rollout = rollouts_.at(route).rollout;
    auto finish = [this, route, status, done](AdminResult applied) {
        auto& rollout = rollouts_.at(route).rollout;
        save_rollout(route);
        arm_rollout_timer(route);
        done(applied.status == 200 ? AdminResult{status, rollout.to_json(rollout_now())} : applied);
    };
    if (!update.split_changed) {
        finish({200, {}});
        return;
    }
    auto edited = config::put_split(*live_, route, split_weights(rollout.split()));
    if (auto* error = std::get_if<config::EditError>(&edited)) {
        const auto why =
            error->errors.empty() ? std::string{"refused"} : error->errors.front().message;
        rollout.abort(rollout_now(), "the route changed under the rollout: " + why);
        finish({409, error_json("rollout aborted: " + why)});
        return;
    }
    auto config = std::get<std::shared_ptr<const config::Config>>(std::move(edited));
    worker::ConfigDelta delta{worker::ConfigDelta::Op::put_route, route, *config->find_route(route),
                              std::nullopt};
    const auto summary = fmt::format("rollout {}: {} {}% ({})", route, rollout.spec().to,
                                     rollout.weight(), to_string(rollout.state()));
    commit_and_push(std::move(config), "rollout", summary, std::move(delta), std::move(finish),
                    std::move(job));
}

void Master::save_rollout(const std::string& route) {
    try {
        store_.save_record(rollouts_folder, route + ".json",
                           json::serialize(rollouts_.at(route).rollout.to_json(rollout_now())));
    } catch (const std::system_error& error) {
        spdlog::error("msg=\"cannot save rollout\" route={} error={}", log_value(route),
                      log_value(error.what()));
    }
}

void Master::arm_rollout_timer(const std::string& route) {
    auto& running = rollouts_.at(route);
    running.timer->cancel();
    const auto deadline = running.rollout.next_deadline();
    if (!deadline) {
        return;
    }
    running.timer->expires_at(*deadline);
    running.timer->async_wait([this, route, timer = running.timer](boost::system::error_code ec) {
        if (!ec) {
            // Judge the interval on counters as of now, not the last poll.
            with_fresh_stats([this, route] {
                changes_.enqueue(
                    [this, route](Job job) { end_rollout_interval(route, std::move(job)); });
            });
        }
    });
}

void Master::end_rollout_interval(const std::string& route, Job job) {
    auto running = rollouts_.find(route);
    if (running == rollouts_.end() || running->second.rollout.terminal()) {
        return;
    }
    auto& rollout = running->second.rollout;
    const auto stats = metrics_.interval_stats(route, rollout.spec().to);
    const auto update = rollout.on_interval_end(rollout_now(), stats);
    if (update.refused()) {
        arm_rollout_timer(route);  // not due yet (a resume moved the deadline)
        return;
    }
    spdlog::info("msg=\"rollout interval\" route={} to={} requests={} errors={} p99_ms={:.1f} "
                 "state={} weight={} reason={}",
                 log_value(route), log_value(rollout.spec().to), stats.requests, stats.errors,
                 stats.p99_ms, to_string(rollout.state()), rollout.weight(),
                 log_value(rollout.reason()));
    rollout_changed(
        route, update, 200, [](AdminResult) {}, std::move(job));
}

// SPEC §7: a rollout goes on after a restart from the step it was at.
void Master::restore_rollouts() {
    for (const auto& [name, text] : store_.load_records(rollouts_folder)) {
        const auto json = config::parse_json(text);
        auto restored = json ? Rollout::from_json(*json, rollout_now())
                             : std::variant<Rollout, std::string>{std::string{"not JSON"}};
        if (auto* error = std::get_if<std::string>(&restored)) {
            spdlog::error("msg=\"saved rollout does not load\" file={} error={}", log_value(name),
                          log_value(*error));
            continue;
        }
        auto rollout = std::get<Rollout>(std::move(restored));
        const auto route = rollout.spec().route;
        metrics_.interval_stats(route, rollout.spec().to);
        spdlog::info("msg=\"rollout restored\" route={} state={} weight={}", log_value(route),
                     to_string(rollout.state()), rollout.weight());
        rollouts_.insert_or_assign(
            route,
            RunningRollout{std::move(rollout), std::make_shared<boost::asio::steady_timer>(io_)});
        arm_rollout_timer(route);
    }
}

}  // namespace turnout::master

// What the master reports: status, the live config, history, metrics.

#include "master/master.hpp"

#include "master/fleet/fleet_rollouts.hpp"
#include "master/health/health_checker.hpp"
#include "master/metrics/prometheus_text.hpp"
#include "config/time_format.hpp"
#include "master/fleet/fleet_source.hpp"
#include "master/version.hpp"

#include "config/yaml_writer.hpp"

#include <unistd.h>

namespace turnout::master {

namespace json = boost::json;

json::array Master::rollouts_json() const {
    json::array rollouts;
    const auto now = rollout_now();
    for (const auto& [route, running] : rollouts_) {
        rollouts.push_back(running.rollout.to_json(now));
    }
    return rollouts;
}

json::value Master::status() {
    json::array workers;
    for (const auto& slot : slots_) {
        workers.push_back(json::object{{"slot", slot.slot},
                                       {"pid", slot.pid},
                                       {"version", slot.version},
                                       {"state", to_string(slot.state)},
                                       {"restarts", slot.restarts}});
    }
    json::array upstreams;
    for (const auto& upstream : live_->upstreams) {
        json::array targets;
        std::size_t unhealthy = 0;
        for (const auto& target : upstream.targets) {
            const auto healthy = health_->healthy(upstream.name, target.address.text);
            unhealthy += healthy.has_value() && !*healthy;
            targets.push_back(json::object{{"address", target.address.text},
                                           {"weight", target.weight},
                                           {"health", !healthy   ? "unchecked"
                                                      : *healthy ? "healthy"
                                                                 : "unhealthy"}});
        }
        // Every target unhealthy: workers use them all rather than none.
        const bool panic = unhealthy == upstream.targets.size();
        const auto rate = rates_.rate(upstream.name);
        upstreams.push_back(json::object{{"name", upstream.name},
                                         {"panic", panic},
                                         {"requests_per_s", rate.requests_per_s},
                                         {"error_rate", rate.error_rate},
                                         {"targets", std::move(targets)}});
    }
    const auto uptime = std::chrono::steady_clock::now() - started_at_;
    json::object status{
        {"version", version_},
        {"turnout_version", turnout_version()},
        {"source", live_source_},
        {"pid", ::getpid()},
        {"uptime_s", std::chrono::duration_cast<std::chrono::seconds>(uptime).count()},
        {"state", stopping_ ? "stopping" : "running"},
        {"routes", live_->routes.size()},
        {"workers", std::move(workers)},
        {"upstreams", std::move(upstreams)},
        {"rollouts", rollouts_json()},
    };
    if (fleet_) {
        auto etcd = fleet_->status();
        if (fleet_rollouts_) {
            etcd["leading"] = fleet_rollouts_->status().at("leading");
        }
        status["etcd"] = std::move(etcd);
    }
    return status;
}

std::pair<std::string, std::uint64_t> Master::live_config() {
    return {config::to_yaml(*live_), version_};
}

AdminResult Master::history() {
    json::array versions;
    for (const auto& info : store_.history(ConfigStore::kept_versions)) {
        versions.push_back(json::object{{"version", info.version},
                                        {"time", iso8601_utc(info.time_ms)},
                                        {"source", info.source},
                                        {"summary", info.summary}});
    }
    return {200, json::object{{"versions", std::move(versions)}}};
}

std::string Master::metrics() {
    unsigned restarts = 0;
    for (const auto& slot : slots_) {
        restarts += slot.restarts;
    }
    std::string text;
    append_gauge(text, "turnout_config_version", "The config version the master serves.", {},
                 static_cast<double>(version_));
    append_counter(text, "turnout_worker_restarts_total", "Workers restarted after they died.", {},
                   restarts);
    append_histogram(text, "turnout_config_apply_seconds",
                     "Time from a change's arrival to every worker's acknowledgement.", {},
                     apply_seconds_);
    append_family(text, "turnout_target_healthy", "gauge",
                  "1 while a target passes its active health checks, 0 when it fails them.");
    for (const auto& upstream : live_->upstreams) {
        for (const auto& target : upstream.targets) {
            if (const auto healthy = health_->healthy(upstream.name, target.address.text)) {
                append_sample(text, "turnout_target_healthy",
                              {{"upstream", upstream.name}, {"target", target.address.text}},
                              *healthy ? 1 : 0);
            }
        }
    }
    append_family(text, "turnout_rollout_weight", "gauge",
                  "The percent of a route's traffic a rollout sends to its new upstream.");
    for (const auto& [route, running] : rollouts_) {
        append_sample(text, "turnout_rollout_weight",
                      {{"route", route}, {"upstream", running.rollout.spec().to}},
                      running.rollout.weight());
    }
    return metrics_.render_prometheus(text);
}

}  // namespace turnout::master

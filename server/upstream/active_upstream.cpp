#include "server/upstream/active_upstream.hpp"

#include "server/logfmt.hpp"
#include "server/upstream/upstream_tls.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace turnout::server {

namespace {

// An ejection lasts eject_for times the number of ejections so far, up to
// this many times eject_for.
constexpr std::uint32_t max_ejection_multiple = 10;

}  // namespace

ActiveUpstream::ActiveUpstream(boost::asio::io_context& io, config::Upstream upstream)
    : config_{std::move(upstream)}, balancer_{make_balancer(config_)},
      health_(config_.targets.size()), in_flight_(config_.targets.size(), 0) {
    pools_.reserve(config_.targets.size());
    for (const auto& target : config_.targets) {
        pools_.push_back(std::make_shared<TargetPool>(io, target, config_.keepalive));
    }
    reload_tls();
}

void ActiveUpstream::reload_tls() {
    if (!config_.tls) {
        return;
    }
    std::string error;
    auto context = make_upstream_tls_context(*config_.tls, error);
    if (!context) {
        // The master checked the file before this apply; it changed since.
        // A context made earlier stays in use.
        spdlog::error("msg=\"upstream CA not reloaded\" upstream={} error={} kept_previous={}",
                      log_value(config_.name), log_value(error), tls_context_ != nullptr);
        return;
    }
    tls_context_ = std::move(context);
}

ActiveUpstream::~ActiveUpstream() {
    for (auto& pool : pools_) {
        pool->close_all();
    }
}

void ActiveUpstream::set_unhealthy(std::size_t target, bool unhealthy) {
    if (target < health_.size()) {
        health_[target].unhealthy = unhealthy;
    }
}

// A target that has served well for eject_for since its last ejection ended
// earns one step of its ejection multiple back.
void ActiveUpstream::record_success(std::size_t target, clock::time_point now) {
    auto& health = health_[target];
    health.consecutive_failures = 0;
    if (health.ejections > 0 && now >= health.ejected_until + config_.outlier.eject_for) {
        --health.ejections;
        health.ejected_until = now;
    }
}

void ActiveUpstream::record_failure(std::size_t target, clock::time_point now) {
    const auto threshold = config_.outlier.consecutive_failures;
    auto& health = health_[target];
    if (threshold == 0 || now < health.ejected_until) {
        return;  // off, or already ejected: failures while out do not count
    }
    if (++health.consecutive_failures < threshold) {
        return;
    }
    health.ejections = std::min(health.ejections + 1, max_ejection_multiple);
    health.ejected_until = now + config_.outlier.eject_for * health.ejections;
    health.consecutive_failures = 0;
    spdlog::warn("msg=\"target ejected\" upstream={} target={} for_ms={}", log_value(config_.name),
                 log_value(config_.targets[target].address.text),
                 (config_.outlier.eject_for * health.ejections).count());
}

bool ActiveUpstream::available(std::size_t target, clock::time_point now) const {
    const auto& health = health_[target];
    return !health.unhealthy && now >= health.ejected_until;
}

void ActiveUpstream::excluded_for_pick(const TargetFlags& tried, clock::time_point now,
                                       TargetFlags& out) const {
    out.assign(health_.size(), 0);
    bool any_left = false;
    for (std::size_t i = 0; i < health_.size(); ++i) {
        const bool was_tried = i < tried.size() && tried[i];
        out[i] = was_tried || !available(i, now);
        any_left = any_left || !out[i];
    }
    if (!any_left) {
        for (std::size_t i = 0; i < health_.size(); ++i) {
            out[i] = i < tried.size() && tried[i];
        }
    }
}

}  // namespace turnout::server

#include "server/serving_state.hpp"

#include "server/exchange_pool.hpp"
#include "server/logfmt.hpp"

#include <spdlog/spdlog.h>

#include <utility>

namespace turnout::server {

ServingState::ServingState(boost::asio::io_context& io)
    : io_{io}, exchanges_{ExchangePool::of(io)} {}

RouteTable ServingState::apply(config::Config config) {
    decltype(upstreams_) upstreams;
    for (const auto& upstream : config.upstreams) {
        auto kept = upstreams_.find(upstream.name);
        if (kept != upstreams_.end() && kept->second->config() == upstream) {
            kept->second->reload_tls();  // a renewed CA file counts from this apply on
            upstreams.emplace(upstream.name, kept->second);
        } else {
            upstreams.emplace(upstream.name, make_upstream(upstream));
        }
    }
    upstreams_ = std::move(upstreams);
    RouteTable replaced = std::exchange(routes_, RouteTable{std::move(config.routes)});
    routes_.for_each([this](RouteEntry& entry) { point_at_upstreams(entry); });
    limits_ = config.limits;
    open_access_log(config.access_log);
    return replaced;
}

void ServingState::open_access_log(const std::optional<std::string>& destination) {
    if (!destination) {
        access_log_.reset();
        return;
    }
    if (access_log_ && access_log_->destination() == *destination) {
        return;
    }
    try {
        access_log_ = std::make_shared<AccessLog>(*destination);
    } catch (const std::exception& error) {
        spdlog::error("msg=\"cannot open the access log\" path={} error={}",
                      log_value(*destination), log_value(error.what()));
        access_log_.reset();
    }
}

void ServingState::reopen_access_log() {
    if (!access_log_ || access_log_->destination() == "stdout") {
        return;
    }
    try {
        access_log_ = std::make_shared<AccessLog>(access_log_->destination());
        spdlog::info("msg=\"access log reopened\" path={}", log_value(access_log_->destination()));
    } catch (const std::exception& error) {
        spdlog::error("msg=\"cannot reopen the access log, writing on to the old file\" path={} "
                      "error={}",
                      log_value(access_log_->destination()), log_value(error.what()));
    }
}

void ServingState::put_route(const config::Route& route) {
    point_at_upstreams(routes_.upsert(route));
}

bool ServingState::remove_route(std::string_view name) {
    return routes_.remove(name);
}

void ServingState::put_upstream(const config::Upstream& upstream) {
    auto& slot = upstreams_[upstream.name];
    if (!slot || !(slot->config() == upstream)) {
        slot = make_upstream(upstream);
        point_routes_at(upstream.name, slot);
    }
}

bool ServingState::remove_upstream(std::string_view name) {
    auto found = upstreams_.find(name);
    if (found == upstreams_.end()) {
        return false;
    }
    upstreams_.erase(found);
    point_routes_at(name, nullptr);
    return true;
}

// Resolved once per change, not per request: a request takes its upstream
// from the route's side (ProxyExchange).
void ServingState::point_at_upstreams(RouteEntry& entry) const {
    const auto& split = entry.split.entries();
    for (std::size_t side = 0; side < split.size(); ++side) {
        entry.sides[side].upstream = upstream(split[side].upstream);
    }
}

// Every route whose split names `name` from now on sends to `upstream`.
void ServingState::point_routes_at(std::string_view name,
                                   const std::shared_ptr<ActiveUpstream>& upstream) {
    routes_.for_each([name, &upstream](RouteEntry& entry) {
        const auto& split = entry.split.entries();
        for (std::size_t side = 0; side < split.size(); ++side) {
            if (split[side].upstream == name) {
                entry.sides[side].upstream = upstream;
            }
        }
    });
}

std::shared_ptr<ActiveUpstream> ServingState::make_upstream(
    const config::Upstream& upstream) const {
    auto active = std::make_shared<ActiveUpstream>(io_, upstream);
    apply_health(*active);
    return active;
}

void ServingState::apply_health(ActiveUpstream& upstream) const {
    const auto& config = upstream.config();
    for (std::size_t i = 0; i < config.targets.size(); ++i) {
        upstream.set_unhealthy(i,
                               unhealthy_.contains({config.name, config.targets[i].address.text}));
    }
}

void ServingState::set_unhealthy_targets(TargetSet unhealthy) {
    unhealthy_ = std::move(unhealthy);
    for (auto& [name, upstream] : upstreams_) {
        apply_health(*upstream);
    }
}

std::shared_ptr<TlsServerContext> ServingState::listener_tls(std::string_view listener) const {
    auto found = listener_tls_.find(listener);
    return found == listener_tls_.end() ? nullptr : found->second;
}

std::shared_ptr<ActiveUpstream> ServingState::upstream(std::string_view name) const {
    auto found = upstreams_.find(name);
    return found == upstreams_.end() ? nullptr : found->second;
}

void ServingState::close_idle_upstreams() {
    for (auto& [name, upstream] : upstreams_) {
        for (std::size_t i = 0; i < upstream->target_count(); ++i) {
            upstream->pool(i).close_all();
        }
    }
}

}  // namespace turnout::server

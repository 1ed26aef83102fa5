#include "master/health/health_checker.hpp"

#include "master/health/target_probe.hpp"

#include <algorithm>

namespace turnout::master {

HealthChecker::HealthChecker(boost::asio::io_context& io, OnChange on_change)
    : io_{io}, on_change_{std::move(on_change)} {}

HealthChecker::~HealthChecker() {
    stop();
}

void HealthChecker::configure(const config::Config& config) {
    std::map<TargetKey, std::shared_ptr<TargetProbe>> probes;
    for (const auto& upstream : config.upstreams) {
        if (!upstream.health_check) {
            continue;
        }
        for (const auto& target : upstream.targets) {
            TargetKey key{upstream.name, target.address.text};
            auto existing = probes_.find(key);
            if (existing != probes_.end() && existing->second->check() == *upstream.health_check &&
                existing->second->tls() == upstream.tls) {
                probes.emplace(key, existing->second);
                probes_.erase(existing);
                continue;
            }
            auto probe = std::make_shared<TargetProbe>(
                io_, upstream.name, target, *upstream.health_check, upstream.tls, on_change_);
            probe->start();
            probes.emplace(std::move(key), std::move(probe));
        }
    }
    const bool dropped_unhealthy = std::any_of(
        probes_.begin(), probes_.end(), [](const auto& entry) { return !entry.second->healthy(); });
    stop();
    probes_ = std::move(probes);
    if (dropped_unhealthy) {
        on_change_();
    }
}

void HealthChecker::stop() {
    for (auto& [key, probe] : probes_) {
        probe->stop();
    }
    probes_.clear();
}

std::optional<bool> HealthChecker::healthy(const std::string& upstream,
                                           const std::string& address) const {
    auto found = probes_.find({upstream, address});
    if (found == probes_.end()) {
        return std::nullopt;
    }
    return found->second->healthy();
}

std::set<HealthChecker::TargetKey> HealthChecker::unhealthy() const {
    std::set<TargetKey> keys;
    for (const auto& [key, probe] : probes_) {
        if (!probe->healthy()) {
            keys.insert(key);
        }
    }
    return keys;
}

}  // namespace turnout::master

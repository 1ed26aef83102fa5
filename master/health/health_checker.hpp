#pragma once

// Active health checks (SPEC §3 `health_check`), run once per target in the
// master — not once per worker — so a target sees one checker whatever the
// worker count. A target turns unhealthy after `unhealthy_after`
// consecutive failed checks and healthy again after `healthy_after`
// successes; every change is reported so the master can tell the workers.

#include "config/config.hpp"

#include <boost/asio/io_context.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>

namespace turnout::master {

class TargetProbe;

class HealthChecker {
public:
    using TargetKey = std::pair<std::string, std::string>;  // {upstream, target address}
    using OnChange = std::function<void()>;

    HealthChecker(boost::asio::io_context& io, OnChange on_change);
    ~HealthChecker();

    // Checks what `config` asks for: starts probes for new targets, stops
    // those no longer configured, keeps the state of targets whose check is
    // unchanged.
    void configure(const config::Config& config);
    void stop();

    // nullopt when the target is not checked.
    std::optional<bool> healthy(const std::string& upstream, const std::string& address) const;
    std::set<TargetKey> unhealthy() const;

private:
    boost::asio::io_context& io_;
    OnChange on_change_;
    std::map<TargetKey, std::shared_ptr<TargetProbe>> probes_;
};

}  // namespace turnout::master

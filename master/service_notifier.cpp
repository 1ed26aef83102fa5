#include "master/service_notifier.hpp"

#include "server/logfmt.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace turnout::master {

void ServiceNotifier::send(const std::string& state) {
    const int sent = ::sd_notify(0, state.c_str());
    if (sent < 0) {
        spdlog::warn("msg=\"cannot notify the service manager\" state={} error={}",
                     log_value(state), log_value(std::strerror(-sent)));
    }
}

void ServiceNotifier::ready(std::uint64_t version) {
    send(fmt::format("READY=1\nSTATUS=serving version {}", version));
}

// MONOTONIC_USEC lets a Type=notify-reload unit match the reload it asked for.
void ServiceNotifier::reloading() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    const auto usec = static_cast<std::uint64_t>(now.tv_sec) * 1000000u +
                      static_cast<std::uint64_t>(now.tv_nsec) / 1000u;
    send(fmt::format("RELOADING=1\nMONOTONIC_USEC={}\nSTATUS=reloading the config file", usec));
}

void ServiceNotifier::stopping() {
    send("STOPPING=1\nSTATUS=draining");
}

void ServiceNotifier::handed_over(pid_t pid, std::uint64_t version) {
    send(fmt::format("MAINPID={}\nSTATUS=serving version {} (upgraded)", pid, version));
}

void ServiceNotifier::start_watchdog(bool started_by_upgrade) {
    const char* owner = std::getenv("WATCHDOG_PID");
    if (started_by_upgrade && owner && std::atoi(owner) == ::getppid()) {
        ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
    }
    std::uint64_t usec = 0;
    if (::sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) {
        return;
    }
    watchdog_interval_ = std::chrono::microseconds{usec / 2};
    spdlog::info("msg=\"systemd watchdog\" interval_ms={}", watchdog_interval_.count() / 1000);
    ping_watchdog();
}

void ServiceNotifier::ping_watchdog() {
    send("WATCHDOG=1");
    watchdog_timer_.expires_after(watchdog_interval_);
    watchdog_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) {
            ping_watchdog();
        }
    });
}

}  // namespace turnout::master

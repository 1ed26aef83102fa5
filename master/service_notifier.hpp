#pragma once

// What systemd learns from the master (sd_notify, a unit with
// Type=notify): READY=1 once every worker serves, RELOADING=1 and READY=1
// around a SIGHUP reload, STOPPING=1, STATUS= with the version served,
// MAINPID= when an upgrade hands the service to a new master, and WATCHDOG=1
// when the unit sets WatchdogSec=. Without NOTIFY_SOCKET every call is a
// no-op, so a master started by hand pays nothing.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace turnout::master {

class ServiceNotifier {
public:
    explicit ServiceNotifier(boost::asio::io_context& io) : watchdog_timer_{io} {}

    void ready(std::uint64_t version);
    void reloading();
    void stopping();
    // The service's main process is now `pid`, which serves `version`.
    void handed_over(pid_t pid, std::uint64_t version);

    // Pings every half WATCHDOG_USEC when the manager asked for it.
    // `started_by_upgrade`: WATCHDOG_PID names our parent, the master we
    // replace, and is taken as ours.
    void start_watchdog(bool started_by_upgrade);
    void stop_watchdog() { watchdog_timer_.cancel(); }

private:
    void send(const std::string& state);
    void ping_watchdog();

    boost::asio::steady_timer watchdog_timer_;
    std::chrono::microseconds watchdog_interval_{0};
};

}  // namespace turnout::master

#pragma once

// The running master's side of a zero-downtime upgrade: start the new
// binary with our sockets (new_master_process.hpp) and wait, with a
// deadline, for the one line "ready" it writes once its workers serve.
// Whatever else happens first (it exits, the deadline passes) is a failure
// named in words, and the new master is stopped; the caller keeps serving.

#include "master/upgrade/handover.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <sys/types.h>

#include <array>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace turnout::master {

class BinaryUpgrade {
public:
    // How it ended: the new master's pid, and empty `error` when it is ready.
    struct Outcome {
        pid_t pid = -1;
        std::string error;
    };
    using Done = std::function<void(Outcome)>;

    BinaryUpgrade(boost::asio::io_context& io, std::chrono::milliseconds ready_deadline);
    ~BinaryUpgrade();
    BinaryUpgrade(const BinaryUpgrade&) = delete;
    BinaryUpgrade& operator=(const BinaryUpgrade&) = delete;

    // Starts `binary` with `argv` and `sockets` (its ready_fd is made here);
    // `done` runs once. Throws std::system_error when it cannot start it.
    void start(const std::string& binary, const std::vector<std::string>& argv, Handover sockets,
               Done done);

    // The master's SIGCHLD reaping reports every exit here; true when `pid`
    // was the new master.
    bool child_exited(pid_t pid, int wait_status);

private:
    void read_ready();
    void finish(std::string error);

    boost::asio::posix::stream_descriptor ready_;
    boost::asio::steady_timer deadline_;
    std::chrono::milliseconds ready_deadline_;
    std::array<char, 64> buffer_{};
    std::string line_;
    pid_t pid_ = -1;
    Done done_;
};

// "status 1", "signal 9": how a process ended, for messages.
std::string describe_exit(int wait_status);

}  // namespace turnout::master

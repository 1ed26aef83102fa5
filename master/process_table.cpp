#include "master/process_table.hpp"

#include "worker/worker_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <system_error>

namespace turnout::master {

std::string_view to_string(SlotState state) {
    switch (state) {
    case SlotState::starting:
        return "starting";
    case SlotState::ready:
        return "ready";
    case SlotState::draining:
        return "draining";
    case SlotState::dead:
        return "dead";
    }
    return "unknown";
}

namespace {

// Between fork and exec only async-signal-safe calls: everything the child
// needs is prepared before fork.
[[noreturn]] void exec_worker(int channel_fd, pid_t master, const char* slot_text) {
    // A worker must not outlive its master; the channel's EOF tells it too,
    // this covers a master killed before the worker reads.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != master) {
        ::_exit(1);
    }
    if (channel_fd == worker::control_channel_fd) {
        ::fcntl(channel_fd, F_SETFD, 0);
    } else if (::dup2(channel_fd, worker::control_channel_fd) < 0) {
        ::_exit(126);
    }
    // Nothing else of the master's may leak into a worker (the admin socket,
    // other slots' channels), whatever its close-on-exec flag says.
    ::close_range(worker::control_channel_fd + 1, ~0U, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    const char* argv[] = {"turnout", "worker", "--slot", slot_text, nullptr};
    ::execv("/proc/self/exe", const_cast<char* const*>(argv));
    ::_exit(127);
}

}  // namespace

SpawnedWorker spawn_worker_process(unsigned slot) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
        throw std::system_error(errno, std::generic_category(), "socketpair for a worker");
    }
    const std::string slot_text = std::to_string(slot);
    const pid_t master = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        const int error = errno;
        ::close(pair[0]);
        ::close(pair[1]);
        throw std::system_error(error, std::generic_category(), "fork a worker");
    }
    if (pid == 0) {
        ::close(pair[0]);
        exec_worker(pair[1], master, slot_text.c_str());
    }
    ::close(pair[1]);
    return {pid, pair[0]};
}

std::chrono::milliseconds respawn_delay(const WorkerSlot& slot) {
    if (slot.quick_deaths <= 1) {
        return std::chrono::milliseconds{0};
    }
    const unsigned doublings = std::min(slot.quick_deaths - 2, 7u);
    return std::min(std::chrono::milliseconds{100LL << doublings},
                    std::chrono::milliseconds{10000});
}

}  // namespace turnout::master

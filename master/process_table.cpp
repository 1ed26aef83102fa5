#include "master/process_table.hpp"

#include "worker/worker_process.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <system_error>

extern char** environ;

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

SpawnedWorker spawn_worker_process(unsigned slot) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
        throw std::system_error(errno, std::generic_category(), "socketpair for a worker");
    }
    // posix_spawn, not fork: fork write-protects every page of the master
    // for copy-on-write even though the child execs at once, and the
    // master's first write to each page afterwards faults. With 10,000
    // routes the first config change after a start took 16-22 ms here,
    // mostly those faults, where each next one took 1 ms. glibc's
    // posix_spawn shares the master's memory until the exec.
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawnattr_init(&attributes);
    // The channel on its fd (dup2 onto itself clears close-on-exec), and
    // nothing else of the master's (the admin socket, other slots'
    // channels), whatever its close-on-exec flag says.
    ::posix_spawn_file_actions_adddup2(&actions, pair[1], worker::control_channel_fd);
    ::posix_spawn_file_actions_addclosefrom_np(&actions, worker::control_channel_fd + 1);
    sigset_t none;
    sigemptyset(&none);
    ::posix_spawnattr_setsigmask(&attributes, &none);
    ::posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
    const std::string slot_text = std::to_string(slot);
    const char* argv[] = {"turnout", "worker", "--slot", slot_text.c_str(), nullptr};
    pid_t pid = 0;
    const int error = ::posix_spawn(&pid, "/proc/self/exe", &actions, &attributes,
                                    const_cast<char* const*>(argv), environ);
    ::posix_spawn_file_actions_destroy(&actions);
    ::posix_spawnattr_destroy(&attributes);
    ::close(pair[1]);
    if (error != 0) {
        ::close(pair[0]);
        throw std::system_error(error, std::generic_category(), "spawn a worker");
    }
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

#pragma once

// The master's table of worker slots: per slot, the process serving it,
// its state, the config version it acknowledged, and how often it was
// restarted. Starting a worker is posix_spawn of this binary as
// `turnout worker --slot N`, its control channel on fd 3.

#include "worker/control_channel.hpp"

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace turnout::master {

enum class SlotState { starting, ready, draining, dead };
std::string_view to_string(SlotState state);

struct WorkerSlot {
    unsigned slot = 0;
    pid_t pid = -1;
    SlotState state = SlotState::dead;
    std::uint64_t version = 0;       // acknowledged: served now
    std::uint64_t sent_version = 0;  // the last config sent (what deltas build on)
    unsigned restarts = 0;
    unsigned quick_deaths = 0;  // consecutive deaths soon after start
    std::chrono::steady_clock::time_point started_at;
    std::shared_ptr<worker::ControlChannel> channel;
};

// Spawns a worker for `slot`. Returns its pid and the master's end
// of the control channel socket pair. Throws std::system_error.
struct SpawnedWorker {
    pid_t pid;
    int channel_fd;
};
SpawnedWorker spawn_worker_process(unsigned slot);

// How long to wait before restarting a worker that died: at once, unless it
// keeps dying soon after it starts, then doubling from 100 ms up to 10 s.
std::chrono::milliseconds respawn_delay(const WorkerSlot& slot);

}  // namespace turnout::master

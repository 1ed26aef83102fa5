#pragma once

// What a running master hands the master of a new binary in a zero-downtime
// upgrade (`turnout upgrade`, SIGUSR2): its listening sockets, the admin
// socket, the state_dir lock and the write end of the pipe on which the new
// master reports that its workers serve. The descriptors are inherited
// across exec at fixed numbers, named in one environment variable as JSON,
// so the new master finds them before it binds anything: the listen queues
// are never closed, and no connection waiting in one is refused or reset.

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace turnout::master {

// The environment variable naming the inherited descriptors.
inline constexpr char handover_variable[] = "TURNOUT_UPGRADE";

struct HandedListener {
    std::string name;
    std::string address;   // as the config writes it, to check it still matches
    std::vector<int> fds;  // one per worker slot
    bool operator==(const HandedListener&) const = default;
};

struct Handover {
    int ready_fd = -1;  // the new master writes "ready\n" here once its workers serve
    int lock_fd = -1;   // state_dir's lock, held (flock) by the open file both share
    int admin_fd = -1;  // the admin socket, listening
    std::vector<HandedListener> listeners;
    bool operator==(const Handover&) const = default;

    // Every descriptor, in the order they are laid out for the new master.
    std::vector<int> fds() const;
    // The same handover with its descriptors renumbered from `first` up, in
    // fds() order: what the new master finds after exec.
    Handover renumbered(int first) const;
};

std::string encode_handover(const Handover& handover);
// The handover, or what is wrong with the text (it names the variable).
std::variant<Handover, std::string> decode_handover(std::string_view text);

// The handover this process was started with, or nullopt when it was not
// started by an upgrade. Removes the variable, so neither the workers nor a
// later upgrade see it. Throws std::runtime_error when it does not decode.
std::optional<Handover> take_handover_from_environment();

}  // namespace turnout::master

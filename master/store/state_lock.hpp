#pragma once

// state_dir belongs to one master at a time (SPEC extensions, "Binary
// upgrade"): two masters writing versions into one folder would number them
// twice. The owner holds an exclusive flock on `state_dir/lock`, which also
// records its pid for the error another master prints. A flock belongs to
// the open file, not the process, so an upgrade hands it over by handing
// the descriptor to the new master: no moment when neither holds it.

#include <string>

#include <sys/types.h>

namespace turnout::master {

class StateLock {
public:
    // Takes the lock of `state_dir` (created if missing), not waiting for
    // it; or, with `inherited_fd` >= 0, adopts that descriptor, whose open
    // file already holds the lock (the new master of an upgrade). Throws
    // std::runtime_error naming the folder and the pid holding the lock.
    StateLock(const std::string& state_dir, int inherited_fd);
    ~StateLock();
    StateLock(const StateLock&) = delete;
    StateLock& operator=(const StateLock&) = delete;

    int fd() const { return fd_; }
    // Writes `owner` into the lock file, for the next one refused.
    void record_owner(pid_t owner) const;

private:
    std::string path_;
    int fd_ = -1;
};

}  // namespace turnout::master

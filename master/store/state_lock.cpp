#include "master/store/state_lock.hpp"

#include "master/store/config_store_files.hpp"
#include "server/logfmt.hpp"

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace turnout::master {

StateLock::StateLock(const std::string& state_dir, int inherited_fd) : path_{state_dir + "/lock"} {
    if (inherited_fd >= 0) {
        fd_ = inherited_fd;
        ::fcntl(fd_, F_SETFD, FD_CLOEXEC);
        return;
    }
    store_files::make_folders(state_dir);
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) {
        throw std::runtime_error("cannot open " + path_ + ": " + std::strerror(errno) +
                                 "; state_dir must be writable by turnout");
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) {
        record_owner(::getpid());
        return;
    }
    const int error = errno;
    const auto owner = store_files::read_start(path_, 32).value_or("");
    ::close(fd_);
    fd_ = -1;
    if (error != EWOULDBLOCK) {
        throw std::runtime_error("cannot lock " + path_ + ": " + std::strerror(error));
    }
    throw std::runtime_error("state_dir " + state_dir + " is in use by another turnout master" +
                             (owner.empty() ? "" : " (pid " + owner + ")") +
                             "; stop it, upgrade it with `turnout upgrade`, or give this one "
                             "another state_dir");
}

StateLock::~StateLock() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

void StateLock::record_owner(pid_t owner) const {
    const auto text = std::to_string(owner);
    const bool written = ::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, text.data(), text.size(), 0) ==
                                                         static_cast<ssize_t>(text.size());
    // Only another master's refusal reads it: worth a warning, not a refusal.
    if (!written) {
        spdlog::warn("msg=\"cannot record the owner in the state_dir lock\" path={} error={}",
                     log_value(path_), log_value(std::strerror(errno)));
    }
}

}  // namespace turnout::master

#include "master/upgrade/binary_upgrade.hpp"

#include "master/upgrade/new_master_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace turnout::master {

namespace asio = boost::asio;

std::string describe_exit(int wait_status) {
    if (WIFSIGNALED(wait_status)) {
        return "signal " + std::to_string(WTERMSIG(wait_status));
    }
    return "status " + std::to_string(WEXITSTATUS(wait_status));
}

BinaryUpgrade::BinaryUpgrade(asio::io_context& io, std::chrono::milliseconds ready_deadline)
    : ready_{io}, deadline_{io}, ready_deadline_{ready_deadline} {}

BinaryUpgrade::~BinaryUpgrade() {
    if (done_ && pid_ > 0) {
        ::kill(pid_, SIGKILL);  // a master going away mid-upgrade takes its half-started heir
    }
}

void BinaryUpgrade::start(const std::string& binary, const std::vector<std::string>& argv,
                          Handover sockets, Done done) {
    int pipe[2];
    if (::pipe2(pipe, O_CLOEXEC) != 0) {
        throw std::system_error(errno, std::generic_category(), "pipe for the new master");
    }
    sockets.ready_fd = pipe[1];
    try {
        pid_ = spawn_new_master(binary, argv, sockets);
    } catch (...) {
        ::close(pipe[0]);
        ::close(pipe[1]);
        throw;
    }
    ::close(pipe[1]);
    ready_.assign(pipe[0]);
    done_ = std::move(done);
    deadline_.expires_after(ready_deadline_);
    deadline_.async_wait([this](boost::system::error_code ec) {
        if (ec || !done_) {
            return;
        }
        ::kill(pid_, SIGKILL);
        finish("its workers were not serving within " +
               std::to_string(ready_deadline_.count() / 1000) + " s; it was killed");
    });
    read_ready();
}

// Reads until the line "ready"; an end of file or anything else before it
// waits for the exit (child_exited) or the deadline to say what went wrong.
void BinaryUpgrade::read_ready() {
    ready_.async_read_some(asio::buffer(buffer_),
                           [this](boost::system::error_code ec, std::size_t size) {
                               if (ec || !done_) {
                                   return;
                               }
                               line_.append(buffer_.data(), size);
                               if (line_ == "ready\n") {
                                   finish({});
                                   return;
                               }
                               if (line_.size() < buffer_.size()) {
                                   read_ready();
                               }
                           });
}

bool BinaryUpgrade::child_exited(pid_t pid, int wait_status) {
    if (pid != pid_) {
        return false;
    }
    pid_ = -1;
    if (done_) {
        finish("it exited (" + describe_exit(wait_status) +
               ") before its workers were serving; its log is above");
    }
    return true;
}

void BinaryUpgrade::finish(std::string error) {
    deadline_.cancel();
    boost::system::error_code ignored;
    ready_.close(ignored);
    auto done = std::move(done_);
    done_ = nullptr;
    done(Outcome{pid_, std::move(error)});
}

}  // namespace turnout::master

#include "master/upgrade/new_master_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

extern char** environ;

namespace turnout::master {

namespace {

constexpr int first_handed_fd = 3;
constexpr std::string_view deleted_suffix = " (deleted)";

// Between fork and exec only async-signal-safe calls: everything is
// prepared before fork. Descriptors are first moved above every number in
// play, so laying them out from 3 never overwrites one not yet moved.
[[noreturn]] void exec_new_master(const char* binary, char* const* argv, char* const* envp,
                                  const std::vector<int>& from, std::vector<int>& moved,
                                  int above) {
    for (std::size_t i = 0; i < from.size(); ++i) {
        moved[i] = ::fcntl(from[i], F_DUPFD_CLOEXEC, above);
        if (moved[i] < 0) {
            ::_exit(126);
        }
    }
    for (std::size_t i = 0; i < moved.size(); ++i) {
        // dup2 leaves the copy without close-on-exec: it crosses exec.
        if (::dup2(moved[i], first_handed_fd + static_cast<int>(i)) < 0) {
            ::_exit(126);
        }
    }
    ::close_range(first_handed_fd + static_cast<unsigned>(moved.size()), ~0U, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(binary, argv, envp);
    ::_exit(127);
}

}  // namespace

std::string current_binary() {
    char path[4096];
    const ssize_t length = ::readlink("/proc/self/exe", path, sizeof path - 1);
    if (length <= 0) {
        throw std::system_error(errno, std::generic_category(), "readlink /proc/self/exe");
    }
    std::string binary{path, static_cast<std::size_t>(length)};
    if (binary.ends_with(deleted_suffix)) {
        binary.resize(binary.size() - deleted_suffix.size());
    }
    return binary;
}

pid_t spawn_new_master(const std::string& binary, const std::vector<std::string>& argv,
                       const Handover& handover) {
    const auto from = handover.fds();
    std::vector<int> moved(from.size(), -1);
    const int above = std::max(*std::max_element(from.begin(), from.end()),
                               first_handed_fd + static_cast<int>(from.size())) +
                      1;

    std::vector<std::string> arguments = argv;
    if (arguments.empty()) {
        arguments.emplace_back();
    }
    arguments.front() = binary;
    std::vector<char*> argv_pointers;
    for (auto& argument : arguments) {
        argv_pointers.push_back(argument.data());
    }
    argv_pointers.push_back(nullptr);

    const std::string prefix = std::string{handover_variable} + "=";
    std::vector<std::string> environment{prefix +
                                         encode_handover(handover.renumbered(first_handed_fd))};
    for (char** entry = environ; *entry; ++entry) {
        if (std::strncmp(*entry, prefix.c_str(), prefix.size()) != 0) {
            environment.emplace_back(*entry);
        }
    }
    std::vector<char*> envp;
    for (auto& entry : environment) {
        envp.push_back(entry.data());
    }
    envp.push_back(nullptr);

    const pid_t pid = ::fork();
    if (pid < 0) {
        throw std::system_error(errno, std::generic_category(), "fork the new master");
    }
    if (pid == 0) {
        exec_new_master(binary.c_str(), argv_pointers.data(), envp.data(), from, moved, above);
    }
    return pid;
}

}  // namespace turnout::master

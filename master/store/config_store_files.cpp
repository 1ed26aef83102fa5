#include "master/store/config_store_files.hpp"

#include "server/logfmt.hpp"

#include <spdlog/spdlog.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <system_error>

namespace turnout::master::store_files {

namespace {

// Closes a descriptor it owns; the one place that knows close() may be
// interrupted.
class Fd {
public:
    explicit Fd(int fd) : fd_{fd} {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    int get() const { return fd_; }
    // Closes now and returns close()'s errno (0 on success): NFS and some
    // filesystems report deferred write errors only here.
    int close_now() {
        int result = ::close(fd_);
        fd_ = -1;
        return result == 0 ? 0 : errno;
    }

private:
    int fd_;
};

void fsync_folder(const std::string& folder) {
    Fd fd{::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (fd.get() < 0) {
        throw_errno(errno, "open folder", folder);
    }
    if (::fsync(fd.get()) != 0) {
        throw_errno(errno, "fsync folder", folder);
    }
}

bool is_directory(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void write_all(int fd, const std::string& data, const std::string& path) {
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw_errno(errno, "write", path);
        }
        done += static_cast<std::size_t>(n);
    }
}

bool is_regular_file(int folder_fd, const dirent& entry) {
    if (entry.d_type != DT_UNKNOWN) {
        return entry.d_type == DT_REG;
    }
    struct stat st {};
    return ::fstatat(folder_fd, entry.d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

void throw_errno(int error, const std::string& step, const std::string& path) {
    throw std::system_error(error, std::generic_category(), "config store: " + step + " " + path);
}

void make_folders(const std::string& path) {
    if (path.empty()) {
        throw_errno(EINVAL, "create folder", "(empty state_dir)");
    }
    std::size_t pos = 0;
    while (pos != std::string::npos) {
        pos = path.find('/', pos + 1);
        std::string prefix = path.substr(0, pos);
        if (prefix.empty() || prefix == "." || prefix == "..") {
            continue;
        }
        const std::string where = prefix == path ? path : path + " (at " + prefix + ")";
        if (::mkdir(prefix.c_str(), 0700) == 0) {
            auto slash = prefix.find_last_of('/');
            fsync_folder(slash == std::string::npos ? "."
                         : slash == 0               ? "/"
                                                    : prefix.substr(0, slash));
        } else if (errno != EEXIST) {
            throw_errno(errno, "create folder", where);
        } else if (!is_directory(prefix)) {
            throw_errno(ENOTDIR, "create folder", where);
        }
    }
}

void write_durably(const std::string& folder, const std::string& name, const std::string& data) {
    const std::string temp = folder + "/." + name + ".tmp";
    const std::string target = folder + "/" + name;
    Fd fd{::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)};
    if (fd.get() < 0) {
        throw_errno(errno, "create", temp);
    }
    try {
        write_all(fd.get(), data, temp);
        if (::fsync(fd.get()) != 0) {
            throw_errno(errno, "fsync", temp);
        }
        if (int error = fd.close_now(); error != 0) {
            throw_errno(error, "close", temp);
        }
        if (::rename(temp.c_str(), target.c_str()) != 0) {
            throw_errno(errno, "rename to " + target + " from", temp);
        }
    } catch (...) {
        ::unlink(temp.c_str());
        throw;
    }
    try {
        fsync_folder(folder);
    } catch (...) {
        ::unlink(target.c_str());
        throw;
    }
}

std::optional<std::string> read_start(const std::string& path, std::size_t limit) {
    Fd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
    if (fd.get() < 0) {
        return std::nullopt;
    }
    std::string data;
    struct stat st {};
    if (::fstat(fd.get(), &st) == 0 && st.st_size > 0) {
        data.reserve(std::min(limit, static_cast<std::size_t>(st.st_size)));
    }
    char chunk[64 * 1024];
    while (data.size() < limit) {
        ssize_t n = ::read(fd.get(), chunk, std::min(sizeof chunk, limit - data.size()));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return std::nullopt;
        }
        if (n == 0) {
            break;
        }
        data.append(chunk, static_cast<std::size_t>(n));
    }
    return data;
}

std::optional<std::string> read_file(const std::string& path) {
    return read_start(path, std::string::npos);
}

std::vector<std::string> list_files(const std::string& folder) {
    std::vector<std::string> names;
    DIR* dir = ::opendir(folder.c_str());
    if (dir == nullptr) {
        if (errno == ENOENT) {
            return names;
        }
        throw_errno(errno, "list", folder);
    }
    std::unique_ptr<DIR, int (*)(DIR*)> guard{dir, ::closedir};
    for (;;) {
        errno = 0;
        const dirent* entry = ::readdir(dir);
        if (entry == nullptr) {
            if (errno != 0) {
                throw_errno(errno, "list", folder);
            }
            return names;
        }
        if (is_regular_file(::dirfd(dir), *entry)) {
            names.emplace_back(entry->d_name);
        }
    }
}

void remove_quietly(const std::string& path) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        spdlog::warn("msg=\"config store: cannot remove old file\" path={} error={}",
                     log_value(path), log_value(std::generic_category().message(errno)));
    }
}

std::string checksum(const char* data, std::size_t size) {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    for (std::size_t i = 0; i < size; ++i) {
        hash = (hash ^ static_cast<unsigned char>(data[i])) * 0x100000001b3ULL;
    }
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
    return text;
}

}  // namespace turnout::master::store_files

#pragma once

// What the ConfigStore tests share: a temp folder, file helpers, and
// config and change bodies (the store does not look inside them).

#include "tests/unit/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <system_error>

namespace turnout::master::store_test {

namespace fs = std::filesystem;

using turnout::test::TempDir;

inline std::set<std::string> names_in(const fs::path& folder) {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(folder)) {
        names.insert(entry.path().filename().string());
    }
    return names;
}

inline void write_text(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    REQUIRE(out.good());
}

inline std::string config_text(int n) {
    return "{\"workers\":" + std::to_string(n) + "}";
}
inline std::string change_text(int n) {
    return "{\"op\":\"put_route\",\"n\":" + std::to_string(n) + "}";
}

inline std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The body of a version file, after its metadata line.
inline std::string body_of(const fs::path& path) {
    const auto text = read_text(path);
    return text.substr(text.find('\n') + 1);
}

// Damage that keeps the size: only the checksum can tell.
inline void alter_last_byte(const fs::path& path) {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(-1, std::ios::end);
    file.put('#');
    REQUIRE(file.good());
}

inline std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Sets RLIMIT_FSIZE (with SIGXFSZ ignored, so write() fails with EFBIG
// instead of killing the process) and restores both on scope exit. It is
// the one disk-full stand-in that works as root without mount privileges.
class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t bytes) {
        ::getrlimit(RLIMIT_FSIZE, &saved_);
        previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);
        rlimit limit = saved_;
        limit.rlim_cur = bytes;
        ::setrlimit(RLIMIT_FSIZE, &limit);
    }
    FileSizeLimit(const FileSizeLimit&) = delete;
    FileSizeLimit& operator=(const FileSizeLimit&) = delete;
    ~FileSizeLimit() {
        ::setrlimit(RLIMIT_FSIZE, &saved_);
        std::signal(SIGXFSZ, previous_handler_);
    }

private:
    rlimit saved_{};
    void (*previous_handler_)(int) = SIG_DFL;
};

}  // namespace turnout::master::store_test

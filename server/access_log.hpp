#pragma once

// The access log (`access_log: PATH|stdout`): one JSON line per request.
// The event loop only formats the line and queues it; a writer thread of
// spdlog's writes it, and when the queue is full the oldest line is dropped
// rather than the loop ever waiting on the disk.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace spdlog {
class logger;
namespace details {
class thread_pool;
}
}  // namespace spdlog

namespace turnout::server {

struct AccessRecord {
    std::string_view client;
    std::string_view method;
    std::string_view path;  // the request target as the client sent it
    unsigned status = 0;
    std::string_view route;
    std::string_view upstream;
    std::string_view target;  // the target that answered (or last failed)
    std::uint64_t bytes = 0;  // response body bytes sent to the client
    std::chrono::duration<double> duration{};
    unsigned attempts = 0;
    std::string_view error;                  // turnout-error reason; empty when none
    std::string_view protocol = "HTTP/1.1";  // as the client spoke: HTTP/1.0, HTTP/1.1, HTTP/2
};

class AccessLog {
public:
    // `destination` is a file path (appended to, created if missing) or
    // "stdout". Throws spdlog::spdlog_ex when the file cannot be opened.
    explicit AccessLog(const std::string& destination);
    ~AccessLog();

    const std::string& destination() const { return destination_; }
    void write(const AccessRecord& record);

private:
    std::string destination_;
    std::shared_ptr<spdlog::details::thread_pool> pool_;
    std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace turnout::server

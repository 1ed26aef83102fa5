#pragma once

// TLS handshake failures, one log line each with the peer and the reason,
// but at most `per_second` lines a second per worker: a scanner or a fleet of
// misconfigured clients must not flood the log. Failures over the budget are
// counted and the count is reported on the next line that is written.
// Clients that merely leave or stay silent are logged at debug level only.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include <boost/system/error_code.hpp>

namespace turnout::server {

class HandshakeFailureLog {
public:
    using clock = std::chrono::steady_clock;

    explicit HandshakeFailureLog(unsigned per_second = 10) : per_second_{per_second} {}

    // Logs one failed handshake. `timed_out`: the client sent too little
    // within header_timeout.
    void record(std::string_view listener, std::string_view peer, boost::system::error_code ec,
                bool timed_out, clock::time_point now = clock::now());

    // Whether a line may be written at `now`; when it may, how many
    // failures went unlogged since the last line.
    std::optional<std::uint64_t> admit(clock::time_point now);

private:
    unsigned per_second_;
    clock::time_point window_start_{};
    unsigned lines_in_window_ = 0;
    std::uint64_t suppressed_ = 0;
};

}  // namespace turnout::server

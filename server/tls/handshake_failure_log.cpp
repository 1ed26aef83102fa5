#include "server/tls/handshake_failure_log.hpp"

#include "server/logfmt.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <spdlog/spdlog.h>

namespace turnout::server {

namespace {

// The client closed or reset the connection: nothing the operator can act on.
bool peer_left(boost::system::error_code ec) {
    return ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset ||
           ec == boost::asio::ssl::error::stream_truncated ||
           ec == boost::asio::error::broken_pipe || ec == boost::asio::error::operation_aborted;
}

}  // namespace

std::optional<std::uint64_t> HandshakeFailureLog::admit(clock::time_point now) {
    if (now - window_start_ >= std::chrono::seconds{1}) {
        window_start_ = now;
        lines_in_window_ = 0;
    }
    if (lines_in_window_ >= per_second_) {
        ++suppressed_;
        return std::nullopt;
    }
    ++lines_in_window_;
    const auto suppressed = suppressed_;
    suppressed_ = 0;
    return suppressed;
}

void HandshakeFailureLog::record(std::string_view listener, std::string_view peer,
                                 boost::system::error_code ec, bool timed_out,
                                 clock::time_point now) {
    if (timed_out || peer_left(ec)) {
        spdlog::debug("msg=\"TLS handshake not completed\" listener={} peer={} reason={}",
                      log_value(listener), log_value(peer),
                      log_value(timed_out ? "no handshake within header_timeout" : ec.message()));
        return;
    }
    if (auto suppressed = admit(now)) {
        spdlog::warn("msg=\"TLS handshake failed\" listener={} peer={} reason={} suppressed={}",
                     log_value(listener), log_value(peer), log_value(ec.message()), *suppressed);
    }
}

}  // namespace turnout::server

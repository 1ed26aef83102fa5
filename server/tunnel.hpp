#pragma once

// The bytes of a WebSocket connection, copied both ways between client and
// upstream once the upstream answered the upgrade with 101. Nothing is
// parsed: what one side sends is written to the other as it arrives, through
// one fixed buffer per direction with one read or one write pending on
// each. It ends when either side closes or fails, or when nothing moved
// either way for limits.idle_timeout; then both connections are closed.

#include "server/client_session.hpp"
#include "server/transport_stream.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <array>
#include <chrono>
#include <memory>

namespace turnout::server {

class Tunnel : public std::enable_shared_from_this<Tunnel> {
public:
    // `upstream_early`: bytes the upstream sent right behind its 101, read
    // with it. What the client sent behind its request is still in the
    // session's buffer.
    Tunnel(std::shared_ptr<ClientSession> client, TransportStream upstream,
           boost::beast::flat_buffer upstream_early);
    Tunnel(const Tunnel&) = delete;
    Tunnel& operator=(const Tunnel&) = delete;

    void start();

private:
    using clock = std::chrono::steady_clock;
    using error_code = boost::system::error_code;
    static constexpr std::size_t buffer_size = 16 * 1024;  // one TLS record

    struct Direction {
        TransportStream& from;
        TransportStream& to;
        std::array<char, buffer_size> buffer{};
    };

    void send_early(Direction& direction, boost::beast::flat_buffer& early);
    void relay(Direction& direction);
    void watch_idle();
    void stop();

    std::shared_ptr<ClientSession> client_;
    TransportStream upstream_;
    boost::beast::flat_buffer upstream_early_;
    Direction to_upstream_;
    Direction to_client_;
    boost::asio::steady_timer idle_timer_;
    std::chrono::milliseconds idle_timeout_;
    clock::time_point last_activity_;
    bool stopped_ = false;
};

}  // namespace turnout::server

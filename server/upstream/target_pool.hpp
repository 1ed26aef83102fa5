#pragma once

// Idle keep-alive connections to one target, owned by one worker. A
// connection is parked here between requests and handed to the next request
// for the same target, so a busy route reuses a handful of connections
// instead of opening one per request.

#include "config/config.hpp"
#include "server/transport_stream.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <optional>

namespace turnout::server {

// Held by shared_ptr: the sweep timer's handler keeps only a weak reference,
// so a pool dropped by a config change while its timer fires is left alone.
class TargetPool : public std::enable_shared_from_this<TargetPool> {
public:
    TargetPool(boost::asio::io_context& io, const config::Target& target,
               const config::Keepalive& keepalive);
    ~TargetPool();
    TargetPool(const TargetPool&) = delete;
    TargetPool& operator=(const TargetPool&) = delete;

    const config::Target& target() const { return target_; }

    // The most recently parked connection, or nullopt. Connections idle
    // past keepalive.idle_timeout are dropped, and TLS ones holding unread
    // bytes. With `peek`, so are those the target closed while they were
    // parked (one recv syscall each): callers ask for it when a request
    // could not be sent again on a fresh connection should this one turn
    // out closed; the others save it.
    std::optional<TransportStream> checkout(bool peek);

    // Parks a connection whose last exchange completed cleanly; closes it
    // instead when max_idle connections are already parked.
    void checkin(TransportStream stream);

    // Closes every parked connection (worker shutdown).
    void close_all();

private:
    using clock = std::chrono::steady_clock;
    struct Idle {
        TransportStream stream;
        clock::time_point parked_at;
    };

    static bool still_open(TransportStream& stream, bool peek);
    void arm_sweep();
    void sweep();

    config::Target target_;
    config::Keepalive keepalive_;
    std::deque<Idle> idle_;  // oldest at the front
    boost::asio::steady_timer sweep_timer_;
    bool sweep_armed_ = false;
};

}  // namespace turnout::server

#pragma once

// A timer that cancels a connection's pending operations when it expires, and
// remembers that it did, so the cancelled handler can tell "timed out" from
// "closed". Re-arming replaces the previous deadline; arming is cheap (see
// LazyTimer).

#include "server/lazy_timer.hpp"
#include "server/transport_stream.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>

namespace turnout::server {

class Deadline {
public:
    explicit Deadline(const boost::asio::any_io_executor& executor);
    Deadline(const Deadline&) = delete;
    Deadline& operator=(const Deadline&) = delete;

    // From now on, `stream`'s pending operations are cancelled after `after`.
    // The stream object must stay where it is while armed; what it holds
    // (plain or TLS, a pooled connection moved in) may change.
    void arm(TransportStream& stream, std::chrono::milliseconds after);
    void disarm() { timer_.disarm(); }
    bool expired() const { return expired_; }

private:
    TransportStream* stream_ = nullptr;
    bool expired_ = false;
    LazyTimer timer_;  // calls back into this object: declared last, gone first
};

}  // namespace turnout::server

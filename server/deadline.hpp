#pragma once

// A deadline that cancels a connection's pending operations when it
// expires, and remembers that it did, so the cancelled handler can tell
// "timed out" from "closed". Re-arming replaces the previous deadline; it
// is a QueuedTimer, so it costs no asio timer of its own.

#include "server/queued_timer.hpp"
#include "server/transport_stream.hpp"

namespace turnout::server {

class Deadline final : public QueuedTimer {
public:
    using QueuedTimer::QueuedTimer;

    // From now on, `stream`'s pending operations are cancelled after `after`.
    // The stream object must stay where it is while armed; what it holds
    // (plain or TLS, a pooled connection moved in) may change.
    void arm(TransportStream& stream, std::chrono::milliseconds after) {
        stream_ = &stream;
        expired_ = false;
        QueuedTimer::arm(after);
    }
    bool expired() const { return expired_; }

private:
    void on_expired() override;

    // expired_ first: it fits in QueuedTimer's tail padding, so a Deadline
    // is 80 bytes, not 88 (every connection holds one, idle ones too, and
    // 8 bytes fewer put a ClientSession in malloc's next smaller block).
    bool expired_ = false;
    TransportStream* stream_ = nullptr;
};

}  // namespace turnout::server

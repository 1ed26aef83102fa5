#pragma once

// A timer that cancels a connection's pending operations when it expires, and
// remembers that it did, so the cancelled handler can tell "timed out" from
// "closed". Re-arming replaces the previous deadline.
//
// Arming happens several times per request, so it is lazy: the asio timer
// is only touched when the new deadline is earlier than the one it waits
// for; a later deadline is noted and the timer, when it fires, waits again
// for the rest. Disarming just forgets. Each touch of an asio timer that
// becomes the earliest costs a timerfd_settime syscall; this way a busy
// connection costs about one per timeout period instead of several per request.

#include "server/transport_stream.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <memory>

namespace turnout::server {

class Deadline {
public:
    explicit Deadline(const boost::asio::any_io_executor& executor);
    ~Deadline();
    Deadline(const Deadline&) = delete;
    Deadline& operator=(const Deadline&) = delete;

    // From now on, `stream`'s pending operations are cancelled after `after`.
    // The stream object must stay where it is while armed; what it holds
    // (plain or TLS, a pooled connection moved in) may change.
    void arm(TransportStream& stream, std::chrono::milliseconds after);
    void disarm();
    bool expired() const { return state_->expired; }

private:
    // Shared with the timer's handler through a weak_ptr, so an owner
    // destroyed while the handler is queued is never touched.
    struct State {
        explicit State(const boost::asio::any_io_executor& executor) : timer{executor} {}
        boost::asio::steady_timer timer;
        TransportStream* stream = nullptr;
        std::chrono::steady_clock::time_point deadline;
        std::uint64_t generation = 0;  // of the timer's outstanding wait
        bool waiting = false;          // the timer has a wait outstanding
        bool armed = false;
        bool expired = false;
    };
    static void wait(const std::shared_ptr<State>& state);

    std::shared_ptr<State> state_;
};

}  // namespace turnout::server

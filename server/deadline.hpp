#pragma once

// A deadline that cancels a connection's pending operations when it
// expires, and remembers that it did, so the cancelled handler can tell
// "timed out" from "closed". Re-arming replaces the previous deadline.
//
// The deadlines of one worker wait in one queue with one asio timer
// (DeadlineQueue, an io_context service), as nginx keeps its timers in one
// tree: a connection holds no timer, no allocation and no pending
// operation of its own for its deadline, which matters for idle
// keep-alive connections (each used to hold a timer and a pending wait,
// about 0.3 kB).
//
// Arming happens several times per request, so it is lazy: a deadline
// keeps its place in the queue when re-armed for a later time; when that
// place comes up it moves on to the later time. Disarming just forgets.
// The queue's timer is touched only for a deadline earlier than every
// queued one, so a busy connection costs no timer syscall per request.

#include "server/transport_stream.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/intrusive/set_hook.hpp>

#include <chrono>

namespace turnout::server {

class DeadlineQueue;

class Deadline {
public:
    using clock = std::chrono::steady_clock;

    explicit Deadline(const boost::asio::any_io_executor& executor);
    ~Deadline();
    Deadline(const Deadline&) = delete;
    Deadline& operator=(const Deadline&) = delete;

    // From now on, `stream`'s pending operations are cancelled after `after`.
    // The stream object must stay where it is while armed; what it holds
    // (plain or TLS, a pooled connection moved in) may change.
    void arm(TransportStream& stream, std::chrono::milliseconds after);
    void disarm() { armed_ = false; }
    bool expired() const { return expired_; }

private:
    friend class DeadlineQueue;

    boost::intrusive::set_member_hook<> hook_;
    DeadlineQueue& queue_;
    TransportStream* stream_ = nullptr;
    clock::time_point queued_at_;  // its place in the queue; fixed while queued
    clock::time_point deadline_;   // at or after queued_at_ while armed
    bool armed_ = false;
    bool expired_ = false;
};

}  // namespace turnout::server

#pragma once

// A timer of the worker's one DeadlineQueue: when an armed timer's time
// passes, the queue calls its on_expired(). Re-arming replaces the time,
// disarming forgets it, destroying it takes it out of the queue.
//
// The timers of one worker wait in one queue with one asio timer, as nginx
// keeps its timers in one tree: a timer holds no asio timer, no allocation
// and no pending operation of its own, which matters for idle keep-alive
// connections (each used to hold a timer and a pending wait, about 0.3 kB)
// and for HTTP/2 streams.
//
// Arming happens several times per request, so it is lazy: a timer keeps
// its place in the queue when re-armed for a later time; when that place
// comes up it moves on to the later time. Disarming just forgets. The
// queue's asio timer is touched only for a time earlier than every queued
// one, so a busy connection costs no timer syscall per request.

#include <boost/asio/any_io_executor.hpp>
#include <boost/intrusive/set_hook.hpp>

#include <chrono>

namespace turnout::server {

class DeadlineQueue;

class QueuedTimer {
public:
    using clock = std::chrono::steady_clock;

    explicit QueuedTimer(const boost::asio::any_io_executor& executor);
    QueuedTimer(const QueuedTimer&) = delete;
    QueuedTimer& operator=(const QueuedTimer&) = delete;

    void arm(std::chrono::milliseconds after);
    void disarm() { armed_ = false; }

protected:
    ~QueuedTimer();

    // Runs from the queue's timer handler on the event loop, once per
    // expiry; the timer is disarmed by then and may be re-armed or
    // destroyed from here.
    virtual void on_expired() = 0;

private:
    friend class DeadlineQueue;

    boost::intrusive::set_member_hook<> hook_;
    DeadlineQueue& queue_;
    clock::time_point queued_at_;  // its place in the queue; fixed while queued
    clock::time_point deadline_;   // at or after queued_at_ while armed
    bool armed_ = false;
};

}  // namespace turnout::server

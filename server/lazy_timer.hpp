#pragma once

// A timer that calls `on_expired` once an armed deadline passes; re-arming
// replaces the deadline, disarming forgets it.
//
// Arming happens several times per request, so it is lazy: the asio timer
// is only touched when the new deadline is earlier than the one it waits
// for; a later deadline is noted and the timer, when it fires, waits again
// for the rest. Disarming just forgets. Each touch of an asio timer that
// becomes the earliest costs a timerfd_settime syscall; this way a busy
// connection costs about one per timeout period instead of several per request.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace turnout::server {

class LazyTimer {
public:
    // `on_expired` runs from the event loop, never after this timer is gone.
    LazyTimer(const boost::asio::any_io_executor& executor, std::function<void()> on_expired);
    ~LazyTimer();
    LazyTimer(const LazyTimer&) = delete;
    LazyTimer& operator=(const LazyTimer&) = delete;

    void arm(std::chrono::milliseconds after);
    void disarm() { state_->armed = false; }

private:
    // Shared with the timer's handler through a weak_ptr, so an owner
    // destroyed while the handler is queued is never touched.
    struct State {
        State(const boost::asio::any_io_executor& executor, std::function<void()> on_expired)
            : timer{executor}, on_expired{std::move(on_expired)} {}
        boost::asio::steady_timer timer;
        std::function<void()> on_expired;
        std::chrono::steady_clock::time_point deadline;
        std::uint64_t generation = 0;  // of the timer's outstanding wait
        bool waiting = false;          // the timer has a wait outstanding
        bool armed = false;
    };
    static void wait(const std::shared_ptr<State>& state);

    std::shared_ptr<State> state_;
};

}  // namespace turnout::server

#pragma once

// The armed timers of one io_context (one worker), ordered by when they
// come up, under one asio timer set for the earliest. See QueuedTimer.

#include "server/queued_timer.hpp"

#include <boost/asio/execution_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/intrusive/set.hpp>

#include <cstdint>
#include <optional>

namespace turnout::server {

class DeadlineQueue : public boost::asio::execution_context::service {
public:
    using key_type = DeadlineQueue;
    static inline boost::asio::execution_context::id id;

    explicit DeadlineQueue(boost::asio::execution_context& context);

    // The queue of `executor`'s execution context.
    static DeadlineQueue& of(const boost::asio::any_io_executor& executor);

    // `timer` comes up at its queued_at_.
    void add(QueuedTimer& timer);
    void remove(QueuedTimer& timer);
    std::size_t size() const { return queue_.size(); }

private:
    struct ByTime {
        bool operator()(const QueuedTimer& a, const QueuedTimer& b) const {
            return a.queued_at_ < b.queued_at_;
        }
    };
    using Queue = boost::intrusive::multiset<
        QueuedTimer, boost::intrusive::compare<ByTime>,
        boost::intrusive::member_hook<QueuedTimer, boost::intrusive::set_member_hook<>,
                                      &QueuedTimer::hook_>>;

    void shutdown() override;
    void wait_until(QueuedTimer::clock::time_point at);
    void on_timer();

    Queue queue_;
    // Made with the first timer's executor: a service is created from
    // its context alone, which gives no executor.
    std::optional<boost::asio::steady_timer> timer_;
    QueuedTimer::clock::time_point timer_at_;
    std::uint64_t generation_ = 0;  // of the timer's outstanding wait
    bool waiting_ = false;
};

}  // namespace turnout::server

#include "server/deadline_queue.hpp"

#include <boost/asio/execution/context.hpp>
#include <boost/asio/query.hpp>

namespace turnout::server {

DeadlineQueue::DeadlineQueue(boost::asio::execution_context& context)
    : boost::asio::execution_context::service{context} {}

DeadlineQueue& DeadlineQueue::of(const boost::asio::any_io_executor& executor) {
    auto& queue = boost::asio::use_service<DeadlineQueue>(
        boost::asio::query(executor, boost::asio::execution::context));
    if (!queue.timer_) {
        queue.timer_.emplace(executor);
    }
    return queue;
}

void DeadlineQueue::add(QueuedTimer& timer) {
    queue_.insert(timer);
    if (!waiting_ || timer.queued_at_ < timer_at_) {
        wait_until(timer.queued_at_);
    }
}

void DeadlineQueue::remove(QueuedTimer& timer) {
    queue_.erase(queue_.iterator_to(timer));
}

// Timers still queued when the context shuts down belong to connections
// and streams destroyed with it: unlinked here, they do not touch the
// queue again.
// The timer goes here, not in the destructor: its service was created
// after this one (by the first timer), so the io_context destroys it first,
// and a steady_timer destroyed after its service reads freed memory
// (valgrind on the unit tests' queued timers showed it).
void DeadlineQueue::shutdown() {
    queue_.clear();
    timer_.reset();
}

void DeadlineQueue::wait_until(QueuedTimer::clock::time_point at) {
    waiting_ = true;
    timer_at_ = at;
    timer_->expires_at(at);
    timer_->async_wait([this, generation = ++generation_](boost::system::error_code ec) {
        if (generation != generation_) {
            return;  // replaced by a wait for an earlier deadline
        }
        waiting_ = false;
        if (!ec) {
            on_timer();
        }
    });
}

// Expires the timers whose time came; one re-armed for later since it was
// queued moves on to its deadline. An expired timer is out of the queue
// before it is called, so it may re-arm itself, or arm, disarm or destroy
// any timer, its own included.
void DeadlineQueue::on_timer() {
    const auto now = QueuedTimer::clock::now();
    while (!queue_.empty() && queue_.begin()->queued_at_ <= now) {
        auto& timer = *queue_.begin();
        queue_.erase(queue_.begin());
        if (!timer.armed_) {
            continue;
        }
        if (now < timer.deadline_) {
            timer.queued_at_ = timer.deadline_;
            queue_.insert(timer);
            continue;
        }
        timer.armed_ = false;
        timer.on_expired();
    }
    if (!queue_.empty() && (!waiting_ || queue_.begin()->queued_at_ < timer_at_)) {
        wait_until(queue_.begin()->queued_at_);
    }
}

}  // namespace turnout::server

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

void DeadlineQueue::add(Deadline& deadline) {
    queue_.insert(deadline);
    if (!waiting_ || deadline.queued_at_ < timer_at_) {
        wait_until(deadline.queued_at_);
    }
}

void DeadlineQueue::remove(Deadline& deadline) {
    queue_.erase(queue_.iterator_to(deadline));
}

// Deadlines still queued when the context shuts down belong to connections
// destroyed with it: unlinked here, they do not touch the queue again.
void DeadlineQueue::shutdown() {
    queue_.clear();
}

void DeadlineQueue::wait_until(Deadline::clock::time_point at) {
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

// Expires the deadlines whose time came; one re-armed for later since it
// was queued moves on to its deadline.
void DeadlineQueue::on_timer() {
    const auto now = Deadline::clock::now();
    while (!queue_.empty() && queue_.begin()->queued_at_ <= now) {
        auto& deadline = *queue_.begin();
        queue_.erase(queue_.begin());
        if (!deadline.armed_) {
            continue;
        }
        if (now < deadline.deadline_) {
            deadline.queued_at_ = deadline.deadline_;
            queue_.insert(deadline);
            continue;
        }
        deadline.armed_ = false;
        deadline.expired_ = true;
        boost::system::error_code ignored;
        deadline.stream_->socket().cancel(ignored);
    }
    if (!queue_.empty()) {
        wait_until(queue_.begin()->queued_at_);
    }
}

}  // namespace turnout::server

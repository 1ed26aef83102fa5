#include "server/queued_timer.hpp"

#include "server/deadline_queue.hpp"

namespace turnout::server {

QueuedTimer::QueuedTimer(const boost::asio::any_io_executor& executor)
    : queue_{DeadlineQueue::of(executor)} {}

QueuedTimer::~QueuedTimer() {
    if (hook_.is_linked()) {
        queue_.remove(*this);
    }
}

void QueuedTimer::arm(std::chrono::milliseconds after) {
    armed_ = true;
    deadline_ = clock::now() + after;
    if (hook_.is_linked()) {
        if (queued_at_ <= deadline_) {
            return;  // comes up first, then moves on to deadline_
        }
        queue_.remove(*this);
    }
    queued_at_ = deadline_;
    queue_.add(*this);
}

}  // namespace turnout::server

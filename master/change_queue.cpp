#include "master/change_queue.hpp"

#include <boost/assert.hpp>

#include <utility>

namespace turnout::master {

ChangeQueue::Job::Job(Job&& other) noexcept : queue_{std::exchange(other.queue_, nullptr)} {}

ChangeQueue::Job& ChangeQueue::Job::operator=(Job&& other) noexcept {
    if (this != &other) {
        if (queue_ != nullptr) {
            std::exchange(queue_, nullptr)->job_ended();
        }
        queue_ = std::exchange(other.queue_, nullptr);
    }
    return *this;
}

// A job dropped on any path (an early return, an exception) still ends its
// change: otherwise every later change would wait forever.
ChangeQueue::Job::~Job() {
    if (queue_ != nullptr) {
        std::exchange(queue_, nullptr)->job_ended();
    }
}

void ChangeQueue::Job::finish() {
    BOOST_ASSERT_MSG(queue_ != nullptr, "a change job finished twice, or after being moved from");
    if (queue_ != nullptr) {
        std::exchange(queue_, nullptr)->job_ended();
    }
}

void ChangeQueue::enqueue(Change change) {
    waiting_.push_back(std::move(change));
    if (!running_ && !starting_) {
        run_waiting();
    }
}

void ChangeQueue::job_ended() {
    BOOST_ASSERT(running_);
    running_ = false;
    if (!starting_) {
        run_waiting();
    }
}

void ChangeQueue::run_waiting() {
    struct Starting {
        bool& flag;
        explicit Starting(bool& f) : flag{f} { flag = true; }
        ~Starting() { flag = false; }
        Starting(const Starting&) = delete;
        Starting& operator=(const Starting&) = delete;
    } starting{starting_};
    while (!running_ && !waiting_.empty()) {
        auto change = std::move(waiting_.front());
        waiting_.pop_front();
        running_ = true;
        change(Job{*this});
    }
}

}  // namespace turnout::master

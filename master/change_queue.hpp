#pragma once

// Changes to the live config run one at a time, in the order they came
// (SPEC §4: each is validated against, and builds on, the one before). A
// change may end at once (refused) or much later (once every worker
// acknowledged it); either way the next one must not start before, and
// must start then. The queue hands each change a Job that ends it exactly
// once: by finish(), or by being destroyed, so no path can forget it.

#include <cstddef>
#include <deque>
#include <functional>

namespace turnout::master {

class ChangeQueue {
public:
    // The running change's turn. Move-only; whoever holds it holds the queue.
    class Job {
    public:
        Job(Job&& other) noexcept;
        Job& operator=(Job&& other) noexcept;
        Job(const Job&) = delete;
        Job& operator=(const Job&) = delete;
        ~Job();

        // Ends the change and starts the next one waiting. Once per job:
        // a job finished or moved from holds nothing (asserted).
        void finish();
        bool holds_turn() const { return queue_ != nullptr; }

    private:
        friend class ChangeQueue;
        explicit Job(ChangeQueue& queue) : queue_{&queue} {}
        ChangeQueue* queue_;
    };
    using Change = std::function<void(Job)>;

    ChangeQueue() = default;
    ChangeQueue(const ChangeQueue&) = delete;
    ChangeQueue& operator=(const ChangeQueue&) = delete;

    // Runs `change` now when no other is running, else after those before it.
    void enqueue(Change change);
    // Forgets the changes waiting (at shutdown, before what they use goes).
    void drop_waiting() { waiting_.clear(); }

    bool running() const { return running_; }
    std::size_t waiting() const { return waiting_.size(); }

private:
    void job_ended();
    void run_waiting();

    std::deque<Change> waiting_;
    bool running_ = false;
    // Set while run_waiting() is on the stack: a change that ends during its
    // own run lets that loop start the next, instead of nesting one change
    // inside another's call stack.
    bool starting_ = false;
};

}  // namespace turnout::master

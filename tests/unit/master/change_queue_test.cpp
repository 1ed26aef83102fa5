#include "master/change_queue.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using turnout::master::ChangeQueue;

TEST_CASE("changes run one at a time, in the order they came", "[change_queue]") {
    ChangeQueue queue;
    std::vector<std::string> log;
    std::optional<ChangeQueue::Job> held;
    queue.enqueue([&](ChangeQueue::Job job) {
        log.push_back("a starts");
        held = std::move(job);  // ends later, as a change waiting for acks does
    });
    queue.enqueue([&](ChangeQueue::Job) { log.push_back("b"); });
    queue.enqueue([&](ChangeQueue::Job) { log.push_back("c"); });
    CHECK(log == std::vector<std::string>{"a starts"});
    CHECK(queue.running());
    CHECK(queue.waiting() == 2);

    log.push_back("a ends");
    held->finish();
    CHECK(log == std::vector<std::string>{"a starts", "a ends", "b", "c"});
    CHECK_FALSE(queue.running());
    CHECK(queue.waiting() == 0);
}

TEST_CASE("a change that returns without finishing still ends, and the next one runs",
          "[change_queue]") {
    ChangeQueue queue;
    std::vector<std::string> log;
    queue.enqueue([&](ChangeQueue::Job) { log.push_back("refused"); });
    queue.enqueue([&](ChangeQueue::Job) { log.push_back("next"); });
    CHECK(log == std::vector<std::string>{"refused", "next"});
    CHECK_FALSE(queue.running());
}

TEST_CASE("a held job that is dropped without finish ends its change", "[change_queue]") {
    ChangeQueue queue;
    std::optional<ChangeQueue::Job> held;
    bool next_ran = false;
    queue.enqueue([&](ChangeQueue::Job job) { held = std::move(job); });
    queue.enqueue([&](ChangeQueue::Job) { next_ran = true; });
    CHECK_FALSE(next_ran);
    held.reset();
    CHECK(next_ran);
}

TEST_CASE("a change whose code throws does not stall the queue", "[change_queue]") {
    ChangeQueue queue;
    CHECK_THROWS(queue.enqueue([](ChangeQueue::Job) { throw std::runtime_error{"boom"}; }));
    CHECK_FALSE(queue.running());
    bool ran = false;
    queue.enqueue([&](ChangeQueue::Job) { ran = true; });
    CHECK(ran);
}

TEST_CASE("a job ends once: finished or moved from, it holds no turn", "[change_queue]") {
    ChangeQueue queue;
    int runs = 0;
    std::optional<ChangeQueue::Job> first;
    std::optional<ChangeQueue::Job> second;
    queue.enqueue([&](ChangeQueue::Job job) {
        CHECK(job.holds_turn());
        ChangeQueue::Job moved{std::move(job)};
        CHECK_FALSE(job.holds_turn());  // NOLINT(bugprone-use-after-move): the point of the check
        CHECK(moved.holds_turn());
        first = std::move(moved);
    });
    queue.enqueue([&](ChangeQueue::Job job) {
        ++runs;
        second = std::move(job);
    });
    first->finish();
    CHECK_FALSE(first->holds_turn());
    CHECK(runs == 1);
    first.reset();  // a finished job dropped does not end the next change
    CHECK(queue.running());
    CHECK(second->holds_turn());
    second->finish();
    CHECK_FALSE(queue.running());
}

TEST_CASE("a change queued from inside a running change runs after it", "[change_queue]") {
    ChangeQueue queue;
    std::vector<std::string> log;
    queue.enqueue([&](ChangeQueue::Job job) {
        queue.enqueue([&](ChangeQueue::Job) { log.push_back("inner"); });
        log.push_back("outer before finish");
        job.finish();
        log.push_back("outer after finish");
    });
    CHECK(log == std::vector<std::string>{"outer before finish", "outer after finish", "inner"});
    CHECK_FALSE(queue.running());
}

TEST_CASE("a change queued by a finishing change's answer runs after it, not inside it",
          "[change_queue]") {
    ChangeQueue queue;
    std::vector<std::string> log;
    std::optional<ChangeQueue::Job> held;
    queue.enqueue([&](ChangeQueue::Job job) { held = std::move(job); });
    // As the ack timer does: answer the caller, whose answer queues the next
    // change (a rollout step), then finish.
    log.push_back("answer");
    queue.enqueue([&](ChangeQueue::Job) { log.push_back("step"); });
    CHECK(log == std::vector<std::string>{"answer"});
    held->finish();
    CHECK(log == std::vector<std::string>{"answer", "step"});
}

TEST_CASE("changes waiting are forgotten at shutdown", "[change_queue]") {
    ChangeQueue queue;
    std::optional<ChangeQueue::Job> held;
    bool ran = false;
    queue.enqueue([&](ChangeQueue::Job job) { held = std::move(job); });
    queue.enqueue([&](ChangeQueue::Job) { ran = true; });
    queue.drop_waiting();
    held.reset();
    CHECK_FALSE(ran);
    CHECK_FALSE(queue.running());
}

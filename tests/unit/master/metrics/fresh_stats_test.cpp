#include "master/metrics/fresh_stats.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <vector>

using turnout::master::FreshStats;

namespace {

using namespace std::chrono_literals;

const FreshStats::clock::time_point t0{};

// A FreshStats whose live workers are `live` (edited by the test), and the
// labels of the waiters that ran, in order.
struct Waiting {
    std::vector<pid_t> live{101, 102};
    std::vector<int> ran;
    FreshStats stats{[this] { return live; }};

    void wait(int label, std::uint64_t number,
              FreshStats::clock::time_point deadline = t0 + 500ms) {
        stats.wait(number, deadline, [this, label] { ran.push_back(label); });
    }

    // Worker `pid` answers request `number`, and the master settles at once
    // (as it does on every answer).
    void answer(pid_t pid, std::uint64_t number) {
        stats.answered(pid, number);
        stats.settle(t0);
    }

    // Every live worker answers request `number`.
    void all_answer(std::uint64_t number) {
        for (const pid_t pid : live) {
            stats.answered(pid, number);
        }
    }
};

}  // namespace

TEST_CASE("request numbers go up from 1", "[fresh_stats]") {
    Waiting w;
    CHECK(w.stats.next_request() == 1);
    CHECK(w.stats.next_request() == 2);
    CHECK(w.stats.next_request() == 3);
}

TEST_CASE("a waiter runs once every live worker answered its request", "[fresh_stats]") {
    Waiting w;
    const auto number = w.stats.next_request();
    w.wait(1, number);
    w.stats.settle(t0);
    CHECK(w.ran.empty());
    w.answer(101, number);
    CHECK(w.ran.empty());
    w.answer(102, number);
    CHECK(w.ran == std::vector<int>{1});
    w.stats.settle(t0 + 1s);
    CHECK(w.ran == std::vector<int>{1});  // once
    CHECK_FALSE(w.stats.next_deadline());
}

TEST_CASE("answers to requests sent before the wait do not satisfy it", "[fresh_stats]") {
    // The once-a-second poll's answers arrive all the time; counting them
    // judged an interval on counters up to a second old.
    Waiting w;
    const auto poll = w.stats.next_request();
    const auto mine = w.stats.next_request();
    w.wait(1, mine);
    w.all_answer(poll);
    w.all_answer(poll);
    w.stats.settle(t0 + 10ms);
    CHECK(w.ran.empty());
    SECTION("the answers to the request waited for") {
        w.all_answer(mine);
        w.stats.settle(t0 + 20ms);
        CHECK(w.ran == std::vector<int>{1});
    }
    SECTION("answers to a later request (the next poll's) do too") {
        const auto next_poll = w.stats.next_request();
        w.all_answer(next_poll);
        w.stats.settle(t0 + 20ms);
        CHECK(w.ran == std::vector<int>{1});
    }
}

TEST_CASE("an answer sent unasked, or an older one, does not undo a newer one", "[fresh_stats]") {
    Waiting w;
    const auto first = w.stats.next_request();
    const auto second = w.stats.next_request();
    w.stats.answered(101, second);
    w.stats.answered(101, first);
    w.stats.answered(101, 0);  // a stopping worker's last counts
    w.stats.answered(102, second);
    w.wait(1, second);
    w.stats.settle(t0);
    CHECK(w.ran == std::vector<int>{1});
}

TEST_CASE("a worker that dies or is replaced is not waited for", "[fresh_stats]") {
    Waiting w;
    const auto number = w.stats.next_request();
    w.wait(1, number);
    w.stats.answered(101, number);
    w.stats.settle(t0);
    CHECK(w.ran.empty());
    SECTION("dies") {
        w.live = {101};
        w.stats.settle(t0 + 1ms);
        CHECK(w.ran == std::vector<int>{1});
    }
    SECTION("is replaced: the new worker never got the request and counts nothing from before") {
        w.live = {101, 203};
        w.stats.settle(t0 + 1ms);
        CHECK(w.ran == std::vector<int>{1});
        // A later waiter waits for the new worker.
        const auto next = w.stats.next_request();
        w.wait(2, next);
        w.answer(101, next);
        CHECK(w.ran == std::vector<int>{1});
        w.answer(203, next);
        CHECK(w.ran == std::vector<int>{1, 2});
    }
}

TEST_CASE("a pid that comes back is a new worker and answers afresh", "[fresh_stats]") {
    Waiting w;
    const auto number = w.stats.next_request();
    w.stats.answered(102, number);
    w.live = {101};
    w.stats.settle(t0);   // 102 died: forgotten
    w.live = {101, 102};  // a new worker got the pid again
    w.wait(1, number);
    w.answer(101, number);
    CHECK(w.ran.empty());
    w.answer(102, number);
    CHECK(w.ran == std::vector<int>{1});
}

TEST_CASE("a worker that does not answer delays a waiter until its deadline", "[fresh_stats]") {
    Waiting w;
    const auto number = w.stats.next_request();
    w.wait(1, number, t0 + 500ms);
    w.stats.answered(101, number);
    CHECK(w.stats.next_deadline() == t0 + 500ms);
    w.stats.settle(t0 + 499ms);
    CHECK(w.ran.empty());
    w.stats.settle(t0 + 500ms);
    CHECK(w.ran == std::vector<int>{1});
    CHECK_FALSE(w.stats.next_deadline());
}

TEST_CASE("with no live worker a waiter runs at the next settle", "[fresh_stats]") {
    Waiting w;
    w.live.clear();
    w.wait(1, w.stats.next_request());
    CHECK(w.ran.empty());  // wait() runs nothing itself
    w.stats.settle(t0);
    CHECK(w.ran == std::vector<int>{1});
}

TEST_CASE("waiters run in the order they began, and may wait again", "[fresh_stats]") {
    Waiting w;
    const auto first = w.stats.next_request();
    w.wait(1, first, t0 + 900ms);
    const auto second = w.stats.next_request();
    w.wait(2, second, t0 + 700ms);
    CHECK(w.stats.next_deadline() == t0 + 700ms);
    std::uint64_t third = 0;
    w.stats.wait(second, t0 + 800ms, [&] {
        w.ran.push_back(3);
        third = w.stats.next_request();
        w.wait(4, third);
    });
    w.all_answer(second);
    w.stats.settle(t0 + 10ms);
    CHECK(w.ran == std::vector<int>{1, 2, 3});
    CHECK(w.stats.next_deadline() == t0 + 500ms);
    w.all_answer(third);
    w.stats.settle(t0 + 20ms);
    CHECK(w.ran == std::vector<int>{1, 2, 3, 4});
}

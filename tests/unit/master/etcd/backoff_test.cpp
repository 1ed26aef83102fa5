// Retry waits grow, stop at the cap, keep their jitter within half a step
// to a whole one, and start over after a success.

#include "master/etcd/backoff.hpp"

#include <catch2/catch.hpp>

using turnout::master::etcd::Backoff;
using ms = std::chrono::milliseconds;

TEST_CASE("the wait doubles up to the cap", "[etcd]") {
    Backoff backoff{ms{100}, ms{1000}, [] { return 0.999999; }};
    std::vector<long> waits;
    for (int i = 0; i < 7; ++i) {
        waits.push_back(backoff.next().count());
    }
    CHECK(waits == std::vector<long>{99, 199, 399, 799, 999, 999, 999});
}

TEST_CASE("jitter picks between half the step and the step", "[etcd]") {
    Backoff low{ms{200}, ms{1000}, [] { return 0.0; }};
    CHECK(low.next() == ms{100});
    CHECK(low.next() == ms{200});
    Backoff middle{ms{200}, ms{1000}, [] { return 0.5; }};
    CHECK(middle.next() == ms{150});
}

TEST_CASE("a random source out of range is clamped", "[etcd]") {
    Backoff wild{ms{200}, ms{1000}, [] { return 7.0; }};
    CHECK(wild.next() == ms{200});
    Backoff negative{ms{200}, ms{1000}, [] { return -3.0; }};
    CHECK(negative.next() == ms{100});
}

TEST_CASE("reset starts over from the initial step", "[etcd]") {
    Backoff backoff{ms{100}, ms{1000}, [] { return 0.0; }};
    backoff.next();
    backoff.next();
    backoff.reset();
    CHECK(backoff.next() == ms{50});
}

TEST_CASE("the system random source stays at or above 0 and below 1", "[etcd]") {
    auto random = turnout::master::etcd::system_random();
    for (int i = 0; i < 1000; ++i) {
        const double value = random();
        REQUIRE(value >= 0.0);
        REQUIRE(value < 1.0);
    }
}

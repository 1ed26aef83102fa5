#include "server/h2/frame_budget.hpp"

#include <catch2/catch.hpp>

using turnout::server::FrameBudget;
using namespace std::chrono_literals;

TEST_CASE("a frame budget allows its burst, then its rate", "[h2]") {
    FrameBudget budget{3, 10};
    const auto start = FrameBudget::clock::time_point{} + 1h;
    CHECK(budget.take(start));
    CHECK(budget.take(start));
    CHECK(budget.take(start));
    CHECK_FALSE(budget.take(start));
    // 10 per second: one more after 100 ms, not before.
    CHECK_FALSE(budget.take(start + 50ms));
    CHECK(budget.take(start + 160ms));
    CHECK_FALSE(budget.take(start + 170ms));
}

TEST_CASE("a frame budget refills to its burst, no further", "[h2]") {
    FrameBudget budget{2, 100};
    const auto start = FrameBudget::clock::time_point{} + 1h;
    CHECK(budget.take(start));
    CHECK(budget.take(start + 1h));
    CHECK(budget.take(start + 1h));
    CHECK_FALSE(budget.take(start + 1h));
}

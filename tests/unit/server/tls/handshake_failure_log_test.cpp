#include "server/tls/handshake_failure_log.hpp"

#include <catch2/catch.hpp>

using turnout::server::HandshakeFailureLog;
using namespace std::chrono_literals;

TEST_CASE("Handshake failure lines are capped per second and the rest counted", "[tls]") {
    HandshakeFailureLog log{3};
    const auto start = HandshakeFailureLog::clock::time_point{} + 100s;
    CHECK(log.admit(start) == 0u);
    CHECK(log.admit(start + 100ms) == 0u);
    CHECK(log.admit(start + 200ms) == 0u);
    CHECK_FALSE(log.admit(start + 300ms));
    CHECK_FALSE(log.admit(start + 900ms));
    SECTION("the next second's first line reports what was dropped") {
        CHECK(log.admit(start + 1s) == 2u);
        CHECK(log.admit(start + 1100ms) == 0u);
    }
}

// The handover an upgrading master names in TURNOUT_UPGRADE: its text
// round-trips, the descriptors are laid out from 3 in order, and a damaged
// text is refused with what is wrong.

#include "master/upgrade/handover.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>

using namespace turnout::master;

namespace {

Handover two_listeners() {
    Handover handover;
    handover.ready_fd = 17;
    handover.lock_fd = 9;
    handover.admin_fd = 12;
    handover.listeners = {{"web", "0.0.0.0:80", {20, 21}}, {"api", "[::1]:8443", {30, 31}}};
    return handover;
}

}  // namespace

TEST_CASE("handover: encoded and decoded back, every descriptor kept", "[upgrade]") {
    const auto handover = two_listeners();
    const auto decoded = decode_handover(encode_handover(handover));
    REQUIRE(std::holds_alternative<Handover>(decoded));
    CHECK(std::get<Handover>(decoded) == handover);
}

TEST_CASE("handover: renumbered from 3 in the order the child finds them", "[upgrade]") {
    const auto handover = two_listeners();
    CHECK(handover.fds() == std::vector<int>{17, 9, 12, 20, 21, 30, 31});
    const auto moved = handover.renumbered(3);
    CHECK(moved.fds() == std::vector<int>{3, 4, 5, 6, 7, 8, 9});
    CHECK(moved.listeners[1].name == "api");
    CHECK(moved.listeners[1].address == "[::1]:8443");
}

TEST_CASE("handover: a damaged text is refused, naming the variable", "[upgrade]") {
    for (const char* text :
         {"", "[]", "{\"ready_fd\":3}",
          "{\"ready_fd\":3,\"lock_fd\":4,\"admin_fd\":-5,\"listeners\":[]}",
          "{\"ready_fd\":3,\"lock_fd\":4,\"admin_fd\":5}",
          "{\"ready_fd\":3,\"lock_fd\":4,\"admin_fd\":5,\"listeners\":[{\"name\":"
          "\"web\",\"address\":\"a\",\"fds\":[]}]}",
          "{\"ready_fd\":3,\"lock_fd\":4,\"admin_fd\":5,\"listeners\":[{\"name\":"
          "\"web\",\"fds\":[6]}]}"}) {
        INFO(text);
        const auto decoded = decode_handover(text);
        REQUIRE(std::holds_alternative<std::string>(decoded));
        CHECK_THAT(std::get<std::string>(decoded), Catch::Contains("TURNOUT_UPGRADE"));
    }
}

TEST_CASE("handover: taken from the environment once, then gone", "[upgrade]") {
    ::unsetenv(handover_variable);
    CHECK_FALSE(take_handover_from_environment());
    ::setenv(handover_variable, encode_handover(two_listeners()).c_str(), 1);
    const auto taken = take_handover_from_environment();
    REQUIRE(taken);
    CHECK(*taken == two_listeners());
    CHECK(std::getenv(handover_variable) == nullptr);
    ::setenv(handover_variable, "{", 1);
    CHECK_THROWS_WITH(take_handover_from_environment(),
                      Catch::Contains("start turnout without it"));
    CHECK(std::getenv(handover_variable) == nullptr);
}

// state_dir belongs to one master: a second lock on it is refused with the
// owner's pid, an inherited descriptor keeps the lock, and the lock goes
// with the last descriptor of its open file.

#include "master/store/state_lock.hpp"

#include "tests/unit/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <string>

using turnout::master::StateLock;

TEST_CASE("state lock: one owner at a time, named to the next", "[store]") {
    turnout::test::TempDir dir;
    const auto state_dir = (dir.path() / "state").string();
    std::optional<StateLock> first{std::in_place, state_dir, -1};
    std::ifstream owner{state_dir + "/lock"};
    std::string pid;
    owner >> pid;
    CHECK(pid == std::to_string(::getpid()));
    CHECK_THROWS_WITH(StateLock(state_dir, -1),
                      Catch::Contains("state_dir " + state_dir + " is in use") &&
                          Catch::Contains("(pid " + pid + ")"));

    SECTION("an inherited descriptor holds the lock after the first is gone") {
        const int copy = ::fcntl(first->fd(), F_DUPFD_CLOEXEC, 0);
        first.reset();
        StateLock heir{state_dir, copy};
        CHECK_THROWS(StateLock(state_dir, -1));
    }
    SECTION("closing the owner frees the folder") {
        first.reset();
        CHECK_NOTHROW(StateLock(state_dir, -1));
    }
}

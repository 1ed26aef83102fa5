#include "master/process_table.hpp"

#include <catch2/catch.hpp>

using turnout::master::respawn_delay;
using turnout::master::WorkerSlot;

TEST_CASE("a worker that dies once is restarted at once", "[process]") {
    WorkerSlot slot;
    slot.quick_deaths = 0;
    CHECK(respawn_delay(slot).count() == 0);
    slot.quick_deaths = 1;
    CHECK(respawn_delay(slot).count() == 0);
}

TEST_CASE("a worker that keeps dying on start backs off, doubling up to 10 s", "[process]") {
    WorkerSlot slot;
    const long expected[] = {100, 200, 400, 800, 1600, 3200, 6400, 10000, 10000, 10000};
    for (unsigned i = 0; i < std::size(expected); ++i) {
        slot.quick_deaths = i + 2;
        CHECK(respawn_delay(slot).count() == expected[i]);
    }
}

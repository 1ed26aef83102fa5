// Which fleet versions travel to workers as one change, and which whole.

#include "master/fleet/config_change.hpp"

#include "tests/unit/config/load_helpers.hpp"

using namespace turnout::master::fleet;
using turnout::config::test::load_ok;
using turnout::config::test::preamble;
using Op = turnout::worker::ConfigDelta::Op;

namespace {

const std::string routes = R"(routes:
  - { name: a, match: { path_prefix: /a/ }, upstream: app }
  - { name: c, match: { path_prefix: /c/ }, upstream: canary }
)";

auto live = load_ok(preamble + routes);

}  // namespace

TEST_CASE("one route changed in place travels as a put of that route", "[fleet]") {
    auto next = load_ok(preamble + R"(routes:
  - { name: a, match: { path_prefix: /a/ }, upstream: canary }
  - { name: c, match: { path_prefix: /c/ }, upstream: canary }
)");
    auto delta = single_change(*live, *next);
    REQUIRE(delta);
    CHECK(delta->op == Op::put_route);
    CHECK(delta->name == "a");
    CHECK(delta->route->split[0].upstream == "canary");
}

TEST_CASE("one route removed travels as its delete", "[fleet]") {
    auto next = load_ok(
        preamble + "routes:\n  - { name: c, match: { path_prefix: /c/ }, upstream: canary }\n");
    auto delta = single_change(*live, *next);
    REQUIRE(delta);
    CHECK(delta->op == Op::delete_route);
    CHECK(delta->name == "a");
}

TEST_CASE("a new route that sorts last travels as a put, one in the middle goes whole", "[fleet]") {
    auto last = load_ok(preamble + routes +
                        "  - { name: d, match: { path_prefix: /d/ }, upstream: app }\n");
    auto delta = single_change(*live, *last);
    REQUIRE(delta);
    CHECK(delta->op == Op::put_route);
    auto middle = load_ok(preamble + R"(routes:
  - { name: a, match: { path_prefix: /a/ }, upstream: app }
  - { name: b, match: { path_prefix: /b/ }, upstream: app }
  - { name: c, match: { path_prefix: /c/ }, upstream: canary }
)");
    CHECK_FALSE(single_change(*live, *middle));
}

TEST_CASE("one upstream changed travels as a put of that upstream", "[fleet]") {
    auto next = load_ok(turnout::config::test::yaml(R"(
listeners:
  - { name: web, address: 127.0.0.1:8080 }
upstreams:
  app:
    targets: [127.0.0.1:9001, 127.0.0.1:9003]
  canary:
    targets: [127.0.0.1:9002]
)") + routes);
    auto delta = single_change(*live, *next);
    REQUIRE(delta);
    CHECK(delta->op == Op::put_upstream);
    CHECK(delta->upstream->targets.size() == 2);
}

TEST_CASE("two changes, or a change outside routes and upstreams, go whole", "[fleet]") {
    auto two = load_ok(preamble + R"(routes:
  - { name: a, match: { path_prefix: /x/ }, upstream: app }
  - { name: c, match: { path_prefix: /y/ }, upstream: canary }
)");
    CHECK_FALSE(single_change(*live, *two));
    auto limits = load_ok("limits: { idle_timeout: 7s }\n" + preamble + routes);
    CHECK_FALSE(single_change(*live, *limits));
    CHECK_FALSE(single_change(*live, *live));
}

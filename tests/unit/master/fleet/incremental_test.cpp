// The fast path: route and upstream keys edited into the last good config,
// anything else left to a full assembly.

#include "master/fleet/incremental.hpp"

#include "tests/unit/config/load_helpers.hpp"

using namespace turnout::master::fleet;
using turnout::config::test::load_ok;
using turnout::config::test::preamble;

namespace {

auto base = load_ok(preamble + R"(routes:
  - { name: b, match: { path_prefix: /b/ }, upstream: app }
  - { name: d, match: { path_prefix: /d/ }, upstream: canary }
)");

}  // namespace

TEST_CASE("a route put and an upstream put are edited in", "[fleet]") {
    auto next = apply_key_changes(base,
                                  {{"routes/b", "match: { path_prefix: /bb/ }\nupstream: canary\n"},
                                   {"upstreams/extra", "targets: [127.0.0.1:9009]\n"}},
                                  "/t/")
                    .config;
    REQUIRE(next);
    CHECK(next->routes[0].split[0].upstream == "canary");
    CHECK(next->find_upstream("extra"));
    CHECK(next->routes.size() == 2);
}

TEST_CASE("a route and the upstream it used go in one change, route first", "[fleet]") {
    auto next = apply_key_changes(
                    base, {{"routes/d", std::nullopt}, {"upstreams/canary", std::nullopt}}, "/t/")
                    .config;
    REQUIRE(next);
    CHECK_FALSE(next->find_route("d"));
    CHECK_FALSE(next->find_upstream("canary"));
}

TEST_CASE("a new route sorting last is appended; one sorting earlier needs a full assembly",
          "[fleet]") {
    CHECK(apply_key_changes(base, {{"routes/e", "upstream: app"}}, "/t/").config);
    CHECK_FALSE(apply_key_changes(base, {{"routes/c", "upstream: app"}}, "/t/").config);
}

TEST_CASE("other keys, or an edit refused, need a full assembly", "[fleet]") {
    CHECK_FALSE(apply_key_changes(base, {{"settings", "limits: {}"}}, "/t/").config);
    CHECK_FALSE(apply_key_changes(base, {{"listeners/web", "address: 127.0.0.1:1"}}, "/t/").config);
    CHECK_FALSE(apply_key_changes(base, {{"routes/b", "upstream: nope"}}, "/t/").config);
    CHECK_FALSE(apply_key_changes(base, {{"upstreams/app", std::nullopt}}, "/t/").config);
}

TEST_CASE("node reports and deletes of what is not there change nothing", "[fleet]") {
    auto next =
        apply_key_changes(base, {{"nodes/edge-1", "{}"}, {"routes/zz", std::nullopt}}, "/t/")
            .config;
    REQUIRE(next);
    CHECK(*next == *base);
}

TEST_CASE("one edit comes with its delta, more than one without", "[fleet]") {
    auto one = apply_key_changes(base, {{"routes/b", "upstream: canary"}}, "/t/");
    REQUIRE(one.delta);
    CHECK(one.delta->op == turnout::worker::ConfigDelta::Op::put_route);
    CHECK(one.delta->route == *one.config->find_route("b"));
    auto gone = apply_key_changes(base, {{"routes/d", std::nullopt}}, "/t/");
    REQUIRE(gone.delta);
    CHECK(gone.delta->op == turnout::worker::ConfigDelta::Op::delete_route);
    auto two = apply_key_changes(
        base, {{"routes/b", "upstream: canary"}, {"routes/d", "upstream: app"}}, "/t/");
    REQUIRE(two.config);
    CHECK_FALSE(two.delta);
}

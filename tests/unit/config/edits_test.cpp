// Partial edits of a live config: each makes a new Config with one change,
// or refuses with the HTTP-shaped kind and errors placed in the body.

#include "config/edits.hpp"

#include "tests/unit/config/config_fixtures.hpp"

using namespace turnout::config;
using namespace turnout::config::test;
using Catch::Matchers::Contains;

namespace {

// Routes one (app), two (canary) and three (a split of both).
const std::string live_yaml = preamble + yaml(R"(
routes:
  - { name: one, match: { path_prefix: /one/ }, upstream: app }
  - { name: two, match: { path_prefix: /two/ }, upstream: canary }
  - name: three
    split:
      - { upstream: app, weight: 50 }
      - { upstream: canary, weight: 50 }
)");

std::shared_ptr<const Config> require_config(const EditResult& result) {
    if (const auto* error = std::get_if<EditError>(&result)) {
        FAIL("expected a new config, got:\n" << describe(error->errors));
    }
    return std::get<std::shared_ptr<const Config>>(result);
}

// The edit was refused with `kind` and exactly one error, at line:column
// (0:0 for errors with no place), whose message holds `fragment`.
void require_refused(const EditResult& result, EditError::Kind kind, int line, int column,
                     std::string_view fragment) {
    const auto* error = std::get_if<EditError>(&result);
    REQUIRE(error);
    INFO(describe(error->errors));
    CHECK(error->kind == kind);
    REQUIRE(error->errors.size() == 1);
    CHECK(error->errors[0].line == line);
    CHECK(error->errors[0].column == column);
    CHECK_THAT(error->errors[0].message, Contains(std::string(fragment)));
}

std::vector<std::string> route_names(const Config& config) {
    std::vector<std::string> names;
    for (const auto& route : config.routes) {
        names.push_back(route.name);
    }
    return names;
}

std::vector<std::string> upstream_names(const Config& config) {
    std::vector<std::string> names;
    for (const auto& upstream : config.upstreams) {
        names.push_back(upstream.name);
    }
    return names;
}

using Names = std::vector<std::string>;
constexpr auto invalid = EditError::Kind::invalid;
constexpr auto conflict = EditError::Kind::conflict;
constexpr auto not_found = EditError::Kind::not_found;

}  // namespace

TEST_CASE("put_route appends a new route and leaves the live config alone", "[config]") {
    auto live = load_ok(live_yaml);
    Config before = *live;
    auto next = require_config(
        put_route(*live, "four", "match: { host: Four.example.com }\nupstream: canary\n", "PUT"));
    CHECK(route_names(*next) == Names{"one", "two", "three", "four"});
    const Route* four = next->find_route("four");
    REQUIRE(four);
    CHECK(four->match.host == "four.example.com");  // read as the loader reads it
    CHECK(four->single_upstream);
    CHECK(four->split == std::vector<SplitEntry>{{"canary", 1}});
    check_same_config(*live, before);
}

TEST_CASE("put_route replaces a route in place", "[config]") {
    auto live = load_ok(live_yaml);
    auto next = require_config(put_route(
        *live, "two", R"({"name": "two", "match": {"path": "/2"}, "upstream": "app"})", "PUT"));
    CHECK(route_names(*next) == Names{"one", "two", "three"});
    const Route& two = next->routes[1];
    CHECK(two.match.path == "/2");
    CHECK(two.match.path_exact);
    CHECK(two.split == std::vector<SplitEntry>{{"app", 1}});
    CHECK(next->routes[0] == live->routes[0]);
    CHECK(next->routes[2] == live->routes[2]);
    CHECK(live->routes[1].match.path == "/two/");
}

// What keeps a one-route change cheap with many routes: the new config
// holds the very routes and upstreams it did not change.
TEST_CASE("an edit shares what it did not change with the live config", "[config]") {
    auto live = load_ok(live_yaml);
    auto next = require_config(put_route(*live, "two", "{ upstream: app }", "PUT"));
    CHECK(&next->routes[0] == &live->routes[0]);
    CHECK(&next->routes[2] == &live->routes[2]);
    CHECK(&next->upstreams[0] == &live->upstreams[0]);

    auto split = require_config(put_split(*next, "three", {{"app", 10}, {"canary", 90}}));
    CHECK(&split->routes[0] == &live->routes[0]);
    CHECK(&split->routes[1] == &next->routes[1]);
    CHECK(split->routes[2].split.front().weight == 10);
    CHECK(live->routes[2].split.front().weight == 50);
}

TEST_CASE("put_route refuses a body that is not a valid route", "[config]") {
    auto live = load_ok(live_yaml);
    SECTION("an upstream that does not exist") {
        require_refused(put_route(*live, "one", "match: { path: /x }\nupstream: cannary\n", "PUT"),
                        invalid, 2, 11, "did you mean 'canary'?");
    }
    SECTION("a name other than the URL's") {
        require_refused(put_route(*live, "one", "name: uno\nupstream: app\n", "PUT"), invalid, 1, 7,
                        "must be the route's name in the URL");
    }
    SECTION("an unknown key") {
        require_refused(put_route(*live, "one", "upstream: app\nstrip_prefx: /x\n", "PUT"), invalid,
                        2, 1, "did you mean 'strip_prefix'?");
    }
    SECTION("a JSON body with a bad value") {
        require_refused(
            put_route(*live, "one", "{\"upstream\": \"app\",\n \"sticky\": \"ip\"}", "PUT"),
            invalid, 2, 12, "header:NAME, cookie:NAME or client_ip");
    }
    SECTION("a header rule that would rewrite the body's framing") {
        require_refused(put_route(*live, "one",
                                  "{\"upstream\": \"app\",\n \"request_headers\": "
                                  "{\"remove\": [\"Content-Length\"]}}",
                                  "PUT"),
                        invalid, 2, 33, "'Content-Length' frames the body");
    }
    SECTION("a YAML syntax error") {
        require_refused(put_route(*live, "one", "upstream: app\nmatch: { path: /x\n", "PUT"),
                        invalid, 3, 1, "YAML syntax error");
    }
    SECTION("an empty body") {
        require_refused(put_route(*live, "one", "", "PUT"), invalid, 0, 0, "the body is empty");
    }
    SECTION("a ',' where a YAML node belongs (yaml-cpp's LoadAll hangs on it)") {
        require_refused(put_route(*live, "one", ",\n", "PUT"), invalid, 1, 1, "YAML syntax error");
    }
    SECTION("a second document") {
        require_refused(put_route(*live, "one", "upstream: app\n---\nupstream: app\n", "PUT"),
                        invalid, 3, 1, "one YAML or JSON document");
    }
    SECTION("a body that is not a map") {
        require_refused(put_route(*live, "one", "\n- upstream: app\n", "PUT"), invalid, 2, 1,
                        "must be a route as a map");
    }
    SECTION("a name in the URL that is not a name") {
        require_refused(put_route(*live, "a b", "upstream: app\n", "PUT"), invalid, 0, 0,
                        "route name \"a b\"");
    }
    auto error =
        std::get<EditError>(put_route(*live, "one", "upstream: nope\n", "PUT /v1/routes/one"));
    CHECK(error.errors[0].file == "PUT /v1/routes/one");
}

TEST_CASE("put_route reports every problem in the body", "[config]") {
    auto live = load_ok(live_yaml);
    auto result = put_route(*live, "one", "match: { methods: [] }\nupstream: nope\n", "PUT");
    auto* error = std::get_if<EditError>(&result);
    REQUIRE(error);
    REQUIRE(error->errors.size() == 2);
    CHECK(error->errors[0].line == 1);
    CHECK(error->errors[1].line == 2);
}

TEST_CASE("delete_route removes a route; an unknown one is not found", "[config]") {
    auto live = load_ok(live_yaml);
    auto next = require_config(delete_route(*live, "two"));
    CHECK(route_names(*next) == Names{"one", "three"});
    require_refused(delete_route(*live, "nope"), not_found, 0, 0, "no route named \"nope\"");
}

TEST_CASE("put_upstream appends a new upstream or replaces one in place", "[config]") {
    auto live = load_ok(live_yaml);
    auto added = require_config(
        put_upstream(*live, "app-v3", "targets: [127.0.0.1:9005]\nretries: 3\n", "PUT"));
    CHECK(upstream_names(*added) == Names{"app", "canary", "app-v3"});
    CHECK(added->upstreams[2].retries == 3);
    CHECK(added->upstreams[2].name == "app-v3");

    auto replaced = require_config(put_upstream(
        *live, "app", R"({"targets": [{"address": "127.0.0.1:9009", "weight": 2}]})", "PUT"));
    CHECK(upstream_names(*replaced) == Names{"app", "canary"});
    REQUIRE(replaced->upstreams[0].targets.size() == 1);
    CHECK(replaced->upstreams[0].targets[0].address.endpoint.port() == 9009);
    CHECK(replaced->upstreams[0].targets[0].weight == 2);
    CHECK(replaced->routes == live->routes);

    // Written as in the file, under its name, it means the same.
    auto wrapped = require_config(put_upstream(
        *live, "app-v3", "app-v3:\n  targets: [127.0.0.1:9005]\n  retries: 3\n", "PUT"));
    CHECK(wrapped->upstreams[2] == added->upstreams[2]);
}

TEST_CASE("put_upstream refuses a body that is not a valid upstream", "[config]") {
    auto live = load_ok(live_yaml);
    SECTION("a target that does not parse") {
        require_refused(
            put_upstream(*live, "app", "targets:\n  - 127.0.0.1:9001\n  - nowhere\n", "PUT"),
            invalid, 3, 5, "targets[1]");
    }
    SECTION("no targets") {
        require_refused(put_upstream(*live, "app", "balance: random_two\n", "PUT"), invalid, 1, 1,
                        "missing key 'targets'");
    }
    SECTION("hash without a key") {
        require_refused(
            put_upstream(*live, "app", "targets: [127.0.0.1:1]\nbalance: hash\n", "PUT"), invalid,
            2, 10, "hash needs hash_key");
    }
    SECTION("a name in the URL that is not a name") {
        require_refused(put_upstream(*live, "app/v2", "targets: [127.0.0.1:1]\n", "PUT"), invalid,
                        0, 0, "upstream name \"app/v2\"");
    }
}

TEST_CASE("delete_upstream refuses while a route uses the upstream", "[config]") {
    auto live = load_ok(live_yaml);
    require_refused(delete_upstream(*live, "canary"), conflict, 0, 0, "used by routes two, three");
    require_refused(delete_upstream(*live, "nope"), not_found, 0, 0, "no upstream named");

    auto unused = require_config(put_upstream(*live, "spare", "targets: [127.0.0.1:1]\n", "PUT"));
    auto next = require_config(delete_upstream(*unused, "spare"));
    CHECK(upstream_names(*next) == Names{"app", "canary"});
}

TEST_CASE("put_split replaces a route's split in the order given", "[config]") {
    auto live = load_ok(live_yaml);
    auto next = require_config(put_split(*live, "one", {{"canary", 10}, {"app", 90}}));
    const Route& one = next->routes[0];
    CHECK(one.split == std::vector<SplitEntry>{{"canary", 10}, {"app", 90}});
    CHECK_FALSE(one.single_upstream);
    CHECK(one.match == live->routes[0].match);
    CHECK(route_names(*next) == Names{"one", "two", "three"});

    auto zero_side = require_config(put_split(*live, "three", {{"app", 0}, {"canary", 1}}));
    CHECK(zero_side->routes[2].split == std::vector<SplitEntry>{{"app", 0}, {"canary", 1}});
}

TEST_CASE("put_split refuses bad weights and unknown names", "[config]") {
    auto live = load_ok(live_yaml);
    require_refused(put_split(*live, "nope", {{"app", 1}}), not_found, 0, 0, "no route named");
    require_refused(put_split(*live, "one", {{"app", 1}, {"canery", 1}}), invalid, 0, 0,
                    "did you mean 'canary'?");
    require_refused(put_split(*live, "one", {{"app", -5}, {"canary", 10}}), invalid, 0, 0,
                    "got -5");
    require_refused(put_split(*live, "one", {{"app", 2'000'000}}), invalid, 0, 0,
                    "from 0 to 1000000");
    require_refused(put_split(*live, "one", {{"app", 0}, {"canary", 0}}), invalid, 0, 0,
                    "add up to 0");
    require_refused(put_split(*live, "one", {}), invalid, 0, 0, "at least one upstream");
    require_refused(put_split(*live, "one", {{"app", 1}, {"app", 2}}), invalid, 0, 0,
                    "given twice");
}

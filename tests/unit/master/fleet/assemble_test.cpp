// A fleet config assembled from etcd keys: the bootstrap's keys plus one
// key per object; every error names its key and the line:column inside
// that key's value.

#include "master/fleet/assemble.hpp"

#include "tests/unit/config/load_helpers.hpp"

using namespace turnout::master::fleet;
using turnout::config::ConfigErrors;
using turnout::config::test::describe;
using Keys = std::map<std::string, std::string>;

namespace {

const std::string bootstrap_text = R"(workers: 1
state_dir: run/state
source:
  etcd:
    endpoints: ["http://127.0.0.1:2379"]
    prefix: /t/
)";

Bootstrap bootstrap(const std::string& text = bootstrap_text) {
    return {text, "boot.yaml", "/etc/turnout", "/t/"};
}

const Keys good = {
    {"listeners/web", "address: 127.0.0.1:8080\n"},
    {"upstreams/app", "targets: [127.0.0.1:9001]\n"},
    {"upstreams/canary", "{\"targets\": [\"127.0.0.1:9002\"]}"},
    {"routes/b-api", "match: { path_prefix: /api/ }\nupstream: app\n"},
    {"routes/a-web", "{ name: a-web, match: { path_prefix: / }, upstream: canary }"},
    {"settings", "limits: { max_header_bytes: 16k }\naccess_log: stdout\n"},
    {"nodes/edge-1", "{\"state\": \"serving\"}"},
};

std::shared_ptr<const turnout::config::Config> assemble_ok(const Keys& keys,
                                                           const Bootstrap& from = bootstrap()) {
    auto result = assemble_config(from, keys);
    if (auto* errors = std::get_if<ConfigErrors>(&result)) {
        FAIL("expected a config, got:\n" << describe(*errors));
    }
    return std::get<std::shared_ptr<const turnout::config::Config>>(result);
}

// Exactly one error, in `key` at line:column, its message holding `fragment`.
void require_error(const Keys& keys, const std::string& key, int line, int column,
                   std::string_view fragment) {
    auto result = assemble_config(bootstrap(), keys);
    auto* errors = std::get_if<ConfigErrors>(&result);
    REQUIRE(errors);
    INFO(describe(*errors));
    REQUIRE(errors->size() == 1);
    CHECK(errors->front().file == key);
    CHECK(errors->front().line == line);
    CHECK(errors->front().column == column);
    CHECK_THAT(errors->front().message, Catch::Matchers::Contains(std::string{fragment}));
}

Keys with(Keys keys, const std::string& key, const std::string& value) {
    keys[key] = value;
    return keys;
}

}  // namespace

TEST_CASE("keys assemble into one config, routes in byte order of their names", "[fleet]") {
    auto config = assemble_ok(good);
    REQUIRE(config->listeners.size() == 1);
    CHECK(config->listeners[0].name == "web");
    REQUIRE(config->upstreams.size() == 2);
    REQUIRE(config->routes.size() == 2);
    CHECK(config->routes[0].name == "a-web");
    CHECK(config->routes[1].name == "b-api");
    CHECK(config->limits.max_header_bytes == 16 * 1024);
    CHECK(config->access_log == "stdout");
    CHECK(config->workers == 1);
    CHECK(config->state_dir == "/etc/turnout/run/state");
    CHECK_FALSE(config->source);
}

TEST_CASE("a bootstrap's own listeners override the fleet's", "[fleet]") {
    auto config =
        assemble_ok(good, bootstrap(bootstrap_text +
                                    "listeners:\n  - { name: local, address: 127.0.0.1:9999 }\n"));
    REQUIRE(config->listeners.size() == 1);
    CHECK(config->listeners[0].name == "local");
}

TEST_CASE("bad YAML in a value names the key and the place in the value", "[fleet]") {
    require_error(with(good, "upstreams/app", "targets: [127.0.0.1:9001\n"), "/t/upstreams/app", 2,
                  1, "YAML syntax error");
}

TEST_CASE("a route naming a missing upstream names the route's key", "[fleet]") {
    require_error(with(good, "routes/b-api", "match: { path_prefix: /api/ }\nupstream: nope\n"),
                  "/t/routes/b-api", 2, 11, "nope");
}

TEST_CASE("an invalid upstream value names the upstream's key", "[fleet]") {
    require_error(with(good, "upstreams/canary", "targets: [127.0.0.1:9002]\nretries: many\n"),
                  "/t/upstreams/canary", 2, 10, "retries");
}

TEST_CASE("an invalid listener names the listener's key", "[fleet]") {
    require_error(with(good, "listeners/web", "address: nowhere\n"), "/t/listeners/web", 1, 10,
                  "address");
}

TEST_CASE("a name in the value must match the key's", "[fleet]") {
    require_error(with(good, "routes/b-api", "{ name: other, upstream: app }"), "/t/routes/b-api",
                  1, 9, "must be 'b-api'");
}

TEST_CASE("a route value must be a map", "[fleet]") {
    require_error(with(good, "routes/b-api", "[1, 2]"), "/t/routes/b-api", 1, 1, "must be a map");
}

TEST_CASE("settings hold limits and access_log only", "[fleet]") {
    require_error(with(good, "settings", "workers: 3\n"), "/t/settings", 1, 1, "bootstrap file");
    require_error(with(good, "settings", "routes: []\n"), "/t/settings", 1, 1, "/t/routes/NAME");
    require_error(with(good, "settings", "limitz: {}\n"), "/t/settings", 1, 1, "unknown setting");
}

TEST_CASE("an invalid setting names the settings key", "[fleet]") {
    require_error(with(good, "settings", "limits:\n  idle_timeout: soon\n"), "/t/settings", 2, 17,
                  "idle_timeout");
}

TEST_CASE("an unknown key is refused", "[fleet]") {
    require_error(with(good, "route/x", "upstream: app"), "/t/route/x", 0, 0, "unknown key");
}

TEST_CASE("a fleet without listeners anywhere is refused", "[fleet]") {
    Keys keys = good;
    keys.erase("listeners/web");
    auto result = assemble_config(bootstrap(), keys);
    auto* errors = std::get_if<ConfigErrors>(&result);
    REQUIRE(errors);
    CHECK_THAT(describe(*errors), Catch::Matchers::Contains("listeners"));
}

TEST_CASE("upstreams or routes in the bootstrap are refused", "[fleet]") {
    auto result = assemble_config(bootstrap(bootstrap_text + "routes: []\n"), good);
    auto* errors = std::get_if<ConfigErrors>(&result);
    REQUIRE(errors);
    REQUIRE(errors->size() == 1);
    CHECK(errors->front().file == "boot.yaml");
    CHECK(errors->front().line == 7);
    CHECK_THAT(errors->front().message, Catch::Matchers::Contains("come from etcd"));
}

// A config file split into a fleet's keys, and keys printed as one config.

#include "config/fleet_file.hpp"

#include "tests/unit/config/load_helpers.hpp"

#include <yaml-cpp/yaml.h>

using namespace turnout::master::fleet;
using turnout::config::ConfigErrors;

namespace {

const std::string file = R"(workers: 3
listeners:
  - { name: web, address: 127.0.0.1:8080 }
limits: { idle_timeout: 30s }
upstreams:
  app: { targets: [127.0.0.1:9001] }
routes:
  - { name: main, match: { path_prefix: / }, upstream: app }
)";

}  // namespace

TEST_CASE("a config file becomes one key per object, bootstrap keys left out", "[fleet]") {
    auto result = keys_from_config(file, "f.yaml", "/etc/turnout");
    REQUIRE(std::holds_alternative<Keys>(result));
    const auto& keys = std::get<Keys>(result);
    std::vector<std::string> names;
    for (const auto& [key, value] : keys) {
        names.push_back(key);
    }
    CHECK(names ==
          std::vector<std::string>{"listeners/web", "routes/main", "settings", "upstreams/app"});
    CHECK_THAT(keys.at("settings"), Catch::Matchers::Contains("idle_timeout: 30s"));
}

TEST_CASE("a file without listeners is fine: nodes bring their own", "[fleet]") {
    auto result =
        keys_from_config("upstreams:\n  app: { targets: [127.0.0.1:9001] }\n", "f.yaml", "/");
    REQUIRE(std::holds_alternative<Keys>(result));
    CHECK(std::get<Keys>(result).size() == 1);
}

TEST_CASE("an invalid file gives its errors at their place", "[fleet]") {
    auto result = keys_from_config("routes:\n  - { name: r, upstream: nope }\n", "f.yaml", "/");
    REQUIRE(std::holds_alternative<ConfigErrors>(result));
    const auto& errors = std::get<ConfigErrors>(result);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].file == "f.yaml");
    CHECK(errors[0].line == 2);
}

TEST_CASE("keys print as one config that splits back into the same keys", "[fleet]") {
    auto keys = std::get<Keys>(keys_from_config(file, "f.yaml", "/"));
    keys["nodes/edge-1"] = "{\"state\": \"serving\"}";
    keys["nodes/edge-1/rollouts/main"] = "{\"node\": \"edge-1\"}";
    keys["rollouts/main"] = "{\"state\": \"stepping\"}";
    keys["leader"] = "edge-1";
    std::vector<std::string> skipped;
    const auto text = config_from_keys(keys, skipped);
    CHECK(skipped.empty());
    CHECK(text.find("edge-1") == std::string::npos);
    CHECK(text.find("stepping") == std::string::npos);
    for (const auto* fleet_key :
         {"nodes/edge-1", "nodes/edge-1/rollouts/main", "rollouts/main", "leader"}) {
        keys.erase(fleet_key);
    }
    auto again = keys_from_config(text, "get", "/");
    REQUIRE(std::holds_alternative<Keys>(again));
    CHECK(std::get<Keys>(again) == keys);
}

TEST_CASE("a value that is not YAML is left out and named", "[fleet]") {
    std::vector<std::string> skipped;
    config_from_keys({{"routes/x", "[unclosed"}}, skipped);
    CHECK(skipped == std::vector<std::string>{"routes/x"});
}

TEST_CASE("a route key's value gets a new split, its other fields kept", "[fleet]") {
    const auto value = route_with_split("match: { path_prefix: /api/ }\nupstream: app-v1\n",
                                        {{"app-v1", 75}, {"app-v2", 25}});
    REQUIRE(value);
    const auto route = YAML::Load(*value);
    CHECK(route["match"]["path_prefix"].as<std::string>() == "/api/");
    CHECK_FALSE(route["upstream"]);
    REQUIRE(route["split"].size() == 2);
    CHECK(route["split"][1]["upstream"].as<std::string>() == "app-v2");
    CHECK(route["split"][1]["weight"].as<int>() == 25);
    CHECK_FALSE(route_with_split("[not, a, map]", {{"a", 100}}));
}

// Config → YAML: what it writes loads back into an equal Config, in the
// short forms an operator would write by hand.

#include "config/yaml_writer.hpp"

#include "config/edits.hpp"

#include <yaml-cpp/yaml.h>
#include "tests/unit/config/config_fixtures.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

using namespace turnout::config;
using namespace turnout::config::test;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;

namespace {

std::shared_ptr<const Config> reload(const Config& config) {
    std::string text = to_yaml(config);
    INFO("written:\n" << text);
    auto result = load_config_text(text, "written.yaml", base_dir);
    if (auto* errors = std::get_if<ConfigErrors>(&result)) {
        FAIL("the written config does not load:\n" << describe(*errors));
    }
    return std::get<std::shared_ptr<const Config>>(result);
}

// A file of the repository, found from the source folder CMake names.
std::string repository_file(const std::string& path) {
    return (std::filesystem::path(TURNOUT_SOURCE_DIR) / path).lexically_normal().string();
}

// The YAML of the "Complete example" in docs/configuration.md.
std::string documented_example() {
    std::ifstream in(repository_file("docs/configuration.md"));
    std::stringstream text;
    text << in.rdbuf();
    std::string doc = text.str();
    auto heading = doc.find("## Complete example");
    auto start = doc.find("```yaml\n", heading);
    auto end = doc.find("```", start + 8);
    if (heading == std::string::npos || start == std::string::npos || end == std::string::npos) {
        return "";
    }
    return doc.substr(start + 8, end - start - 8);
}

}  // namespace

TEST_CASE("a config using every field is written and reloads equal", "[config]") {
    auto original = load_ok(every_field_yaml);
    auto reloaded = reload(*original);
    check_same_config(*reloaded, *original);
    // And writing it again gives the same text: nothing drifts.
    CHECK(to_yaml(*reloaded) == to_yaml(*original));
}

TEST_CASE("examples/demo.yaml is written and reloads equal", "[config]") {
    auto result = load_config_file(repository_file("examples/demo.yaml"));
    auto* errors = std::get_if<ConfigErrors>(&result);
    INFO((errors ? describe(*errors) : std::string()));
    REQUIRE_FALSE(errors);
    Config original = *std::get<std::shared_ptr<const Config>>(result);
    original.source_path.clear();  // a file's own path is not part of its text

    check_same_config(*reload(original), original);
}

TEST_CASE("the complete example of docs/configuration.md loads and reloads equal", "[config]") {
    std::string example = documented_example();
    REQUIRE_FALSE(example.empty());
    auto original = load_ok(example);
    CHECK(original->routes.size() == 4);
    check_same_config(*reload(*original), *original);
}

TEST_CASE("durations and sizes are written in their shortest exact unit", "[config]") {
    Config config = *load_ok(preamble);
    config.limits.header_timeout = 1500ms;
    config.limits.idle_timeout = 10s;
    config.limits.drain_timeout = 5min;
    config.limits.max_header_bytes = 32 * 1024;
    config.limits.max_body_bytes = 3ULL << 30;
    config.upstreams.edit(0).timeouts.response = 2h;
    config.upstreams.edit(0).keepalive.idle_timeout = 0ms;
    config.upstreams.edit(1).health_check = HealthCheck{};
    config.upstreams.edit(1).health_check->interval = 90s;

    std::string text = to_yaml(config);
    CHECK_THAT(text, Contains("header_timeout: 1500ms"));
    CHECK_THAT(text, Contains("idle_timeout: 10s"));
    CHECK_THAT(text, Contains("drain_timeout: 5m"));
    CHECK_THAT(text, Contains("max_header_bytes: 32k"));
    CHECK_THAT(text, Contains("max_body_bytes: 3g"));
    CHECK_THAT(text, Contains("response: 2h"));
    CHECK_THAT(text, Contains("idle_timeout: 0s"));
    CHECK_THAT(text, Contains("interval: 90s"));
    check_same_config(*reload(config), config);
}

TEST_CASE("values equal to their defaults are left out", "[config]") {
    auto config = load_ok(preamble + "routes:\n  - { name: r, upstream: app }\n");
    std::string text = to_yaml(*config);
    CHECK_THAT(text, Contains("workers: auto"));
    CHECK_THAT(text, !Contains("limits"));
    CHECK_THAT(text, !Contains("balance"));
    CHECK_THAT(text, !Contains("keepalive"));
    CHECK_THAT(text, !Contains("match"));
    CHECK_THAT(text, Contains("upstream: app"));
    CHECK_THAT(text, !Contains("split"));
}

TEST_CASE("a single-upstream route is written with upstream:, a split with split:", "[config]") {
    auto config = load_ok(every_field_yaml);
    CHECK(to_yaml(*config->find_route("exact")) ==
          "name: exact\nmatch: { host: \"*.example.com\", path: /login }\nupstream: app-v2\n"
          "sticky: client_ip\n");
    // Written as a split with one side, it stays a split.
    std::string one_side = to_yaml(*config->find_route("single-as-split"));
    CHECK_THAT(one_side, Contains("split:"));
    CHECK_THAT(one_side, Contains("weight: 1"));
}

TEST_CASE("one route or upstream is written as the body one would PUT", "[config]") {
    auto config = load_ok(every_field_yaml);
    for (const Route& route : config->routes) {
        std::string body = to_yaml(route);
        INFO(body);
        auto result = put_route(*config, route.name, body, "body");
        REQUIRE(std::holds_alternative<std::shared_ptr<const Config>>(result));
        CHECK(*std::get<std::shared_ptr<const Config>>(result)->find_route(route.name) == route);
    }
    for (const Upstream& upstream : config->upstreams) {
        std::string body = to_yaml(upstream);
        INFO(body);
        auto result = put_upstream(*config, upstream.name, body, "body");
        REQUIRE(std::holds_alternative<std::shared_ptr<const Config>>(result));
        CHECK(*std::get<std::shared_ptr<const Config>>(result)->find_upstream(upstream.name) ==
              upstream);
    }
}

// 2,000 routes: the loader takes seconds for 10,000 in a Debug build.
TEST_CASE("a large config is written and reloads equal", "[config][timing]") {
    Config config = large_config(2'000);

    auto start = std::chrono::steady_clock::now();
    std::string text = to_yaml(config);
    auto written = std::chrono::steady_clock::now();
    auto reloaded = reload(config);
    auto loaded = std::chrono::steady_clock::now();

    using ms = std::chrono::duration<double, std::milli>;
    std::cout << config.routes.size() << " routes, " << text.size() / 1024
              << " KiB of YAML: to_yaml " << ms(written - start).count() << " ms, load_config_text "
              << ms(loaded - written).count() << " ms\n";
    CHECK(reloaded->routes == config.routes);
    CHECK(reloaded->upstreams == config.upstreams);
}

TEST_CASE("strings other YAML tools would read as numbers or booleans are quoted", "[config]") {
    Config config = *load_ok(preamble);
    Route route;
    route.name = "yes";
    route.split = {SplitEntry{"app", 1}};
    route.single_upstream = true;
    route.request_headers.set = {{"X-A", "2"},    {"X-B", "1.5e3"}, {"X-C", "off"},
                                 {"X-D", "0x1F"}, {"X-E", "v2"},    {"X-F", "127.0.0.1"}};
    config.routes.push_back(route);
    std::string text = to_yaml(route);
    CHECK_THAT(text, Contains("name: \"yes\""));
    CHECK_THAT(text, Contains("X-A: \"2\", X-B: \"1.5e3\", X-C: \"off\", X-D: \"0x1F\", "
                              "X-E: v2, X-F: 127.0.0.1"));
    check_same_config(*reload(config), config);
}

TEST_CASE("any string is written so that YAML reads it back unchanged", "[config]") {
    // Random strings from an alphabet heavy in YAML's special characters,
    // and short names that may spell numbers or keywords ("1e5", "y").
    std::mt19937 random(20240131);
    const std::string special = " \t\n\r\"'\\:#-?,[]{}&*!|>%@`~=<.+_/0123456789eExXoOyYnN\x01\x7f";
    auto random_text = [&](std::size_t max_length, std::string_view alphabet, bool any_byte) {
        std::string text(random() % (max_length + 1), ' ');
        for (char& c : text) {
            c = any_byte && random() % 4 == 0 ? static_cast<char>(random() % 256)
                                              : alphabet[random() % alphabet.size()];
        }
        return text;
    };
    const std::string name_chars = "0123456789.-_eEyYnNoOxXtrufalsT";
    for (int i = 0; i < 2000; ++i) {
        Route route;
        route.name = random_text(4, name_chars, false);
        if (route.name.empty()) {
            route.name = "n";
        }
        std::string header = random_text(6, special, false);
        std::string value = random_text(12, special, true);
        route.split = {SplitEntry{route.name, 1}};
        route.single_upstream = true;
        route.request_headers.set = {{header.empty() ? "h" : header, value}};
        route.response_headers.remove = {value};

        std::string text = to_yaml(route);
        INFO(text);
        YAML::Node node;
        REQUIRE_NOTHROW(node = YAML::Load(text));
        CHECK(node["name"].Scalar() == route.name);
        CHECK(node["upstream"].Scalar() == route.name);
        auto set = node["request_headers"]["set"];
        REQUIRE(set.size() == 1);
        CHECK(set.begin()->first.Scalar() == route.request_headers.set[0].first);
        CHECK(set.begin()->second.Scalar() == value);
        CHECK(node["response_headers"]["remove"][0].Scalar() == value);
    }
}

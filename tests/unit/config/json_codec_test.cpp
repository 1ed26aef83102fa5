// Config ⇄ JSON: lossless for every field, refuses what it did not write,
// and fast enough to ship a 10,000-route config to every worker.

#include "config/json_codec.hpp"
#include "tests/unit/config/config_fixtures.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>

using namespace turnout::config;
using namespace turnout::config::test;
namespace json = boost::json;

namespace {

// Through text, as it travels between processes.
json::value through_text(const json::value& value) {
    return json::parse(json::serialize(value));
}

double ms_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
}

}  // namespace

TEST_CASE("a config using every field comes back equal from JSON", "[config]") {
    Config original = *load_ok(every_field_yaml);
    original.source_path = "/etc/turnout/turnout.yaml";

    auto decoded = config_from_json(through_text(to_json(original)));
    REQUIRE(decoded);
    check_same_config(*decoded, original);
    // The parsed endpoints come back too, not only the address text.
    CHECK(decoded->upstreams[1].targets[0].address.endpoint.address().to_string() == "127.0.0.1");
    CHECK(decoded->listeners[1].address.endpoint.address().is_v6());
}

TEST_CASE("a config with absent optionals comes back equal from JSON", "[config]") {
    auto original = load_ok(preamble + "routes:\n  - { name: r, upstream: app }\n");
    REQUIRE_FALSE(original->admin.mode);
    REQUIRE_FALSE(original->access_log);

    json::value encoded = to_json(*original);
    CHECK(encoded.at("access_log").is_null());
    CHECK(encoded.at("admin").at("mode").is_null());
    auto decoded = config_from_json(through_text(encoded));
    REQUIRE(decoded);
    check_same_config(*decoded, *original);
}

TEST_CASE("one route or one upstream comes back equal from JSON", "[config]") {
    auto config = load_ok(every_field_yaml);
    for (const Route& route : config->routes) {
        auto decoded = route_from_json(through_text(to_json(route)));
        REQUIRE(decoded);
        CHECK(*decoded == route);
    }
    for (const Upstream& upstream : config->upstreams) {
        auto decoded = upstream_from_json(through_text(to_json(upstream)));
        REQUIRE(decoded);
        CHECK(*decoded == upstream);
    }
}

TEST_CASE("JSON that to_json did not write decodes to nothing", "[config]") {
    auto config = load_ok(every_field_yaml);
    json::value good = to_json(*config);
    REQUIRE(config_from_json(good));

    auto broken = [&](auto change) {
        json::value copy = good;
        change(copy.as_object());
        return !config_from_json(copy).has_value();
    };
    CHECK(broken([](json::object& o) { o.erase("routes"); }));
    CHECK(broken([](json::object& o) { o["workers"] = "four"; }));
    CHECK(broken([](json::object& o) { o["workers"] = -1; }));
    CHECK(broken([](json::object& o) { o["limits"].as_object()["idle_timeout"] = "5m"; }));
    CHECK(broken([](json::object& o) { o["admin"].as_object()["allow_uids"] = {1, "x"}; }));
    CHECK(
        broken([](json::object& o) { o["listeners"].as_array()[0].as_object()["address"] = "x"; }));
    CHECK(broken(
        [](json::object& o) { o["upstreams"].as_array()[0].as_object()["balance"] = "fastest"; }));
    CHECK(broken([](json::object& o) {
        o["routes"].as_array()[0].as_object()["sticky"].as_object()["kind"] = "query";
    }));
    CHECK(broken([](json::object& o) {
        o["routes"].as_array()[0].as_object()["match"].as_object()["headers"] = {{"X-A"}};
    }));
    CHECK(broken([](json::object& o) {
        o["routes"].as_array()[0].as_object()["split"].as_array()[0].as_object()["weight"] =
            5'000'000'000LL;
    }));
    CHECK_FALSE(config_from_json(json::value("a string")));
    CHECK_FALSE(route_from_json(json::value(nullptr)));
    CHECK_FALSE(upstream_from_json(json::array{}));
}

TEST_CASE("strings that are not UTF-8 survive parse_json", "[config]") {
    // The loader takes header values byte for byte, so a config may hold
    // bytes that are not UTF-8; Boost.JSON's parser refuses them unless told.
    Config config = *load_ok(preamble + "routes:\n  - { name: r, upstream: app }\n");
    config.routes.edit(0).request_headers.set = {{"X-Raw", "caf\xe9 \xff"}};
    std::string text = to_json_text(config);
    boost::system::error_code error;
    json::parse(text, error);
    CHECK(error);

    const auto parsed = parse_json(text);
    REQUIRE(parsed);
    auto decoded = config_from_json(*parsed);
    REQUIRE(decoded);
    check_same_config(*decoded, config);
    CHECK(*decoded == config);
    CHECK_FALSE(parse_json("{not json"));
}

TEST_CASE("a 10,000-route config encodes and decodes quickly", "[config][timing]") {
    Config config = large_config(10'000);

    // Three rounds: the first pays for cold caches and fresh pages, the
    // best shows the steady cost.
    struct Times {
        double encode = 0, parse = 0, decode = 0;
        double total() const { return encode + parse + decode; }
    };
    std::vector<Times> rounds;
    std::size_t json_bytes = 0;
    for (int round = 0; round < 3; ++round) {
        Times times;
        auto start = std::chrono::steady_clock::now();
        std::string text = to_json_text(config);
        times.encode = ms_since(start);
        json_bytes = text.size();

        start = std::chrono::steady_clock::now();
        json::value parsed = json::parse(text);
        times.parse = ms_since(start);

        start = std::chrono::steady_clock::now();
        auto decoded = config_from_json(parsed);
        times.decode = ms_since(start);

        REQUIRE(decoded);
        REQUIRE(decoded->routes.size() == 10'000);
        if (round == 0) {
            CHECK(decoded->routes == config.routes);
            CHECK(decoded->upstreams == config.upstreams);
        }
        rounds.push_back(times);
    }
    auto best = *std::min_element(rounds.begin(), rounds.end(), [](const Times& a, const Times& b) {
        return a.total() < b.total();
    });
    std::cout << "10,000 routes, " << json_bytes / 1024 << " KiB of JSON; first round "
              << rounds[0].total() << " ms; best round: to_json_text " << best.encode
              << " ms, parse " << best.parse << " ms, config_from_json " << best.decode
              << " ms, total " << best.total() << " ms\n";
    // Generous, for Debug builds on a loaded machine; Release is far faster.
    CHECK(rounds[0].total() < 2000.0);
}

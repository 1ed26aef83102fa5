#include "config/loader.hpp"

#include <catch2/catch.hpp>

#include <string>

using turnout::config::Duration;
using turnout::config::parse_address;
using turnout::config::parse_duration;
using turnout::config::parse_size;

TEST_CASE("durations take a number and a unit", "[config]") {
    using namespace std::chrono_literals;
    CHECK(parse_duration("500ms") == Duration(500ms));
    CHECK(parse_duration("0ms") == Duration(0ms));
    CHECK(parse_duration("10s") == Duration(10s));
    CHECK(parse_duration("5m") == Duration(5min));
    CHECK(parse_duration("1h") == Duration(1h));
    CHECK(parse_duration("36500d") == std::nullopt);
}

TEST_CASE("durations without a unit, signed, fractional or huge are refused", "[config]") {
    for (const char* text : {"", "10", "s", "ms", "-1s", "+1s", "1.5s", " 1s", "1s ", "1 s", "1S",
                             "1sec", "0x10s", "99999999999999999999s", "9999999999999h"}) {
        INFO(text);
        CHECK(parse_duration(text) == std::nullopt);
    }
}

TEST_CASE("sizes are bytes or k, m, g multiples of 1024", "[config]") {
    CHECK(parse_size("0") == 0U);
    CHECK(parse_size("512") == 512U);
    CHECK(parse_size("16k") == 16U * 1024);
    CHECK(parse_size("16K") == 16U * 1024);
    CHECK(parse_size("1m") == 1024U * 1024);
    CHECK(parse_size("1g") == 1024ULL * 1024 * 1024);
    CHECK(parse_size("18446744073709551615") == 18446744073709551615ULL);
}

TEST_CASE("sizes that are not numbers with an optional unit are refused", "[config]") {
    for (const char* text : {"", "k", "-1", "1.5k", "16kb", "16 k", "1t", "0x10",
                             "18446744073709551616", "17179869184g"}) {
        INFO(text);
        CHECK(parse_size(text) == std::nullopt);
    }
}

TEST_CASE("addresses in every written form parse to endpoints", "[config]") {
    auto v4 = parse_address("127.0.0.1:8080");
    REQUIRE(v4);
    CHECK(v4->text == "127.0.0.1:8080");
    CHECK(v4->endpoint.address().to_string() == "127.0.0.1");
    CHECK(v4->endpoint.port() == 8080);

    auto any = parse_address(":8080");
    REQUIRE(any);
    CHECK(any->endpoint.address().to_string() == "0.0.0.0");
    CHECK(any->endpoint.port() == 8080);

    auto v6 = parse_address("[::1]:443");
    REQUIRE(v6);
    CHECK(v6->endpoint.address().is_v6());
    CHECK(v6->endpoint.address().to_string() == "::1");
    CHECK(v6->endpoint.port() == 443);

    auto local = parse_address("localhost:9000");
    REQUIRE(local);
    CHECK(local->text == "localhost:9000");
    CHECK(local->endpoint.address().to_string() == "127.0.0.1");

    auto port_zero = parse_address("127.0.0.1:0");
    REQUIRE(port_zero);
    CHECK(port_zero->endpoint.port() == 0);
    CHECK(parse_address("10.1.2.3:65535"));
}

TEST_CASE("addresses that do not parse are refused without a lookup", "[config]") {
    for (const char* text :
         {"", "127.0.0.1", "127.0.0.1:", ":", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:80x",
          "example.com:80", "::1:80", "[::1]", "[::1]80", "[::1:80", "[127.0.0.1]:80", "1.2.3:80",
          "256.0.0.1:80", "127.0.0.1:8080 ", " 127.0.0.1:8080", "127.0.0.1:123456"}) {
        INFO(text);
        CHECK_FALSE(parse_address(text));
    }
}

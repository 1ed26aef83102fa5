#include "config/string_map.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

using turnout::config::StringHash;
using turnout::config::StringMap;

TEST_CASE("a string map is looked up by a view of any string equal to the key", "[config]") {
    StringMap<int> map;
    map.emplace("app-v1", 1);
    map.emplace("app-v2", 2);
    const std::string buffer = "upstream app-v2 here";
    const std::string_view name = std::string_view{buffer}.substr(9, 6);
    REQUIRE(map.find(name) != map.end());
    CHECK(map.find(name)->second == 2);
    CHECK(map.find(std::string_view{"app-v3"}) == map.end());
    CHECK(map.count(std::string_view{"app-v1"}) == 1);
}

TEST_CASE("a view and a string of the same text hash alike", "[config]") {
    const std::string text = "example.com";
    CHECK(StringHash{}(std::string_view{text}) == StringHash{}(text));
}

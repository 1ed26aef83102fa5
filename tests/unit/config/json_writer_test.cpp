// JsonWriter: the text is JSON that Boost.JSON reads back to what was
// written, with commas and escapes where JSON needs them.

#include "config/json_codec.hpp"
#include "config/json_writer.hpp"
#include "tests/unit/config/config_fixtures.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>

using turnout::config::JsonWriter;
namespace json = boost::json;

TEST_CASE("JsonWriter puts commas and colons between nested values", "[config]") {
    std::string text;
    JsonWriter out{text};
    out.begin_object();
    out.key("empty");
    out.begin_object();
    out.end_object();
    out.key("list");
    out.begin_array();
    out.number(1);
    out.begin_array();
    out.end_array();
    out.begin_object();
    out.key("a");
    out.null();
    out.end_object();
    out.boolean(false);
    out.end_array();
    out.key("last");
    out.boolean(true);
    out.end_object();
    CHECK(text == R"({"empty":{},"list":[1,[],{"a":null},false],"last":true})");
}

TEST_CASE("JsonWriter writes integers at both ends of their range", "[config]") {
    std::string text;
    JsonWriter out{text};
    out.begin_array();
    out.number(std::numeric_limits<std::int64_t>::min());
    out.number(std::numeric_limits<std::uint64_t>::max());
    out.number(0u);
    out.end_array();
    CHECK(text == "[-9223372036854775808,18446744073709551615,0]");
}

TEST_CASE("JsonWriter escapes what JSON needs and passes other bytes through", "[config]") {
    const std::string tricky = std::string{"q\"b\\n\nr\rt\tnul"} + '\0' + "\x01\x1f caf\xc3\xa9";
    std::string text;
    JsonWriter out{text};
    out.begin_object();
    out.key(tricky);
    out.string(tricky);
    out.end_object();
    CHECK(text.find('\n') == std::string::npos);
    CHECK(text.find("\\u0000\\u0001\\u001f") != std::string::npos);

    const auto parsed = json::parse(text).as_object();
    REQUIRE(parsed.size() == 1);
    CHECK(parsed.begin()->key() == tricky);
    CHECK(parsed.begin()->value().as_string() == tricky);
}

TEST_CASE("bytes that are not UTF-8 pass through as Boost.JSON's own writer passes them",
          "[config]") {
    std::string text;
    JsonWriter out{text};
    out.string("caf\xe9 \xff");
    CHECK(text == "\"caf\xe9 \xff\"");
    CHECK(turnout::config::parse_json(text)->as_string() == "caf\xe9 \xff");
}

TEST_CASE("a whole config's text is what Boost.JSON writes for the same values", "[config]") {
    using namespace turnout::config::test;
    auto config = load_ok(every_field_yaml);
    const std::string text = turnout::config::to_json_text(*config);
    // Same keys in the same order, so stored versions written by older
    // binaries (through Boost.JSON) and by this one look alike.
    CHECK(json::serialize(json::parse(text)) == text);
}

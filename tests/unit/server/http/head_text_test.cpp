#include "server/http/head_text.hpp"

#include "server/http/head_parser.hpp"

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <catch2/catch.hpp>

#include <sstream>
#include <string>

namespace http = boost::beast::http;
using turnout::server::append_head_text;
using turnout::server::RequestHead;

namespace {

// What Beast's serializer writes for the same head.
template <bool is_request>
std::string beast_text(const http::header<is_request>& head) {
    std::ostringstream out;
    out << head;
    return out.str();
}

std::string our_text(const RequestHead& head) {
    std::string out = "kept ";
    append_head_text(out, head);
    REQUIRE(out.starts_with("kept "));
    return out.substr(5);
}

}  // namespace

// The same head built as Beast's header and as a RequestHead.
TEST_CASE("a request head's text is the one Beast's serializer writes", "[server][head_text]") {
    http::request_header<> beast;
    RequestHead ours;
    // PURGE is no method Beast knows: it keeps the text.
    const std::string method = GENERATE("GET", "POST", "PURGE");
    const std::string target = GENERATE("/", "/a/b?c=d&e", "*");
    const unsigned version = GENERATE(10u, 11u);
    beast.method_string(method);
    beast.target(target);
    beast.version(version);
    ours.start(http::string_to_verb(method), method, target, version);
    // Fields of one name side by side: Beast's insert puts a field behind
    // the last of its name, where a RequestHead keeps the order received.
    for (auto [name, value] :
         {std::pair{"Host", "example.com:8080"}, std::pair{"host", "second"},
          std::pair{"X-Custom", ""}, std::pair{"x-forwarded-for", "10.0.0.1, ::1"}}) {
        beast.insert(name, value);
        ours.insert(name, value);
    }
    CHECK(our_text(ours) == beast_text(beast));
}

TEST_CASE("a request head with no fields", "[server][head_text]") {
    http::request_header<> beast;
    beast.method(http::verb::get);
    beast.target("/");
    RequestHead ours;
    ours.start(http::verb::get, "GET", "/", 11);
    CHECK(our_text(ours) == "GET / HTTP/1.1\r\n\r\n");
    CHECK(our_text(ours) == beast_text(beast));
}

// The same head built as Beast's header and as a ResponseHead.
TEST_CASE("a response head's text is the one Beast's serializer writes", "[server][head_text]") {
    http::response_header<> beast;
    turnout::server::ResponseHead ours;
    const unsigned status = GENERATE(100u, 101u, 200u, 204u, 404u, 502u, 599u, 999u);
    const unsigned version = GENERATE(10u, 11u);
    const bool with_reason = GENERATE(false, true);
    beast.result(status);
    beast.version(version);
    if (with_reason) {
        beast.reason("Very Fine");
    }
    ours.start(status, with_reason ? "Very Fine" : "", version);
    for (auto [name, value] : {std::pair{"Content-Length", "20"}, std::pair{"Set-Cookie", "a=1"},
                               std::pair{"set-cookie", "b=2"}}) {
        beast.insert(name, value);
        ours.insert(name, value);
    }
    std::string text;
    append_head_text(text, ours);
    CHECK(text == beast_text(beast));
}

TEST_CASE("a parsed response keeps the reason it came with", "[server][head_text]") {
    turnout::server::ResponseHead head;
    turnout::server::ResponseHeadParser parser{head};
    boost::system::error_code ec;
    const std::string text = "HTTP/1.1 200 Okay Then\r\nContent-Length: 0\r\nServer: x\r\n\r\n";
    parser.put(boost::asio::buffer(text), ec);
    REQUIRE_FALSE(ec);
    REQUIRE(parser.is_done());
    std::string out;
    append_head_text(out, head);
    CHECK(out == text);
}

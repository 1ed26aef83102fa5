#include "server/http/head_text.hpp"

#include "server/http/response_head_parser.hpp"

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <catch2/catch.hpp>

#include <sstream>
#include <string>

namespace http = boost::beast::http;
using turnout::server::append_head_text;
using turnout::server::Fields;

namespace {

// What Beast's serializer writes for the same head.
template <bool is_request>
std::string beast_text(const http::header<is_request, Fields>& head) {
    std::ostringstream out;
    out << head;
    return out.str();
}

std::string our_text(const http::request_header<Fields>& head) {
    std::string out = "kept ";
    append_head_text(out, head);
    REQUIRE(out.starts_with("kept "));
    return out.substr(5);
}

}  // namespace

TEST_CASE("a request head's text is the one Beast's serializer writes", "[server][head_text]") {
    http::request_header<Fields> head;
    // PURGE is no method Beast knows: it keeps the text.
    head.method_string(GENERATE("GET", "POST", "PURGE"));
    head.target(GENERATE("/", "/a/b?c=d&e", "*"));
    head.version(GENERATE(10u, 11u));
    head.insert(http::field::host, "example.com:8080");
    head.insert("X-Custom", "");
    head.insert("x-forwarded-for", "10.0.0.1, ::1");
    head.insert(http::field::host, "second");
    CHECK(our_text(head) == beast_text(head));
}

TEST_CASE("a request head with no fields", "[server][head_text]") {
    http::request_header<Fields> head;
    head.method(http::verb::get);
    head.target("/");
    CHECK(our_text(head) == "GET / HTTP/1.1\r\n\r\n");
    CHECK(our_text(head) == beast_text(head));
}

// The same head built as Beast's header and as a ResponseHead.
TEST_CASE("a response head's text is the one Beast's serializer writes", "[server][head_text]") {
    http::response_header<Fields> beast;
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

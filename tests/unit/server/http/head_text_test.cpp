#include "server/http/head_text.hpp"

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

template <bool is_request>
std::string our_text(const http::header<is_request, Fields>& head) {
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

TEST_CASE("a response head's text is the one Beast's serializer writes", "[server][head_text]") {
    http::response_header<Fields> head;
    head.result(GENERATE(100u, 101u, 200u, 204u, 404u, 502u, 599u, 999u));
    head.version(GENERATE(10u, 11u));
    if (GENERATE(false, true)) {
        head.reason("Very Fine");
    }
    head.insert(http::field::content_length, "20");
    head.insert("Set-Cookie", "a=1");
    head.insert("set-cookie", "b=2");
    CHECK(our_text(head) == beast_text(head));
}

TEST_CASE("a parsed response keeps the reason it came with", "[server][head_text]") {
    http::response_parser<http::string_body, turnout::server::FieldAllocator<char>> parser;
    boost::system::error_code ec;
    const std::string text = "HTTP/1.1 200 Okay Then\r\nContent-Length: 0\r\nServer: x\r\n\r\n";
    parser.put(boost::asio::buffer(text), ec);
    REQUIRE_FALSE(ec);
    REQUIRE(parser.is_done());
    CHECK(our_text(parser.get().base()) == text);
}

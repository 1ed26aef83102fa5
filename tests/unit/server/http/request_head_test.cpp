// RequestHead and RequestHeadParser against Beast's own request parser: the
// same bytes must give the same request line, fields, framing and body; and
// HeadFields' edits must keep every field's text right as the text grows.

#include "server/http/request_head.hpp"

#include "server/http/head_parser.hpp"
#include "server/http/header_rules.hpp"
#include "tests/support/beast_reference.hpp"

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

namespace http = boost::beast::http;
using turnout::server::RequestHead;
using turnout::server::RequestHeadParser;
using turnout::test::FieldList;
using turnout::test::fields_of;

namespace {

// `text` put into a fresh parser `piece` bytes at a time, as a client's
// reads may split it: the head first, then the body into room for all of it.
std::string parse_in_pieces(const std::string& text, std::size_t piece, RequestHead& head,
                            RequestHeadParser& parser) {
    boost::system::error_code ec;
    std::string room(text.size(), '\0');
    std::size_t used = 0;
    std::size_t available = 0;
    while (!parser.is_done()) {
        available = std::min(text.size(), std::max(available, used) + piece);
        const auto took = parser.put(boost::asio::buffer(text.data() + used, available - used), ec);
        if (ec == http::error::need_more) {
            ec = {};
        }
        REQUIRE_FALSE(ec);
        used += took;
        if (parser.is_header_done() && head.body().data == nullptr) {
            head.body().data = room.data();
            head.body().size = room.size();
            parser.eager(true);
        }
        if (took == 0 && available == text.size()) {
            break;
        }
    }
    REQUIRE(parser.is_done());
    return room.substr(0, room.size() - head.body().size);
}

}  // namespace

TEST_CASE("a parsed request holds what Beast's parser reads", "[request_head]") {
    const std::string text = GENERATE(
        std::string{"GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl\r\n"
                    "Accept: */*\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n"},
        std::string{"POST /upload HTTP/1.0\r\nHost: h\r\nX-Empty:\r\n"
                    "x-odd-Case:  padded value  \r\nContent-Length: 5\r\n\r\nhello"},
        std::string{"PURGE /cache HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nTrailer-X: t\r\n\r\n"},
        std::string{"OPTIONS * HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"});
    const std::size_t piece = GENERATE(1u, 7u, 4096u);
    RequestHead head;
    RequestHeadParser parser{head};
    const auto body = parse_in_pieces(text, piece, head, parser);

    const auto expected = turnout::test::parsed_by_beast<true>(text);

    CHECK(head.method() == expected.method());
    CHECK(head.method_string() == expected.method_string());
    CHECK(head.target() == expected.target());
    CHECK(head.version() == expected.version());
    CHECK(parser.keep_alive() == expected.keep_alive());
    CHECK(parser.chunked() == expected.chunked());
    CHECK(head.chunked() == expected.chunked());
    CHECK(body == expected.body());
    // Beast's message gets a chunked body's trailer fields too; ours drops
    // them: the head may go upstream after the trailer was read.
    auto expected_fields = fields_of(expected);
    if (text.find("Trailer-X") != std::string::npos) {
        REQUIRE(expected_fields.back().first == "Trailer-X");
        expected_fields.pop_back();
    }
    CHECK(fields_of(head) == expected_fields);
}

TEST_CASE("a request head keeps its fields in the order received", "[request_head]") {
    // Beast's basic_fields would move the second Host up behind the first.
    const std::string text = "GET / HTTP/1.1\r\nHost: a\r\nAccept: */*\r\nhost: b\r\n\r\n";
    RequestHead head;
    RequestHeadParser parser{head};
    parse_in_pieces(text, text.size(), head, parser);
    CHECK(fields_of(head) == FieldList{{"Host", "a"}, {"Accept", "*/*"}, {"host", "b"}});
    CHECK(head[http::field::host] == "a");
    CHECK(head["HOST"] == "a");
}

TEST_CASE("a request head starts afresh and keeps its room", "[request_head]") {
    RequestHead head;
    for (int round = 0; round < 3; ++round) {
        RequestHeadParser parser{head};
        const std::string text = "DELETE /item/" + std::to_string(round) + " HTTP/1.1\r\nHost: h" +
                                 std::to_string(round) + "\r\n\r\n";
        parse_in_pieces(text, 5, head, parser);
        CHECK(head.method() == http::verb::delete_);
        CHECK(head.target() == "/item/" + std::to_string(round));
        CHECK(fields_of(head) == FieldList{{"Host", "h" + std::to_string(round)}});
    }
    head.release_room_over(0);
    CHECK(head.begin() == head.end());
    CHECK(head.target().empty());
    CHECK(head.method() == http::verb::unknown);
}

TEST_CASE("a field copied from another of the same head survives the text's growth",
          "[request_head]") {
    // insert reads a value that lies in the head's own text (X-Forwarded-Host
    // from Host) after the name is appended, which may move that text.
    RequestHead head;
    head.start(http::verb::get, "GET", "/", 11);
    const std::string host(300, 'h');
    head.insert(http::field::host, host);
    for (int i = 0; i < 64; ++i) {
        head.insert("X-Copy-" + std::to_string(i), head[http::field::host]);
    }
    for (const auto& field : head) {
        CHECK(field.value() == host);
    }
    CHECK(std::distance(head.begin(), head.end()) == 65);
}

TEST_CASE("forwarded headers copy Host however much the head grows", "[request_head]") {
    const std::size_t fields = GENERATE(0u, 1u, 5u, 40u);
    RequestHead head;
    head.start(http::verb::get, "GET", "/", 11);
    const std::string host = "front.example.com:8443";
    head.insert(http::field::host, host);
    for (std::size_t i = 0; i < fields; ++i) {
        head.insert("X-Filler-" + std::to_string(i), std::string(50, 'f'));
    }
    head.insert("X-Forwarded-For", "10.0.0.1");
    head.insert(http::field::via, "1.0 edge");
    turnout::server::add_forwarded_headers(head, "127.0.0.1", "https");
    CHECK(head["X-Forwarded-Host"] == host);
    CHECK(head["X-Forwarded-For"] == "10.0.0.1, 127.0.0.1");
    CHECK(head[http::field::via] == "1.0 edge, 1.1 turnout");
    CHECK(head["X-Forwarded-Proto"] == "https");
}

TEST_CASE("a request's framing follows its Transfer-Encoding edits", "[request_head]") {
    RequestHead head;
    head.start(http::verb::post, "POST", "/", 11);
    head.insert(http::field::transfer_encoding, "gzip, chunked");
    CHECK(head.chunked());
    head.erase("TRANSFER-encoding");
    CHECK_FALSE(head.chunked());
    head.chunked(true);
    CHECK(head.chunked());
    CHECK(head[http::field::transfer_encoding] == "chunked");
    head.set("Transfer-Encoding", "chunked, gzip");
    CHECK_FALSE(head.chunked());
}

// ClientSession reads a request body straight into the body buffer once
// nothing else is buffered (put_in_place): a read can end inside a chunk
// size line, whose start is left for the next read, or bring the next
// request, which is left unused.
TEST_CASE("a request body parsed where it was read stops where its bytes do", "[request_head]") {
    const bool chunked = GENERATE(false, true);
    const std::string head_text =
        chunked ? "PUT /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                : "PUT /u HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\n";
    RequestHead head;
    RequestHeadParser parser{head};
    boost::system::error_code ec;
    parser.put(boost::asio::buffer(head_text), ec);
    REQUIRE(parser.is_header_done());

    std::string first = chunked ? "3\r\nabc\r\n3" : "abc";
    head.body().data = first.data();
    head.body().size = first.size();
    auto used = parser.put_in_place(first, ec);
    REQUIRE_FALSE(ec);
    CHECK_FALSE(parser.is_done());
    const auto left = first.substr(used);
    // Beast reads a chunk's closing line end with the next size line.
    CHECK(left == (chunked ? "\r\n3" : ""));
    CHECK(first.substr(0, first.size() - head.body().size) == "abc");

    // The next piece starts with what the first left, as the read buffer would.
    const std::string next = "GET /next HTTP/1.1\r\nHost: a\r\n\r\n";
    std::string second = left + (chunked ? "\r\ndef\r\n0\r\n\r\n" : "def") + next;
    head.body().data = second.data();
    head.body().size = second.size();
    used = parser.put_in_place(second, ec);
    REQUIRE_FALSE(ec);
    CHECK(parser.is_done());
    CHECK(second.substr(used) == next);
    CHECK(second.substr(0, second.size() - head.body().size) == "def");
}

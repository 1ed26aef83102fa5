// ResponseHead and ResponseHeadParser against Beast's own response parser
// and basic_fields: the same bytes must give the same status line, fields
// and body, and the edits the proxy makes (keep-alive, chunked, header
// rules) must leave the fields Beast's would.

#include "server/http/header_rules.hpp"
#include "server/http/response_head.hpp"
#include "server/http/head_parser.hpp"
#include "tests/support/beast_reference.hpp"

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

namespace http = boost::beast::http;
using turnout::server::ResponseHead;
using turnout::server::ResponseHeadParser;
using turnout::test::FieldList;
using turnout::test::fields_of;

namespace {

// `text` parsed whole, with a body buffer large enough for it.
struct Parsed {
    ResponseHead head;
    std::string body;
};

void parse_whole(const std::string& text, Parsed& out, bool skip_body = false) {
    ResponseHeadParser parser{out.head};
    parser.skip(skip_body);
    boost::system::error_code ec;
    // The head alone first, as UpstreamAttempt reads it; then the body
    // into room that holds all of it.
    std::size_t used = parser.put(boost::asio::buffer(text), ec);
    REQUIRE_FALSE(ec);
    REQUIRE(parser.is_header_done());
    std::string room(text.size(), '\0');
    auto& body = out.head.body();
    body.data = room.data();
    body.size = room.size();
    parser.eager(true);
    while (!parser.is_done() && used < text.size()) {
        const auto more =
            parser.put(boost::asio::buffer(text.data() + used, text.size() - used), ec);
        REQUIRE_FALSE(ec);
        used += more;
    }
    if (!parser.is_done() && !parser.need_eof()) {
        FAIL("the response did not end");
    }
    out.body.assign(room.data(), room.size() - body.size);
}

}  // namespace

TEST_CASE("a parsed response holds what Beast's parser reads", "[response_head]") {
    const std::string text = GENERATE(
        std::string{
            "HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: today\r\nContent-Type: text/plain\r\n"
            "Content-Length: 5\r\nConnection: keep-alive\r\n\r\nhello"},
        std::string{"HTTP/1.0 404 Not Here\r\nX-Empty:\r\nx-odd-Case:  padded value  \r\n"
                    "Content-Length: 0\r\n\r\n"},
        std::string{
            "HTTP/1.1 200 \r\nTransfer-Encoding: chunked\r\nSet-Cookie: a=1\r\n"
            "Set-Cookie: b=2\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nTrailer-X: t\r\n\r\n"},
        std::string{"HTTP/1.1 599 \r\nContent-Length: 3\r\n\r\nxyz"});
    Parsed ours;
    parse_whole(text, ours);

    const auto expected = turnout::test::parsed_by_beast<false>(text);

    CHECK(ours.head.result_int() == expected.result_int());
    CHECK(ours.head.version() == expected.version());
    CHECK(ours.head.reason() == expected.reason());
    // Beast's message gets a chunked body's trailer fields too; ours drops
    // them (they are not passed on: SPEC).
    auto expected_fields = fields_of(expected);
    if (text.find("Trailer-X") != std::string::npos) {
        REQUIRE(expected_fields.back().first == "Trailer-X");
        expected_fields.pop_back();
    }
    CHECK(fields_of(ours.head) == expected_fields);
    CHECK(ours.body == expected.body());
}

TEST_CASE("a body larger than its buffer arrives piece by piece", "[response_head]") {
    const std::string body(100, 'b');
    const std::string chunked = GENERATE(false, true) ? "chunked" : "";
    const std::string text = chunked.empty()
                                 ? "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + body
                                 : "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n" +
                                       body + "\r\n0\r\n\r\n";
    ResponseHead head;
    ResponseHeadParser parser{head};
    boost::system::error_code ec;
    std::size_t used = parser.put(boost::asio::buffer(text), ec);
    REQUIRE(parser.is_header_done());
    std::string received;
    char room[30];
    while (!parser.is_done()) {
        head.body().data = room;
        head.body().size = sizeof room;
        used += parser.put(boost::asio::buffer(text.data() + used, text.size() - used), ec);
        if (ec == http::error::need_buffer) {
            ec = {};
        }
        REQUIRE_FALSE(ec);
        received.append(room, sizeof room - head.body().size);
    }
    CHECK(received == body);
    CHECK(used == text.size());
}

// UpstreamAttempt reads body bytes straight into the body buffer and
// parses them where they are (put_in_place): the body must come out at the
// buffer's start, a chunk's data moved over the framing in front of it, and
// what follows the message is left unused.
TEST_CASE("a body parsed where it was read ends up at the buffer's start", "[response_head]") {
    const bool chunked = GENERATE(false, true);
    const std::string head_text = chunked ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                          : "HTTP/1.1 200 OK\r\nContent-Length: 26\r\n\r\n";
    const std::string wire = chunked ? "3\r\nabc\r\n10;ext=1\r\ndefghijklmnopqrs\r\n"
                                       "7\r\ntuvwxyz\r\n0\r\nTrailer-X: t\r\n\r\n"
                                     : "abcdefghijklmnopqrstuvwxyz";
    ResponseHead head;
    ResponseHeadParser parser{head};
    boost::system::error_code ec;
    parser.put(boost::asio::buffer(head_text), ec);
    REQUIRE(parser.is_header_done());

    std::string buffer = wire + "HTTP/1.1 204 No Content\r\n\r\n";
    head.body().data = buffer.data();
    head.body().size = buffer.size();
    const auto used = parser.put_in_place(buffer, ec);
    REQUIRE_FALSE(ec);
    CHECK(parser.is_done());
    CHECK(used == wire.size());
    const std::size_t size = buffer.size() - head.body().size;
    CHECK(buffer.substr(0, size) == "abcdefghijklmnopqrstuvwxyz");
}

TEST_CASE("a HEAD response's length announces a body that never comes", "[response_head]") {
    Parsed parsed;
    parse_whole("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", parsed, true);
    CHECK(parsed.head[http::field::content_length] == "1000");
    CHECK(parsed.body.empty());
}

TEST_CASE("a head read after an informational one holds only the final one's fields",
          "[response_head]") {
    ResponseHead head;
    boost::system::error_code ec;
    {
        ResponseHeadParser informational{head};
        const std::string text = "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n";
        informational.put(boost::asio::buffer(text), ec);
        REQUIRE(informational.is_done());
    }
    ResponseHeadParser final_response{head};
    const std::string text = "HTTP/1.1 204 No Content\r\nServer: x\r\n\r\n";
    final_response.put(boost::asio::buffer(text), ec);
    REQUIRE_FALSE(ec);
    CHECK(head.result_int() == 204);
    CHECK(fields_of(head) == FieldList{{"Server", "x"}});
}

// Many fields make the text buffer grow: every field still reads its own.
TEST_CASE("fields stay readable as the head grows", "[response_head]") {
    ResponseHead head;
    head.start(200, "OK", 11);
    for (int i = 0; i < 200; ++i) {
        head.insert("X-Field-" + std::to_string(i), std::string(i % 40, 'v'));
    }
    int i = 0;
    for (const auto& field : head) {
        CHECK(field.name_string() == "X-Field-" + std::to_string(i));
        CHECK(field.value() == std::string(i % 40, 'v'));
        ++i;
    }
    CHECK(i == 200);
}

TEST_CASE("set, erase and lookups match basic_fields", "[response_head]") {
    http::fields beast;
    ResponseHead ours;
    ours.start(200, "", 11);
    const auto both = [&](auto&& edit) {
        edit(beast);
        edit(ours);
        CHECK(fields_of(ours) == fields_of(beast));
    };
    both([](auto& f) { f.insert("Server", "upstream"); });
    both([](auto& f) { f.insert("X-A", " 1 "); });
    both([](auto& f) { f.insert("x-a", "2"); });
    both([](auto& f) { f.insert("X-Unknown-Name", "3"); });
    both([](auto& f) { f.set("x-A", "replaced"); });
    both([](auto& f) { f.set(http::field::server, "turnout"); });
    both([](auto& f) { f.erase("SERVER"); });
    both([](auto& f) { f.erase("x-unknown-name"); });
    both([](auto& f) { f.erase("not-there"); });
    both([](auto& f) { f.set(http::field::server, "turnout"); });
    CHECK(ours[http::field::server] == beast[http::field::server]);
    CHECK(ours[http::field::age].empty());
}

TEST_CASE("header rules and hop-by-hop removal edit a response", "[response_head]") {
    ResponseHead ours;
    ours.start(200, "", 11);
    for (auto [name, value] :
         {std::pair{"Connection", "keep-alive, X-Hop"}, std::pair{"Keep-Alive", "timeout=5"},
          std::pair{"Transfer-Encoding", "chunked"}, std::pair{"X-Hop", "1"},
          std::pair{"Server", "nginx"}, std::pair{"X-Debug", "on"}, std::pair{"Date", "today"}}) {
        ours.insert(name, value);
    }
    turnout::server::remove_hop_by_hop(ours);
    CHECK(fields_of(ours) == FieldList{{"Server", "nginx"}, {"X-Debug", "on"}, {"Date", "today"}});
    CHECK_FALSE(ours.chunked());
    turnout::config::HeaderRules rules;
    rules.remove = {"server", "X-Debug"};
    rules.set = {{"X-Route", "api"}, {"Date", "tomorrow"}};
    turnout::server::apply_header_rules(ours, rules);
    // A set field goes to the end, as basic_fields' set puts it.
    CHECK(fields_of(ours) == FieldList{{"X-Route", "api"}, {"Date", "tomorrow"}});
}

TEST_CASE("keep_alive writes Connection as Beast's does", "[response_head]") {
    const unsigned version = GENERATE(10u, 11u);
    const bool keep_alive = GENERATE(false, true);
    const std::string connection = GENERATE("", "close", "keep-alive", "Upgrade", "foo, close",
                                            "Keep-Alive, bar", "close, keep-alive", "a, , b");
    http::response<http::empty_body> beast;
    beast.version(version);
    ResponseHead ours;
    ours.start(200, "", version);
    beast.insert(http::field::server, "x");
    ours.insert(http::field::server, "Server", "x");
    if (!connection.empty()) {
        beast.insert(http::field::connection, connection);
        ours.insert(http::field::connection, "Connection", connection);
    }
    beast.keep_alive(keep_alive);
    ours.keep_alive(keep_alive);
    INFO("HTTP/1." << version % 10 << ", keep-alive " << keep_alive
                   << ", Connection: " << connection);
    CHECK(ours[http::field::connection] == beast[http::field::connection]);
}

TEST_CASE("chunked() follows Transfer-Encoding through every edit", "[response_head]") {
    http::response<http::empty_body> beast;
    ResponseHead ours;
    ours.start(200, "", 11);
    const auto same = [&] { CHECK(ours.chunked() == beast.chunked()); };
    same();
    beast.insert(http::field::transfer_encoding, "gzip, chunked");
    ours.insert("Transfer-Encoding", "gzip, chunked");
    same();
    beast.insert(http::field::transfer_encoding, "gzip");
    ours.insert("transfer-encoding", "gzip");
    same();  // the first field decides
    beast.erase(beast.find(http::field::transfer_encoding));
    ours.erase_if([first = true](const auto&) mutable { return std::exchange(first, false); });
    same();
    beast.erase(http::field::transfer_encoding);
    ours.erase(http::field::transfer_encoding);
    same();
    beast.chunked(true);
    ours.chunked(true);
    same();
    CHECK(ours[http::field::transfer_encoding] == "chunked");
    ours.chunked(false);
    CHECK_FALSE(ours.chunked());
    CHECK(ours[http::field::transfer_encoding].empty());
}

TEST_CASE("a head is empty and usable again once its room is released", "[response_head]") {
    ResponseHead head;
    head.start(200, "OK", 11);
    head.insert("Server", "small");
    head.release_room_over(1024);
    CHECK(head.begin() == head.end());
    head.start(200, "OK", 11);
    head.insert("X-Big", std::string(64 * 1024, 'b'));
    head.release_room_over(1024);
    CHECK(head.begin() == head.end());
    // Still usable afterwards.
    head.start(204, "", 11);
    head.insert("Server", "x");
    CHECK(fields_of(head) == FieldList{{"Server", "x"}});
}

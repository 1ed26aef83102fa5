#include "server/http/request_head_check.hpp"

#include <catch2/catch.hpp>

#include <string>

using turnout::server::check_request_head;
using turnout::server::find_head_end;
using turnout::server::leading_empty_lines;
using status = boost::beast::http::status;

namespace {

constexpr std::size_t max_headers = 100;

// The reason a head is refused for, or "" when it is accepted.
std::string verdict(const std::string& head, std::size_t headers = max_headers) {
    const auto rejected = check_request_head(head, headers);
    return rejected ? std::string{rejected->reason} : "";
}

status status_of(const std::string& head) {
    const auto rejected = check_request_head(head, max_headers);
    REQUIRE(rejected);
    return rejected->status;
}

const std::string post = "POST / HTTP/1.1\r\nHost: a\r\n";

}  // namespace

TEST_CASE("intact requests are accepted, unusual ones included", "[request_head]") {
    CHECK(verdict("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n").empty());
    CHECK(verdict("GET /x?y=1 HTTP/1.0\r\n\r\n").empty());  // HTTP/1.0 needs no Host
    CHECK(verdict(post + "Transfer-Encoding: CHUNKED\r\n\r\n").empty());
    CHECK(verdict(post + "Transfer-Encoding:chunked\r\n\r\n").empty());
    CHECK(verdict(post + "Content-Length: 0\r\n\r\n").empty());
    CHECK(verdict(post + "Content-Length:  18446744073709551615 \r\n\r\n").empty());
    CHECK(verdict("GET / HTTP/1.1\r\nHost: [::1]:8080\r\nX-Empty:\r\nX-Utf8: caf\xc3\xa9\r\n\r\n")
              .empty());
    CHECK(verdict("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n").empty());
    CHECK(verdict("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n").empty());
}

TEST_CASE("Content-Length and Transfer-Encoding together are refused in either order",
          "[request_head]") {
    CHECK(verdict(post + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n") ==
          "content_length_and_transfer_encoding");
    CHECK(verdict(post + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n") ==
          "content_length_and_transfer_encoding");
}

TEST_CASE("Content-Length must be one plain decimal number", "[request_head]") {
    CHECK(verdict(post + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n") ==
          "duplicate_content_length");
    CHECK(verdict(post + "Content-Length: 5\r\nContent-Length: 5\r\n\r\n") ==
          "duplicate_content_length");
    for (const char* value : {"+1", "-1", "0x1", "1Z", "", "5, 5", "1 2", "18446744073709551616",
                              "99999999999999999999999"}) {
        INFO(value);
        CHECK(verdict(post + "Content-Length: " + value + "\r\n\r\n") == "bad_content_length");
    }
}

// Found by the request_head fuzz target: Beast refuses these after the
// check let them through; now the check refuses them first.
TEST_CASE("Connection and Proxy-Connection must be lists of tokens", "[request_head]") {
    CHECK(verdict(post + "Connection: keep-alive, Upgrade\r\n\r\n").empty());
    CHECK(verdict(post + "Connection: ,close,\r\nProxy-Connection:\r\n\r\n").empty());
    CHECK(verdict(post + "Connection:\xe3keep-alive\r\n\r\n") == "bad_connection");
    CHECK(verdict(post + "Proxy-Connection: a b\r\n\r\n") == "bad_connection");
    CHECK(verdict(post + "Connection: \"close\"\r\n\r\n") == "bad_connection");
}

TEST_CASE("Transfer-Encoding must end in one chunked", "[request_head]") {
    CHECK(verdict(post + "Transfer-Encoding: chunked, gzip\r\n\r\n") == "bad_transfer_encoding");
    CHECK(verdict(post + "Transfer-Encoding: foo\r\n\r\n") == "bad_transfer_encoding");
    CHECK(verdict(post + "Transfer-Encoding: chunked, chunked\r\n\r\n") == "bad_transfer_encoding");
    CHECK(verdict(post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n") ==
          "bad_transfer_encoding");
    CHECK(verdict(post + "Transfer-Encoding: \"chunked\"\r\n\r\n") == "bad_transfer_encoding");
    CHECK(verdict(post + "Transfer-Encoding: chunked;q=1\r\n\r\n") == "bad_transfer_encoding");
    CHECK(verdict(post + "Transfer-Encoding: chunked,\r\n\r\n") == "bad_transfer_encoding");
    CHECK(verdict(post + "Transfer-Encoding:\r\n\r\n") == "bad_transfer_encoding");
    CHECK(verdict("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n") ==
          "transfer_encoding_http10");
}

TEST_CASE("an unknown coding before chunked is 501", "[request_head]") {
    CHECK(verdict(post + "Transfer-Encoding: gzip, chunked\r\n\r\n") ==
          "unsupported_transfer_encoding");
    CHECK(status_of(post + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n") ==
          status::not_implemented);
    CHECK(status_of(post + "Transfer-Encoding: chunked, gzip\r\n\r\n") == status::bad_request);
}

TEST_CASE("field lines are strict", "[request_head]") {
    const std::string get = "GET / HTTP/1.1\r\nHost: a\r\n";
    CHECK(verdict(get + "X: a\r\n b\r\n\r\n") == "obs_fold");
    CHECK(verdict(get + "X: a\r\n\tb\r\n\r\n") == "obs_fold");
    CHECK(verdict(get + "X : a\r\n\r\n") == "bad_header_name");
    CHECK(verdict(get + "X\t: a\r\n\r\n") == "bad_header_name");
    CHECK(verdict(get + ": a\r\n\r\n") == "bad_header_name");
    CHECK(verdict(get + "X Y: a\r\n\r\n") == "bad_header_name");
    CHECK(verdict(get + "no colon\r\n\r\n") == "bad_header_name");
    CHECK(verdict(get + std::string("X\0Y: a\r\n\r\n", 10)) == "bad_header_name");
    CHECK(verdict(get + std::string("X: a\0b\r\n\r\n", 10)) == "bad_header_value");
    CHECK(verdict(get + "X: a\x01"
                        "b\r\n\r\n") == "bad_header_value");
    CHECK(verdict(get + "X: a\x7f\r\n\r\n") == "bad_header_value");
    CHECK(verdict(get + "X: a\rb\r\n\r\n") == "bad_line_ending");
}

// The head is scanned for control bytes as a whole, 16 bytes at a time,
// and a line only looked at on its own when one is found: a byte at either
// end of a vector, of a line, or of the whole head must be found as surely.
TEST_CASE("a control byte is found wherever it is in the head", "[request_head]") {
    const std::string get = "GET / HTTP/1.1\r\nHost: a\r\n";
    const std::string value(40, 'v');
    for (std::size_t at = 0; at < value.size(); ++at) {
        for (char control : {'\0', '\x01', '\n', '\x1f', '\x7f'}) {
            std::string bad = value;
            bad[at] = control;
            INFO("control byte " << int(control) << " at " << at);
            CHECK(verdict(get + "X-Long: " + bad + "\r\nY: b\r\n\r\n") == "bad_header_value");
            CHECK(verdict(get + "Y: b\r\nX-Long: " + bad + "\r\n\r\n") == "bad_header_value");
        }
        std::string with_cr = value;
        with_cr[at] = '\r';
        CHECK(verdict(get + "X-Long: " + with_cr + "\r\n\r\n") == "bad_line_ending");
    }
    CHECK(verdict(get + "X: a\r\r\n\r\n") == "bad_line_ending");
    CHECK(verdict(get + "X: a\n\r\n\r\n") == "bad_header_value");
    CHECK(verdict(get + "\x01X: a\r\n\r\n") == "bad_header_name");
    CHECK(verdict(get + "X: \x01\r\n\r\n") == "bad_header_value");
    CHECK(verdict(get + "X-Long: " + value + "\r\n\r\n").empty());
    CHECK(verdict(get + "X-Tab: a\tb\t\r\n\r\n").empty());
}

TEST_CASE("Host is required once in HTTP/1.1 and must look like a host", "[request_head]") {
    CHECK(verdict("GET / HTTP/1.1\r\n\r\n") == "missing_host");
    CHECK(verdict("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n") == "duplicate_host");
    CHECK(verdict("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n") == "duplicate_host");
    CHECK(verdict("GET / HTTP/1.1\r\nHost:\r\n\r\n") == "bad_host");
    CHECK(verdict("GET / HTTP/1.1\r\nHost: a b\r\n\r\n") == "bad_host");
    CHECK(verdict("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n") == "bad_host");
    CHECK(verdict("GET / HTTP/1.1\r\nHost: user@a\r\n\r\n") == "bad_host");
}

TEST_CASE("a Host bracket opens an IP literal at the front and closes it", "[request_head]") {
    for (const char* host : {"[::1]", "[::1]:8080", "[v1.x]", "127.0.0.1:80"}) {
        INFO(host);
        CHECK(verdict(std::string("GET / HTTP/1.1\r\nHost: ") + host + "\r\n\r\n").empty());
    }
    for (const char* host : {"[::1", "[:.example.com", "[", "[]", "::1]", "a[::1]", "[::1]x",
                             "[::1]]", "[[::1]", "[::1]:80]", "a]b"}) {
        INFO(host);
        CHECK(verdict(std::string("GET / HTTP/1.1\r\nHost: ") + host + "\r\n\r\n") == "bad_host");
    }
}

TEST_CASE("the asterisk-form target belongs to OPTIONS alone", "[request_head]") {
    CHECK(verdict("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n").empty());
    for (const char* line :
         {"GET * HTTP/1.1", "HEAD * HTTP/1.1", "POST * HTTP/1.1", "options * HTTP/1.1",
          "OPTIONS *x HTTP/1.1", "OPTIONS ** HTTP/1.1", "GET *?a HTTP/1.0"}) {
        INFO(line);
        CHECK(verdict(std::string(line) + "\r\nHost: a\r\n\r\n") == "bad_request_target");
        CHECK(status_of(std::string(line) + "\r\nHost: a\r\n\r\n") == status::bad_request);
    }
}

TEST_CASE("CONNECT is refused with 405: turnout opens no tunnels", "[request_head]") {
    for (const char* line :
         {"CONNECT a:443 HTTP/1.1", "CONNECT / HTTP/1.1", "CONNECT * HTTP/1.0"}) {
        INFO(line);
        CHECK(verdict(std::string(line) + "\r\nHost: a\r\n\r\n") == "connect_not_supported");
        CHECK(status_of(std::string(line) + "\r\nHost: a\r\n\r\n") == status::method_not_allowed);
    }
}

TEST_CASE("the request line must be method SP target SP HTTP/1.x", "[request_head]") {
    for (const char* line : {"GET  / HTTP/1.1", "GET / HTTP/1.1 ", "GET /", "GET / HTTP/1.x",
                             "GET / http/1.1", "GET / HTTP/11", "G(T / HTTP/1.1", " GET / HTTP/1.1",
                             "GET /a\x01 HTTP/1.1", "GET / HTTP/1.1\rX", ""}) {
        INFO(line);
        CHECK(verdict(std::string(line) + "\r\nHost: a\r\n\r\n") == "bad_request_line");
    }
    CHECK(status_of("GET / HTTP/2.0\r\nHost: a\r\n\r\n") == status::http_version_not_supported);
    CHECK(status_of("GET / HTTP/1.2\r\nHost: a\r\n\r\n") == status::http_version_not_supported);
}

TEST_CASE("the header count holds at the limit and refuses limit + 1", "[request_head]") {
    std::string head = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < 9; ++i) {
        head += "X-" + std::to_string(i) + ": v\r\n";
    }
    CHECK(verdict(head + "Host: a\r\n\r\n", 10).empty());
    CHECK(verdict(head + "Host: a\r\nX-Last: v\r\n\r\n", 10) == "too_many_headers");
}

TEST_CASE("find_head_end finds CRLF CRLF and refuses a bare LF at once", "[request_head]") {
    const std::string head = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    CHECK(find_head_end(head, 0).end == head.size());
    CHECK(find_head_end(head + "GET /next", 0).end == head.size());
    CHECK(find_head_end(head.substr(0, head.size() - 1), 0).end == 0);
    for (std::size_t from = 0; from < head.size(); ++from) {
        CHECK(find_head_end(head, from).end == head.size());
    }
    CHECK(find_head_end("GET / HTTP/1.1\nHost: a\n\n", 0).bare_lf);
    CHECK(find_head_end("GET / HTTP/1.1\r\nHost: a\n", 0).bare_lf);
    CHECK(find_head_end("\n", 0).bare_lf);
    CHECK(leading_empty_lines("\r\n\r\nGET") == 4);
    CHECK(leading_empty_lines("\r\r\n") == 0);
}

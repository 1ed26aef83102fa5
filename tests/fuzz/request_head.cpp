// check_request_head (server/http/request_head_check.hpp) against Beast's parser: a head
// the check accepts must mean the same to Beast and to every backend behind
// the proxy. When the check accepts, Beast parses the same bytes and the
// parsed message must hold what the check promises:
//
//   - Beast accepts the head and ends it exactly where the check did;
//   - at most one Content-Length, and never together with Transfer-Encoding;
//   - Transfer-Encoding only in HTTP/1.1, with chunked as its last coding;
//   - exactly one Host in HTTP/1.1, at most one in HTTP/1.0;
//   - field names are tokens, values hold no control bytes but HTAB;
//   - every line ends in CRLF (no bare CR or LF), no line is folded;
//   - the method is not CONNECT (turnout opens no tunnels), and the target
//     `*` (asterisk-form) comes only with OPTIONS;
//   - a Host with `[` or `]` is an IP literal in brackets at its front,
//     then nothing or a port.
//
// RequestHeadParser, which fills the RequestHead turnout forwards, must read
// the same request line and fields as Beast's own message (same-named fields
// in the same order; Beast's list groups them, ours keeps the order received).
//
// So a finding here is a request two parsers could read two ways, not only a
// crash. The head is taken from the input as ClientSession takes it from
// its buffer (a CRLF CRLF is appended when there is none).

#include "server/http/head_parser.hpp"
#include "server/http/request_head_check.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/fuzz/http_grammar.hpp"
#include "tests/support/field_list.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace beast = boost::beast;
namespace http = beast::http;
using turnout::test::is_control;
using turnout::test::is_tchar;
using turnout::test::sorted_fields;

namespace {

// The defaults of limits.max_headers and limits.max_header_bytes.
constexpr std::size_t max_headers = 100;
constexpr std::size_t header_limit = 16 * 1024;

// Every CR is followed by LF and every LF preceded by CR; no line but the
// request line starts with whitespace (obs-fold).
bool has_strict_lines(std::string_view head) {
    for (std::size_t i = 0; i < head.size(); ++i) {
        if (head[i] == '\r' && (i + 1 == head.size() || head[i + 1] != '\n')) {
            return false;
        }
        if (head[i] == '\n') {
            if (i == 0 || head[i - 1] != '\r') {
                return false;
            }
            if (i + 1 < head.size() && (head[i + 1] == ' ' || head[i + 1] == '\t')) {
                return false;
            }
        }
    }
    return true;
}

// RFC 3986 §3.2.2 host [":" port], as far as brackets go: "[" literal "]"
// at the front, or no bracket at all.
bool has_sound_brackets(std::string_view host) {
    if (host.find_first_of("[]") == std::string_view::npos) {
        return true;
    }
    if (host.size() < 3 || host[0] != '[') {
        return false;
    }
    const std::size_t close = host.find(']');
    if (close == std::string_view::npos || close == 1 ||
        host.substr(1, close - 1).find('[') != std::string_view::npos) {
        return false;
    }
    const std::string_view rest = host.substr(close + 1);
    return rest.empty() || (rest[0] == ':' && rest.find_first_of("[]") == std::string_view::npos);
}

// The head turnout forwards holds what Beast's message holds.
void check_request_head_parser(std::string_view head,
                               const http::request_parser<http::empty_body>& beast) {
    turnout::server::RequestHead ours;
    turnout::server::RequestHeadParser parser{ours};
    parser.header_limit(header_limit);
    parser.body_limit(boost::none);
    beast::error_code ec;
    const std::size_t used = parser.put(boost::asio::buffer(head.data(), head.size()), ec);
    FUZZ_CHECK(!ec);
    FUZZ_CHECK(parser.is_header_done());
    FUZZ_CHECK(used == head.size());
    const auto& request = beast.get();
    FUZZ_CHECK(ours.method() == request.method());
    FUZZ_CHECK(ours.method_string() == std::string_view(request.method_string()));
    FUZZ_CHECK(ours.target() == std::string_view(request.target()));
    FUZZ_CHECK(ours.version() == request.version());
    FUZZ_CHECK(parser.keep_alive() == beast.keep_alive());
    FUZZ_CHECK(parser.chunked() == beast.chunked());
    FUZZ_CHECK(ours.chunked() == beast.chunked());
    FUZZ_CHECK(sorted_fields(ours) == sorted_fields(request.base()));
}

void check_accepted(std::string_view head) {
    FUZZ_CHECK(has_strict_lines(head));

    http::request_parser<http::empty_body> parser;
    parser.header_limit(header_limit);
    parser.body_limit(boost::none);  // limits.max_body_bytes's default: none
    beast::error_code ec;
    const std::size_t used = parser.put(boost::asio::buffer(head.data(), head.size()), ec);
    FUZZ_CHECK(!ec);
    FUZZ_CHECK(parser.is_header_done());
    FUZZ_CHECK(used == head.size());

    const auto& request = parser.get();
    std::size_t content_lengths = 0;
    std::size_t transfer_encodings = 0;
    std::size_t hosts = 0;
    for (const auto& field : request.base()) {
        const std::string_view name = field.name_string();
        const std::string_view value = field.value();
        FUZZ_CHECK(!name.empty() && std::all_of(name.begin(), name.end(), is_tchar));
        FUZZ_CHECK(std::none_of(value.begin(), value.end(), is_control));
        content_lengths += beast::iequals(name, "Content-Length");
        transfer_encodings += beast::iequals(name, "Transfer-Encoding");
        hosts += beast::iequals(name, "Host");
    }
    FUZZ_CHECK(content_lengths <= 1);
    FUZZ_CHECK(content_lengths == 0 || transfer_encodings == 0);
    if (transfer_encodings > 0) {
        FUZZ_CHECK(request.version() == 11);
        FUZZ_CHECK(parser.chunked());
    }
    FUZZ_CHECK(request.version() == 10 || request.version() == 11);
    FUZZ_CHECK(request.version() == 11 ? hosts == 1 : hosts <= 1);

    const std::string_view method = request.method_string();
    const std::string_view target = request.target();
    FUZZ_CHECK(method != "CONNECT");
    FUZZ_CHECK(target.front() != '*' || (target == "*" && method == "OPTIONS"));
    FUZZ_CHECK(has_sound_brackets(request[http::field::host]));
    check_request_head_parser(head, parser);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // As ClientSession::parse_head takes a head out of its buffer: leading
    // empty lines dropped, up to the first CRLF CRLF, a bare LF refused.
    std::string bytes(reinterpret_cast<const char*>(data), size);
    bytes.erase(0, turnout::server::leading_empty_lines(bytes));
    auto end = turnout::server::find_head_end(bytes, 0);
    if (end.end == 0 && !end.bare_lf) {
        bytes += "\r\n\r\n";
        end = turnout::server::find_head_end(bytes, 0);
    }
    if (end.bare_lf || end.end == 0 || end.end > header_limit) {
        return 0;
    }
    const std::string_view head = std::string_view(bytes).substr(0, end.end);
    if (const auto rejection = turnout::server::check_request_head(head, max_headers)) {
        const unsigned status = static_cast<unsigned>(rejection->status);
        FUZZ_CHECK(status >= 400 && status < 600);
        FUZZ_CHECK(!rejection->reason.empty());
        return 0;
    }
    check_accepted(head);
    return 0;
}

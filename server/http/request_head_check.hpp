#pragma once

// turnout's own strict reading of a request head (request line and header
// fields), applied before Beast parses it. Beast 1.81 accepts framings that
// other parsers read differently — obs-fold, Transfer-Encoding whose last
// coding is not chunked (read as "no body"), Transfer-Encoding on HTTP/1.0,
// duplicate Content-Length, no or two Host fields — and a proxy that
// disagrees with the server behind it about where a request ends lets a
// second, hidden request through. So anything ambiguous is refused here
// (RFC 9112 §2–§7, RFC 9110 §5), before a byte of it is forwarded.

#include <boost/beast/http/status.hpp>

#include <cstddef>
#include <optional>
#include <string_view>

namespace turnout::server {

struct RequestHeadRejection {
    boost::beast::http::status status;  // 400, 405, 431, 501 or 505
    std::string_view reason;            // for turnout-error and the access log
};

// head: the request line through the empty line that ends the header
// fields (CRLF CRLF), inclusive. Empty lines before the request line are
// allowed (RFC 9112 §2.2) and ignored.
std::optional<RequestHeadRejection> check_request_head(std::string_view head,
                                                       std::size_t max_headers);

// Where the head in `bytes` ends (one past its CRLF CRLF), looking from
// `from` (bytes before it were looked at already); 0 while incomplete.
// A bare LF anywhere is refused at once, so a client that ends lines with
// LF alone is not left waiting for a CRLF that never comes.
struct HeadEnd {
    std::size_t end = 0;
    bool bare_lf = false;
};
HeadEnd find_head_end(std::string_view bytes, std::size_t from);

// Leading empty lines (CRLF) in front of a request line, to skip.
std::size_t leading_empty_lines(std::string_view head);

}  // namespace turnout::server

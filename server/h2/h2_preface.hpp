#pragma once

// Prior-knowledge HTTP/2 on a plain listener (RFC 9113 §3.3): the client
// opens with the connection preface instead of an HTTP/1.1 request. Its
// first line, "PRI * HTTP/2.0", is a complete HTTP/1.1-looking head, so the
// HTTP/1.1 session sees it whole and hands the connection over.

#include <string_view>

namespace turnout::server {

inline constexpr std::string_view h2_preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// Whether `head` (a request head as find_head_end delimits it) is the
// preface's first part.
inline bool is_h2_preface_head(std::string_view head) {
    return head == h2_preface.substr(0, 18);
}

}  // namespace turnout::server

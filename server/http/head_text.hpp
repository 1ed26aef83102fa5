#pragma once

// The text of a message head exactly as Beast's serializer writes it: the
// start line, the fields in their order, and the blank line. Written into
// one string that a single write sends, where the serializer walked a nested
// buffer sequence (a piece per field) at some thousand instructions per
// head; the body pieces follow as buffers of their own.

#include "server/http/request_head.hpp"
#include "server/http/response_head.hpp"

#include <string>

namespace turnout::server {

// "METHOD target HTTP/x.y\r\n", the fields, "\r\n".
void append_head_text(std::string& out, const RequestHead& head);
// "HTTP/x.y code reason\r\n", the fields, "\r\n"; the reason is the one
// received, else the status's own (as Beast's).
void append_head_text(std::string& out, const ResponseHead& head);

}  // namespace turnout::server

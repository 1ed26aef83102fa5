#pragma once

// An upstream's response head as turnout relays it: the status line, the
// header fields (HeadFields: in the order received, in one text buffer) and
// the body piece on its way to the client. ResponseHeadParser fills it as
// Beast's parser reads the head. The UpstreamAttempt that owns it is lent
// with its exchange, so its buffers keep their room from one response to
// the next.

#include "server/http/head_fields.hpp"

#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/status.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace turnout::server {

class ResponseHead : public HeadFields {
public:
    using Body = boost::beast::http::buffer_body::value_type;

    ResponseHead() = default;

    // A new head: no fields, no body piece; the buffers keep their room.
    void start(unsigned status, std::string_view reason, unsigned version);
    // Frees each buffer whose room is over `bytes`, emptying the head: one
    // unusually large head is not kept for every later response.
    void release_room_over(std::size_t bytes);

    unsigned result_int() const { return status_; }
    boost::beast::http::status result() const { return boost::beast::http::int_to_status(status_); }
    // The reason phrase received, else the status's own (as Beast's header).
    std::string_view reason() const;
    unsigned version() const { return version_; }
    void version(unsigned version) { version_ = version; }

    // Writes the Connection field the way Beast's keep_alive(bool) does:
    // HTTP/1.1 says "close" when not kept, HTTP/1.0 "keep-alive" when kept,
    // and other tokens already there stay.
    void keep_alive(bool keep_alive);

    Body& body() { return body_; }
    const Body& body() const { return body_; }

private:
    std::string reason_;
    unsigned status_ = 0;
    unsigned version_ = 11;
    Body body_{};
};

}  // namespace turnout::server

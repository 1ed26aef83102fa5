#pragma once

// A client's request head as turnout rewrites and forwards it: the request
// line, the header fields (HeadFields: in the order received, in one text
// buffer) and the body piece on its way upstream. RequestHeadParser fills it
// as Beast's parser reads an HTTP/1.1 head; an HTTP/2 stream builds one from
// its header block. Its owner is lent per request (RequestState) or lives
// with its stream, so the buffers keep their room from one request to the
// next on a connection.

#include "server/http/head_fields.hpp"

#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/verb.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace turnout::server {

class RequestHead : public HeadFields {
public:
    using Body = boost::beast::http::buffer_body::value_type;

    RequestHead() = default;

    // A new head: that request line, no fields, no body piece; the buffers
    // keep their room.
    void start(boost::beast::http::verb method, std::string_view method_string,
               std::string_view target, unsigned version);
    // Frees each buffer whose room is over `bytes`, emptying the head.
    void release_room_over(std::size_t bytes);

    // The method's code (verb::unknown for one Beast does not know) and
    // its text as received.
    boost::beast::http::verb method() const { return method_; }
    std::string_view method_string() const { return method_text_; }
    void method_string(std::string_view method);
    std::string_view target() const { return target_; }
    void target(std::string_view target) { target_.assign(target); }
    unsigned version() const { return version_; }
    void version(unsigned version) { version_ = version; }

    Body& body() { return body_; }
    const Body& body() const { return body_; }

private:
    std::string method_text_;
    std::string target_;
    boost::beast::http::verb method_ = boost::beast::http::verb::unknown;
    unsigned version_ = 11;
    Body body_{};
};

}  // namespace turnout::server

#pragma once

// Beast's HTTP/1 response parser, its checks and body framing (length,
// chunked, to the close, none for HEAD, 1xx, 204 and 304) unchanged, with
// the head going into a ResponseHead instead of a basic_fields: see
// response_head.hpp. The body is read as Beast's buffer_body reads it:
// into the piece the head's body() points at, need_buffer once it is full.
// A chunked body's trailer fields are dropped.

#include "server/http/response_head.hpp"

#include <boost/beast/http/basic_parser.hpp>

namespace turnout::server {

class ResponseHeadParser final : public boost::beast::http::basic_parser<false> {
public:
    using error_code = boost::system::error_code;

    // A parser reads one message: a new one for each (informational
    // responses included), into `head`, which it starts afresh.
    explicit ResponseHeadParser(ResponseHead& head) : head_{head} {}

    ResponseHead& get() { return head_; }
    const ResponseHead& get() const { return head_; }

private:
    void on_request_impl(boost::beast::http::verb, boost::beast::string_view,
                         boost::beast::string_view, int, error_code&) override {}
    void on_response_impl(int code, boost::beast::string_view reason, int version,
                          error_code& ec) override;
    void on_field_impl(boost::beast::http::field name, boost::beast::string_view name_string,
                       boost::beast::string_view value, error_code& ec) override;
    void on_header_impl(error_code& ec) override { ec = {}; }
    void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code& ec) override {
        ec = {};
    }
    std::size_t on_body_impl(boost::beast::string_view body, error_code& ec) override;
    void on_chunk_header_impl(std::uint64_t, boost::beast::string_view, error_code& ec) override {
        ec = {};
    }
    std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body,
                                   error_code& ec) override {
        return on_body_impl(body, ec);
    }
    void on_finish_impl(error_code& ec) override { ec = {}; }

    ResponseHead& head_;
};

}  // namespace turnout::server

#pragma once

// Beast's HTTP/1 parser, its checks and body framing unchanged (length,
// chunked; for a response also to the close, and none for HEAD, 1xx, 204
// and 304), with the head going into a RequestHead or ResponseHead instead
// of a basic_fields: see head_fields.hpp. The body is read as Beast's
// buffer_body reads it: into the piece the head's body() points at,
// need_buffer once it is full. A chunked body's trailer fields are dropped.

#include "server/http/request_head.hpp"
#include "server/http/response_head.hpp"

#include <boost/beast/http/basic_parser.hpp>

#include <span>
#include <type_traits>

namespace turnout::server {

template <bool isRequest>
class HeadParser final : public boost::beast::http::basic_parser<isRequest> {
public:
    using error_code = boost::system::error_code;
    using Head = std::conditional_t<isRequest, RequestHead, ResponseHead>;

    // A parser reads one message (a response parser a new one for each
    // informational response too) into `head`, which it starts afresh.
    explicit HeadParser(Head& head) : head_{head} {}

    Head& get() { return head_; }
    const Head& get() const { return head_; }

    // Parses `bytes`, read straight into the body piece get().body() points
    // at, as far as they go; the body's data moves over the framing read
    // before it. Returns the bytes used: what is left (a chunk header the
    // read cut, what follows the message) belongs in the read buffer. `ec`
    // is set only for an error of the message, not for needing more.
    std::size_t put_in_place(std::span<char> bytes, error_code& ec);

private:
    void on_request_impl(boost::beast::http::verb method, boost::beast::string_view method_string,
                         boost::beast::string_view target, int version, error_code& ec) override;
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

    Head& head_;
};

using RequestHeadParser = HeadParser<true>;
using ResponseHeadParser = HeadParser<false>;

extern template class HeadParser<true>;
extern template class HeadParser<false>;

}  // namespace turnout::server

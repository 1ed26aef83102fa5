#include "server/http/head_parser.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>

#include <algorithm>
#include <cstring>

namespace turnout::server {

namespace {

std::string_view view(boost::beast::string_view text) {
    return {text.data(), text.size()};
}

}  // namespace

template <bool isRequest>
void HeadParser<isRequest>::on_request_impl(boost::beast::http::verb method,
                                            boost::beast::string_view method_string,
                                            boost::beast::string_view target, int version,
                                            error_code& ec) {
    ec = {};
    if constexpr (isRequest) {
        head_.start(method, view(method_string), view(target), static_cast<unsigned>(version));
    }
}

template <bool isRequest>
void HeadParser<isRequest>::on_response_impl(int code, boost::beast::string_view reason,
                                             int version, error_code& ec) {
    ec = {};
    if constexpr (!isRequest) {
        head_.start(static_cast<unsigned>(code), view(reason), static_cast<unsigned>(version));
    }
}

template <bool isRequest>
void HeadParser<isRequest>::on_field_impl(boost::beast::http::field name,
                                          boost::beast::string_view name_string,
                                          boost::beast::string_view value, error_code& ec) {
    ec = {};
    // After the head, a field is a chunked body's trailer. Trailers are not
    // passed on (SPEC), and one must not join the head either: the head
    // often goes out after the body bytes that came with it were parsed
    // (Beast's own parser adds trailers to the message's fields).
    if (this->is_header_done()) {
        return;
    }
    head_.add_received(name, view(name_string), view(value));
}

template <bool isRequest>
std::size_t HeadParser<isRequest>::on_body_impl(boost::beast::string_view body, error_code& ec) {
    auto& piece = head_.body();
    if (piece.data == nullptr) {
        ec = boost::beast::http::error::need_buffer;
        return 0;
    }
    const std::size_t copied = std::min(piece.size, body.size());
    // A body read in place is already where it goes; a chunk's data read
    // in place lies behind its own framing, so the two may overlap.
    if (piece.data != body.data()) {
        std::memmove(piece.data, body.data(), copied);
    }
    piece.data = static_cast<char*>(piece.data) + copied;
    piece.size -= copied;
    ec = copied == body.size() ? error_code{} : error_code{boost::beast::http::error::need_buffer};
    return copied;
}

template <bool isRequest>
std::size_t HeadParser<isRequest>::put_in_place(std::span<char> bytes, error_code& ec) {
    ec = {};
    std::size_t parsed = 0;
    while (parsed < bytes.size() && !this->is_done()) {
        const auto used =
            this->put(boost::asio::buffer(bytes.data() + parsed, bytes.size() - parsed), ec);
        parsed += used;
        if (ec == boost::beast::http::error::need_more ||
            ec == boost::beast::http::error::need_buffer || used == 0) {
            ec = {};
            break;
        }
        if (ec) {
            break;
        }
    }
    return parsed;
}

template class HeadParser<true>;
template class HeadParser<false>;

}  // namespace turnout::server

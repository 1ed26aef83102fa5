#include "server/h2/h2_stream.hpp"

#include "server/h2/http2_session.hpp"
#include "server/exchange_pool.hpp"
#include "server/serving_state.hpp"
#include "server/match_route.hpp"

#include <boost/asio/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>

#include <algorithm>
#include <charconv>
#include <array>
#include <cstring>
#include <vector>

namespace turnout::server {

namespace http = boost::beast::http;
using error_code = boost::system::error_code;

namespace {

// RFC 9113 §8.2.2: fields that only mean something on an HTTP/1.1
// connection are never sent on HTTP/2. An upstream's Connection or
// Transfer-Encoding (the exchange re-frames bodies) stops here.
bool connection_specific(std::string_view name) {
    namespace beast = boost::beast;
    return beast::iequals(name, "connection") || beast::iequals(name, "keep-alive") ||
           beast::iequals(name, "proxy-connection") || beast::iequals(name, "transfer-encoding") ||
           beast::iequals(name, "upgrade") || beast::iequals(name, "te");
}

// A field's size as SETTINGS_MAX_HEADER_LIST_SIZE counts it (RFC 9113 §6.5.2).
constexpr std::size_t field_overhead = 32;

const error_code stream_gone = boost::asio::error::connection_reset;

nghttp2_nv field(std::string_view name, std::string_view value) {
    return {reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
            reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
            value.size(), NGHTTP2_NV_FLAG_NONE};
}

ssize_t read_response_body(nghttp2_session*, std::int32_t, std::uint8_t* into, std::size_t length,
                           std::uint32_t* flags, nghttp2_data_source* source, void*) {
    return static_cast<H2Stream*>(source->ptr)->produce(into, length, flags);
}

}  // namespace

H2Stream::H2Stream(std::shared_ptr<Http2Session> session, std::int32_t id)
    : session_{std::move(session)}, id_{id}, timer_{session_->get_executor(), *this} {}

H2Stream::~H2Stream() {
    return_body_buffer();
}

std::span<char> H2Stream::body_buffer() {
    if (!buffers_) {
        buffers_ = worker_body_buffers().take();
    }
    return buffers_->bytes;
}

void H2Stream::return_body_buffer() {
    if (buffers_) {
        worker_body_buffers().give_back(std::move(buffers_));
    }
}

boost::asio::io_context::executor_type H2Stream::get_executor() {
    return session_->get_executor();
}

const std::string& H2Stream::client_ip() const {
    return session_->client_ip();
}

bool H2Stream::is_tls() const {
    return session_->is_tls();
}

bool H2Stream::draining() const {
    return session_->draining();
}

bool H2Stream::within_header_limits(std::string_view name, std::string_view value) {
    header_bytes_ += name.size() + value.size() + field_overhead;
    ++header_count_;
    return header_bytes_ <= session_->max_header_list_size() &&
           header_count_ <= session_->limits().max_headers;
}

void H2Stream::add_header(std::string_view name, std::string_view value) {
    if (!within_header_limits(name, value)) {
        refused_ = "header_too_large";
    }
    if (!refused_.empty()) {
        return;
    }
    if (name == ":method") {
        request_.method_string(value);
    } else if (name == ":path") {
        request_.target(value);
    } else if (name == ":authority") {
        authority_ = value;
    } else if (name == "cookie") {
        if (!cookies_.empty()) {
            cookies_ += "; ";
        }
        cookies_ += value;
    } else if (name.front() != ':') {
        request_.insert(name, value);
    }
}

// Fields that frame or route the message mean nothing after the body, and
// an upstream must not take them for the head's (RFC 9110 §6.5.1): dropped.
bool H2Stream::add_trailer(std::string_view name, std::string_view value) {
    if (!within_header_limits(name, value)) {
        return false;
    }
    if (name == "content-length" || name == "host" || name == "trailer") {
        return true;
    }
    if (!trailers_) {
        trailers_.emplace();
    }
    trailers_->insert(name, value);
    return true;
}

void H2Stream::start_request() {
    request_.version(11);
    if (!authority_.empty()) {
        request_.set(http::field::host, authority_);
    }
    if (!cookies_.empty()) {
        request_.set(http::field::cookie, cookies_);
    }
    const auto length = request_[http::field::content_length];
    chunked_ = !request_ended_ && length.empty();
    const auto max_body = session_->limits().max_body_bytes;
    std::uint64_t declared = 0;
    if (!length.empty() && max_body > 0 &&
        std::from_chars(length.data(), length.data() + length.size(), declared).ec == std::errc{} &&
        declared > max_body) {
        refused_ = "body_too_large";
    }
    session_->post([self = shared_from_this()] { self->route(); });
}

void H2Stream::route() {
    if (closed_) {
        return;  // reset before it was routed (rapid reset costs nothing upstream)
    }
    if (refused_ == "header_too_large") {
        refuse(http::status::request_header_fields_too_large, refused_);
        return;
    }
    if (refused_ == "body_too_large") {
        refuse(http::status::payload_too_large, refused_);
        return;
    }
    if (request_.method() == http::verb::connect) {
        refuse(http::status::method_not_allowed, "connect_not_supported");
        return;
    }
    const auto host = request_[http::field::host];
    if (host.empty()) {
        refuse(http::status::bad_request, "missing_host");
        return;
    }
    auto route = match_route(session_->state(), request_, host, client_ip(), protocol());
    if (!route) {
        refuse(http::status::not_found, "no_route");
        return;
    }
    auto& state = session_->state();
    state.exchanges().take()->begin(shared_from_this(), std::move(route), state);
}

void H2Stream::refuse(http::status status, std::string_view reason) {
    send_error(status, reason, false);
}

void H2Stream::receive_body(const std::uint8_t* data, std::size_t size) {
    received_.append(reinterpret_cast<const char*>(data), size);
    body_received_ += size;
    deliver_body();
}

void H2Stream::end_request() {
    request_ended_ = true;
    deliver_body();
}

std::size_t H2Stream::on_close() {
    closed_ = true;
    const auto unread = received_.size();
    std::string{}.swap(received_);
    complete_read(stream_gone, 0);
    complete_write(stream_gone);
    return unread;
}

void H2Stream::read_body(BodyHandler handler) {
    if (closed_) {
        session_->post([handler = std::move(handler)]() mutable { handler(stream_gone, 0); });
        return;
    }
    body_handler_ = std::move(handler);
    deliver_body();
    if (body_handler_) {
        timer_.arm(session_->limits().idle_timeout);
    }
    session_->flush();
}

// Hands what arrived to a waiting read_body, and gives the client that
// much window back: it may send more only as the upstream takes it.
void H2Stream::deliver_body() {
    if (!body_handler_) {
        return;
    }
    const auto max_body = session_->limits().max_body_bytes;
    if (max_body > 0 && body_received_ > max_body) {
        complete_read(http::error::body_limit, 0);
        return;
    }
    if (received_.empty() && !request_ended_) {
        return;
    }
    const auto into = body_buffer();
    const auto size = std::min(received_.size(), into.size());
    std::memcpy(into.data(), received_.data(), size);
    received_.erase(0, size);
    if (size > 0) {
        session_->consume(id_, size);
    }
    complete_read({}, size);
}

void H2Stream::complete_read(error_code ec, std::size_t size) {
    if (body_handler_) {
        session_->post(
            [handler = std::move(body_handler_), ec, size]() mutable { handler(ec, size); });
        timer_.disarm();
    }
}

void H2Stream::send_continue(WriteHandler handler) {
    if (!closed_) {
        const nghttp2_nv status = field(":status", "100");
        nghttp2_submit_headers(session_->native(), NGHTTP2_FLAG_NONE, id_, nullptr, &status, 1,
                               nullptr);
        session_->flush();
    }
    session_->post([handler = std::move(handler), closed = closed_]() mutable {
        handler(closed ? stream_gone : error_code{});
    });
}

void H2Stream::send_response(Response& response, WriteHandler handler) {
    response_ = &response;
    if (closed_) {
        session_->post([handler = std::move(handler)]() mutable { handler(stream_gone); });
        return;
    }
    const auto& body = response.body();
    piece_ = {static_cast<const char*>(body.data), body.data ? body.size : 0};
    more_ = body.more;
    const bool with_body = more_ || !piece_.empty();
    if (!piece_.empty()) {
        write_handler_ = std::move(handler);
        timer_.arm(session_->limits().send_timeout);
    } else {
        session_->post([handler = std::move(handler)]() mutable { handler({}); });
    }
    submit(response, response.result_int(), with_body);
}

void H2Stream::send_response_body(WriteHandler handler) {
    if (closed_) {
        session_->post([handler = std::move(handler)]() mutable { handler(stream_gone); });
        return;
    }
    const auto& body = response_->body();
    piece_ = {static_cast<const char*>(body.data), body.data ? body.size : 0};
    more_ = body.more;
    if (piece_.empty() && more_) {
        session_->post([handler = std::move(handler)]() mutable { handler({}); });
        return;
    }
    write_handler_ = std::move(handler);
    timer_.arm(session_->limits().send_timeout);
    nghttp2_session_resume_data(session_->native(), id_);
    session_->flush();
}

ssize_t H2Stream::produce(std::uint8_t* into, std::size_t length, std::uint32_t* flags) {
    if (closed_) {
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    if (piece_.empty() && more_) {
        return NGHTTP2_ERR_DEFERRED;
    }
    const auto size = std::min(length, piece_.size());
    // The last, empty piece of a body has no data pointer: memcpy's
    // arguments must not be null even for no bytes.
    if (size > 0) {
        std::memcpy(into, piece_.data(), size);
        piece_.remove_prefix(size);
    }
    if (piece_.empty()) {
        if (!more_) {
            *flags |= NGHTTP2_DATA_FLAG_EOF;
        }
        complete_write({});
    }
    return static_cast<ssize_t>(size);
}

void H2Stream::complete_write(error_code ec) {
    if (write_handler_) {
        session_->post([handler = std::move(write_handler_), ec]() mutable { handler(ec); });
        timer_.disarm();
    }
}

void H2Stream::on_timeout() {
    complete_read(boost::asio::error::timed_out, 0);
    complete_write(boost::asio::error::timed_out);
}

// The response head as HTTP/2 fields: lowercase names, no
// connection-specific ones. The scratch space is the worker's own (one
// thread), reused by every response.
template <class FieldList>
void H2Stream::submit(const FieldList& fields, unsigned status, bool with_body) {
    static thread_local std::vector<nghttp2_nv> fields_out;
    static thread_local std::string names;
    std::size_t names_size = 0;
    for (const auto& item : fields) {
        names_size += item.name_string().size();
    }
    fields_out.clear();
    names.clear();
    names.reserve(names_size);  // no reallocation below: the fields point into it
    std::array<char, 3> status_text{};
    status_text[0] = static_cast<char>('0' + status / 100 % 10);
    status_text[1] = static_cast<char>('0' + status / 10 % 10);
    status_text[2] = static_cast<char>('0' + status % 10);
    fields_out.push_back(field(":status", {status_text.data(), status_text.size()}));
    for (const auto& item : fields) {
        const auto name = item.name_string();
        if (connection_specific(name)) {
            continue;
        }
        const auto start = names.size();
        std::transform(name.begin(), name.end(), std::back_inserter(names),
                       [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
        fields_out.push_back(field({names.data() + start, name.size()}, item.value()));
    }
    nghttp2_data_provider provider{};
    provider.source.ptr = this;
    provider.read_callback = read_response_body;
    nghttp2_submit_response(session_->native(), id_, fields_out.data(), fields_out.size(),
                            with_body ? &provider : nullptr);
    session_->flush();
}

void H2Stream::end_exchange(bool) {
    return_body_buffer();
    std::string{}.swap(received_);
}

// From a refusal before routing, or from an exchange that already closed
// its upstream connection: the body buffer is free.
void H2Stream::send_error(http::status status, std::string_view reason, bool) {
    return_body_buffer();
    if (closed_) {
        return;
    }
    error_response_.emplace(make_error_response(status, reason, 11, true));
    const auto& body = error_response_->body();
    piece_ = body;
    more_ = false;
    submit(error_response_->base(), error_response_->result_int(), !piece_.empty());
}

// WebSocket over HTTP/2 (RFC 8441) is not offered: nghttp2 refuses the
// Upgrade field, so an exchange never gets here.
void H2Stream::upgrade(TransportStream, boost::beast::flat_buffer) {
    abort();
}

// The exchange closed its upstream connection first: the body buffer is free.
void H2Stream::abort() {
    return_body_buffer();
    if (closed_) {
        return;
    }
    session_->reset_stream(id_, NGHTTP2_INTERNAL_ERROR);
    session_->flush();
}

}  // namespace turnout::server

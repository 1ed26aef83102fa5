// The response half of ProxyExchange and its endings; the request half is in
// proxy_exchange.cpp.

#include "server/proxy_exchange.hpp"

#include "server/http/header_rules.hpp"
#include "server/http/websocket_upgrade.hpp"
#include "server/logfmt.hpp"

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>

namespace turnout::server {

namespace http = boost::beast::http;

// Turns the upstream's response header into the client's, in place, and
// sends it. Framing is re-decided for the client: a known length is kept; an
// unknown one (chunked or close-delimited upstream) is chunked for HTTP/1.1
// clients and close-delimited for HTTP/1.0 ones.
void ProxyExchange::rewrite_response() {
    auto& parser = *response_parser_;
    auto& response = parser.get();
    upstream_keep_alive_ = response.keep_alive();
    const bool has_body = !parser.is_done();
    const bool known_length = parser.content_length().has_value();

    remove_hop_by_hop(response);
    apply_header_rules(response, route_->route.response_headers);
    response.version(client_version_);
    if (has_body && !known_length) {
        if (client_version_ >= 11) {
            response.chunked(true);
        } else {
            client_keep_alive_ = false;
        }
    }
    // An early response (the upstream answered before the request body
    // ended) leaves the rest of the body unread: the connection cannot
    // carry another request.
    client_keep_alive_ = client_keep_alive_ && !client_->draining() && client_->parser().is_done();
    response.keep_alive(client_keep_alive_);
    if (response.result() == http::status::switching_protocols) {
        keep_websocket_upgrade(response);
    }

    response_serializer_.emplace(response);
    auto& body = response.body();
    body.data = nullptr;
    body.size = 0;
    body.more = has_body;
    if (has_body && !take_buffered_body()) {
        fail_upstream(http::status::bad_gateway, "upstream_bad_response");
        return;
    }
    client_->arm_deadline(client_->limits().send_timeout);
    http::async_write(
        client_->socket(), *response_serializer_,
        [self = shared_from_this()](error_code ec, std::size_t) { self->on_response_written(ec); });
}

// The start of the body often arrives with the header (a small body
// whole): parsing it now lets header and body go out in one write.
// False when those bytes do not parse.
bool ProxyExchange::take_buffered_body() {
    auto& parser = *response_parser_;
    auto& body = parser.get().body();
    body.data = client_->body_buffer();
    body.size = ClientSession::body_buffer_size;
    while (upstream_buffer_.size() > 0 && body.size > 0 && !parser.is_done()) {
        error_code ec;
        const auto used = parser.put(upstream_buffer_.data(), ec);
        upstream_buffer_.consume(used);
        if (ec == http::error::need_buffer || ec == http::error::need_more) {
            break;
        }
        if (ec) {
            return false;
        }
        if (used == 0) {
            break;
        }
    }
    const auto taken = ClientSession::body_buffer_size - body.size;
    body.data = taken > 0 ? client_->body_buffer() : nullptr;
    body.size = taken;
    body.more = !parser.is_done();
    response_bytes_ += taken;
    return true;
}

void ProxyExchange::relay_response_body() {
    auto& parser = *response_parser_;
    if (parser.is_done()) {
        write_response_body(0);
        return;
    }
    parser.get().body().data = client_->body_buffer();
    parser.get().body().size = ClientSession::body_buffer_size;
    upstream_deadline_.arm(upstream_socket_, upstream_config_->timeouts.response);
    http::async_read_some(
        upstream_socket_, upstream_buffer_, parser,
        [self = shared_from_this()](error_code ec, std::size_t) {
            if (ec == http::error::need_buffer) {
                ec = {};
            }
            if (ec) {
                // Headers are out: the client must see a
                // truncated response, never a complete-looking one.
                spdlog::warn("msg=\"upstream failed mid-response\" upstream={} error={}",
                             log_value(self->upstream_config_->name), log_value(ec.message()));
                self->abort();
                return;
            }
            const auto left = self->response_parser_->get().body().size;
            self->write_response_body(ClientSession::body_buffer_size - left);
        });
}

void ProxyExchange::write_response_body(std::size_t size) {
    auto& parser = *response_parser_;
    auto& body = parser.get().body();
    body.data = size > 0 ? client_->body_buffer() : nullptr;
    body.size = size;
    body.more = !parser.is_done();
    if (size == 0 && body.more) {
        relay_response_body();
        return;
    }
    response_bytes_ += size;
    client_->arm_deadline(client_->limits().send_timeout);
    http::async_write(
        client_->socket(), *response_serializer_,
        [self = shared_from_this()](error_code ec, std::size_t) { self->on_response_written(ec); });
}

// After a write to the client: once anything reached the client, a failure
// can only end the exchange, never become an error response.
void ProxyExchange::on_response_written(error_code ec) {
    if (ec == http::error::need_buffer) {
        ec = {};  // the body buffer was sent whole; more is to come
    }
    if (ec) {
        abort();
    } else if (response_serializer_->is_done()) {
        finish();
    } else {
        relay_response_body();
    }
}

// A pooled connection the target closed while parked fails on first use.
// That says nothing about the target, so an idempotent request with no body
// (nothing consumed from the client that could not be sent again) gets one
// more try on a new connection to the same target.
bool ProxyExchange::retry_on_fresh_connection() {
    if (!connection_reused_ || stale_retry_done_ || !can_send_again()) {
        return false;
    }
    stale_retry_done_ = true;
    error_code ignored;
    upstream_socket_.close(ignored);
    upstream_buffer_.clear();
    connect(target_);
    return true;
}

void ProxyExchange::fail_upstream(http::status status, std::string_view reason) {
    error_reason_ = reason;
    record_request(static_cast<unsigned>(status), false);
    upstream_deadline_.disarm();
    error_code ignored;
    upstream_socket_.close(ignored);
    if (upstream_config_ != nullptr && status != http::status::payload_too_large) {
        spdlog::warn("msg=\"upstream request failed\" route={} upstream={} status={} reason={}",
                     log_value(route_->route.name), log_value(upstream_config_->name),
                     static_cast<unsigned>(status), log_value(reason));
    }
    client_->send_error(status, reason, client_keep_alive_ && client_->parser().is_done());
}

void ProxyExchange::abort() {
    if (response_parser_ && response_serializer_) {
        record_request(response_parser_->get().result_int(), true);
    }
    upstream_deadline_.disarm();
    error_code ignored;
    upstream_socket_.close(ignored);
    client_->close();
}

void ProxyExchange::finish() {
    record_request(response_parser_->get().result_int(), false);
    upstream_deadline_.disarm();
    client_->disarm_deadline();
    if (response_parser_->get().result() == http::status::switching_protocols) {
        start_tunnel();
        return;
    }
    const bool upstream_reusable = upstream_keep_alive_ && response_parser_->is_done() &&
                                   request_serializer_->is_done() && upstream_buffer_.size() == 0;
    if (upstream_reusable) {
        upstream_->pool(target_).checkin(std::move(upstream_socket_));
    } else {
        error_code ignored;
        upstream_socket_.close(ignored);
    }
    client_->finish_exchange(client_keep_alive_ && client_->parser().is_done());
}

}  // namespace turnout::server

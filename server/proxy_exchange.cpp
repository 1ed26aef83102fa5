#include "server/proxy_exchange.hpp"

#include "server/http/header_rules.hpp"
#include "server/logfmt.hpp"
#include "server/routing/request_key.hpp"
#include "server/serving_state.hpp"
#include "server/http/websocket_upgrade.hpp"

#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>

namespace turnout::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using status = http::status;

namespace {

constexpr std::uint32_t max_response_header_bytes = 64 * 1024;
constexpr std::string_view continue_100 = "HTTP/1.1 100 Continue\r\n\r\n";

bool is_idempotent(http::verb method) {
    switch (method) {
    case http::verb::get:
    case http::verb::head:
    case http::verb::options:
    case http::verb::put:
    case http::verb::delete_:
        return true;
    default:
        return false;
    }
}

// `strip_prefix: /api` turns "/api/users?x" into "/users?x" and "/api" into "/".
std::string strip_prefix(std::string_view target, std::string_view prefix) {
    std::string result;
    std::string_view rest = target.substr(prefix.size());
    if (rest.empty() || rest.front() != '/') {
        result += '/';
    }
    result += rest;
    return result;
}

}  // namespace

ProxyExchange::ProxyExchange(std::shared_ptr<ClientSession> client,
                             std::shared_ptr<RouteEntry> route, ServingState& state)
    : client_{std::move(client)}, route_{std::move(route)}, metrics_{state.metrics()},
      access_log_{state.access_log()}, upstream_socket_{client_->socket().get_executor()},
      upstream_deadline_{client_->socket().get_executor()} {
    const auto& request = client_->parser().get();
    if (access_log_) {
        logged_method_ = request.method_string();
        logged_path_ = request.target();
    }
    const auto& split = route_->split;
    const auto key = request_key(route_->route.sticky, request.base(), client_->client_ip());
    const auto side = key.empty() ? route_->split.pick() : split.pick_sticky(key);
    upstream_ = state.upstream(split.entries()[side].upstream);
    if (upstream_) {
        hash_key_ = request_key(upstream_->config().hash_key, request.base(), client_->client_ip());
    }
}

ProxyExchange::~ProxyExchange() {
    if (target_counted_) {
        upstream_->request_finished(target_);
    }
}

void ProxyExchange::start() {
    rewrite_request();
    if (!upstream_) {
        fail_upstream(status::bad_gateway, "no_upstream");
        return;
    }
    upstream_config_ = &upstream_->config();
    tried_.assign(upstream_->target_count(), 0);
    pick_target();
}

// Turns the client's request into the one the upstream gets (SPEC §5), in
// place in the parser's message, which the serializer then sends on.
void ProxyExchange::rewrite_request() {
    auto& parser = client_->parser();
    auto& request = parser.get();
    client_version_ = request.version();
    client_keep_alive_ = request.keep_alive();
    request_has_body_ = !parser.is_done();
    head_request_ = request.method() == http::verb::head;
    idempotent_ = is_idempotent(request.method());
    // turnout answers Expect itself, so the client sends its body without
    // waiting on an upstream that is not chosen yet.
    expect_continue_ =
        client_version_ >= 11 && beast::iequals(request[http::field::expect], "100-continue");
    request.erase(http::field::expect);
    const bool chunked = parser.chunked();
    websocket_ = is_websocket_upgrade(request) && parser.is_done();

    remove_hop_by_hop(request);
    if (websocket_) {
        keep_websocket_upgrade(request);
    }
    add_forwarded_headers(request, client_->client_ip(),
                          client_->socket().is_tls() ? "https" : "http");
    apply_header_rules(request, route_->route.request_headers);
    const auto& prefix = route_->route.strip_prefix;
    if (!prefix.empty() && request.target().starts_with(prefix)) {
        request.target(strip_prefix(request.target(), prefix));
    }
    request.version(11);
    if (chunked) {
        request.chunked(true);
        // Beast adds a chunked body's trailer fields to these header fields
        // as it reads them: a retry must send the head as it was first sent.
        if (idempotent_) {
            replay_head_.emplace(request.base());
        }
    }
}

void ProxyExchange::pick_target() {
    upstream_->excluded_for_pick(tried_, ActiveUpstream::clock::now(), excluded_);
    const auto picked =
        upstream_->balancer().pick(PickContext{excluded_, hash_key_, upstream_->in_flight()});
    if (!picked) {
        fail_upstream(status::bad_gateway, "no_target");
        return;
    }
    if (target_counted_) {
        upstream_->request_finished(target_);
    }
    target_ = *picked;
    upstream_->request_started(target_);
    target_counted_ = true;
    // A request that retry_on_fresh_connection() could send again needs no
    // peek at the pooled connection first: if it is stale, the retry covers it.
    const bool retryable = can_send_again() && !stale_retry_done_;
    if (auto pooled = upstream_->pool(target_).checkout(!retryable)) {
        upstream_socket_ = std::move(*pooled);
        connection_reused_ = true;
        send_request_header();
        return;
    }
    connect(target_);
}

void ProxyExchange::connect(std::size_t target) {
    connection_reused_ = false;
    upstream_socket_ = TransportStream{upstream_socket_.get_executor()};  // a fresh, plain one
    upstream_deadline_.arm(upstream_socket_, upstream_config_->timeouts.connect);
    upstream_socket_.socket().async_connect(
        upstream_config_->targets[target].address.endpoint,
        [self = shared_from_this()](error_code ec) { self->on_connect(ec); });
}

void ProxyExchange::on_connect(error_code ec) {
    if (!ec) {
        upstream_socket_.socket().set_option(asio::ip::tcp::no_delay{true}, ec);
        if (upstream_config_->tls) {
            start_upstream_tls();
            return;
        }
        send_request_header();
        return;
    }
    const bool timed_out = upstream_deadline_.expired();
    const auto& target = upstream_config_->targets[target_].address.text;
    spdlog::warn("msg=\"upstream connect failed\" upstream={} target={} error={}",
                 log_value(upstream_config_->name), log_value(target),
                 log_value(timed_out ? "timeout" : ec.message()));
    record_target_failure(timed_out ? UpstreamErrorKind::connect_timeout
                                    : UpstreamErrorKind::connect_failed);
    // A refused or timed-out connect never reached the upstream: any method may go elsewhere.
    if (!retry_on_another_target()) {
        fail_upstream(timed_out ? status::gateway_timeout : status::bad_gateway,
                      timed_out ? "connect_timeout" : "connect_failed");
    }
}

// SPEC §5: another target, while `retries` allow and one is left. Callers
// decide whether the upstream could have acted on the request.
bool ProxyExchange::retry_on_another_target() {
    error_code ignored;
    upstream_socket_.close(ignored);
    upstream_buffer_.clear();
    tried_[target_] = 1;
    ++attempts_;
    const bool other_target_left = std::find(tried_.begin(), tried_.end(), 0) != tried_.end();
    if (attempts_ > upstream_config_->retries || !other_target_left) {
        return false;
    }
    pick_target();
    return true;
}

// One failed attempt: counts towards the target's ejection and in
// turnout_upstream_errors_total, even when a retry then succeeds.
// Up to max_replay_bytes of an idempotent request's body are kept as they
// go out, so a retry can send them again; a larger body is not retried.
void ProxyExchange::keep_for_replay(std::size_t size) {
    if (!idempotent_ || replay_overflow_ || size == 0) {
        return;
    }
    if (replay_.size() + size > max_replay_bytes) {
        replay_overflow_ = true;
        std::string{}.swap(replay_);
        return;
    }
    replay_.append(client_->body_buffer(), size);
}

// Whether the request could go out again as it was: idempotent, and with
// no body, or a body read whole from the client and kept for replay.
bool ProxyExchange::can_send_again() const {
    if (!idempotent_) {
        return false;
    }
    if (!request_has_body_) {
        return true;
    }
    return !replay_overflow_ && client_->parser().is_done() && request_serializer_ &&
           request_serializer_->is_done();
}

void ProxyExchange::record_target_failure(UpstreamErrorKind kind) {
    upstream_->record_failure(target_, ActiveUpstream::clock::now());
    metrics_.record_upstream_error(upstream_config_->name,
                                   upstream_config_->targets[target_].address.text, kind);
}

// Once per request, with the status the client got (turnout's own 502 or
// 504 included); `failed` marks a response cut off after it started.
void ProxyExchange::record_request(unsigned status, bool failed) {
    if (recorded_) {
        return;
    }
    recorded_ = true;
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started_;
    const std::string_view upstream = upstream_ ? std::string_view{upstream_->config().name} : "";
    metrics_.series(route_->route.name, upstream).record(status, elapsed.count(), failed);
    if (access_log_) {
        const std::string_view target =
            target_counted_ ? std::string_view{upstream_config_->targets[target_].address.text}
                            : "";
        access_log_->write({client_->client_ip(), logged_method_, logged_path_, status,
                            route_->route.name, upstream, target, response_bytes_, elapsed,
                            attempts_ + (target_counted_ ? 1u : 0u),
                            failed && error_reason_.empty() ? "response_cut_off" : error_reason_});
    }
}

void ProxyExchange::send_request_header() {
    request_write_failed_ = false;
    auto& request = client_->parser().get();
    // A retry sends the body kept for replay, whole, in one write.
    const bool replaying = request_body_started_;
    if (replaying && replay_head_) {
        request.base() = *replay_head_;
    }
    if (request[http::field::host].empty()) {
        request.set(http::field::host, upstream_config_->targets[target_].address.text);
    }
    request_serializer_.emplace(request);
    request.body().data = replaying && !replay_.empty() ? replay_.data() : nullptr;
    request.body().size = replaying ? replay_.size() : 0;
    request.body().more = request_has_body_ && !replaying;
    upstream_deadline_.arm(upstream_socket_, upstream_config_->timeouts.response);
    auto on_sent = [self = shared_from_this()](error_code ec, std::size_t) {
        self->on_request_written(ec);
    };
    if (request_has_body_ && !replaying) {
        http::async_write_header(upstream_socket_, *request_serializer_, std::move(on_sent));
    } else {
        http::async_write(upstream_socket_, *request_serializer_, std::move(on_sent));
    }
}

void ProxyExchange::relay_request_body() {
    if (client_->parser().is_done()) {
        write_request_body(0);
        return;
    }
    if (expect_continue_ && !request_body_started_) {
        expect_continue_ = false;
        client_->arm_deadline(client_->limits().send_timeout);
        asio::async_write(client_->socket(), asio::buffer(continue_100),
                          [self = shared_from_this()](error_code ec, std::size_t) {
                              if (ec) {
                                  self->abort();
                                  return;
                              }
                              self->continue_client_body();
                          });
        return;
    }
    continue_client_body();
}

void ProxyExchange::continue_client_body() {
    auto& parser = client_->parser();
    parser.get().body().data = client_->body_buffer();
    parser.get().body().size = ClientSession::body_buffer_size;
    client_->arm_deadline(client_->limits().idle_timeout);
    client_->read_body([self = shared_from_this()](error_code ec) {
        if (ec == http::error::body_limit) {
            self->fail_upstream(status::payload_too_large, "body_too_large");
            return;
        }
        if (ec && ec.category() == http::make_error_code(http::error::bad_chunk).category() &&
            ec != http::error::partial_message) {
            // A malformed body: the upstream got a request that never
            // ends, and its connection is closed by fail_upstream.
            self->fail_upstream(status::bad_request, "bad_request_body");
            return;
        }
        if (ec) {
            self->abort();  // the client left mid-body
            return;
        }
        const auto left = self->client_->parser().get().body().size;
        self->write_request_body(ClientSession::body_buffer_size - left);
    });
}

void ProxyExchange::write_request_body(std::size_t size) {
    auto& parser = client_->parser();
    auto& body = parser.get().body();
    body.data = size > 0 ? client_->body_buffer() : nullptr;
    body.size = size;
    body.more = !parser.is_done();
    if (size == 0 && body.more) {
        continue_client_body();  // a chunk header or extension, no data yet
        return;
    }
    request_body_started_ = true;
    keep_for_replay(size);
    upstream_deadline_.arm(upstream_socket_, upstream_config_->timeouts.response);
    http::async_write(
        upstream_socket_, *request_serializer_,
        [self = shared_from_this()](error_code ec, std::size_t) { self->on_request_written(ec); });
}

void ProxyExchange::on_request_written(error_code ec) {
    if (ec == http::error::need_buffer) {
        ec = {};  // the body buffer was sent whole; more is to come
    }
    if (ec) {
        if (upstream_deadline_.expired()) {
            record_target_failure(UpstreamErrorKind::timeout);
            fail_upstream(status::gateway_timeout, "upstream_timeout");
        } else if (!retry_on_fresh_connection()) {
            // The upstream stopped reading: often because it already
            // answered (413, 401, a redirect) and closed. Its answer may be
            // waiting to be read; on_response_header fails with 502 if not.
            request_write_failed_ = true;
            read_response_header();
        }
    } else if (request_serializer_->is_done()) {
        read_response_header();
    } else {
        relay_request_body();
    }
}

void ProxyExchange::read_response_header() {
    response_parser_.emplace();
    response_parser_->body_limit(boost::none);
    response_parser_->header_limit(max_response_header_bytes);
    response_parser_->skip(head_request_);
    upstream_deadline_.arm(upstream_socket_, upstream_config_->timeouts.response);
    http::async_read_header(
        upstream_socket_, upstream_buffer_, *response_parser_,
        [self = shared_from_this()](error_code ec, std::size_t) { self->on_response_header(ec); });
}

void ProxyExchange::on_response_header(error_code ec) {
    if (ec) {
        if (upstream_deadline_.expired()) {
            record_target_failure(UpstreamErrorKind::timeout);
            fail_upstream(status::gateway_timeout, "upstream_timeout");
        } else if (!retry_on_fresh_connection()) {
            // Reset before any response byte: the upstream may have acted on
            // the request, so only an idempotent one that can be sent again
            // whole goes to another target.
            const bool no_answer = !response_parser_->got_some();
            record_target_failure(no_answer ? UpstreamErrorKind::reset
                                            : UpstreamErrorKind::bad_response);
            if (no_answer && can_send_again() && retry_on_another_target()) {
                return;
            }
            fail_upstream(status::bad_gateway, !no_answer              ? "upstream_bad_response"
                                               : request_write_failed_ ? "upstream_write_failed"
                                                                       : "upstream_reset");
        }
        return;
    }
    const auto code = response_parser_->get().result_int();
    if (code >= 100 && code < 200 && code != 101) {
        read_response_header();  // informational: the final response follows
        return;
    }
    if (code == 101 && !websocket_) {
        // Switching to a protocol the client never asked for: its next bytes
        // would be read as HTTP by one side and not the other.
        record_target_failure(UpstreamErrorKind::bad_response);
        fail_upstream(status::bad_gateway, "upstream_bad_response");
        return;
    }
    if (code >= 500) {
        upstream_->record_failure(target_, ActiveUpstream::clock::now());
    } else {
        upstream_->record_success(target_, ActiveUpstream::clock::now());
    }
    rewrite_response();
}

}  // namespace turnout::server

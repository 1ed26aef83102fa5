// The response half of ProxyExchange and its endings; the request half is in
// proxy_exchange.cpp, the retry decisions in proxy_exchange_retry.cpp.

#include "server/proxy_exchange.hpp"

#include "server/http/header_rules.hpp"
#include "server/http/websocket_upgrade.hpp"
#include "server/logfmt.hpp"

#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>
#include <spdlog/spdlog.h>

namespace turnout::server {

namespace http = boost::beast::http;

// Turns the upstream's response header into the client's, in place, and
// sends it. Framing is re-decided for the client: a known length is kept; an
// unknown one (chunked or close-delimited upstream) is chunked for HTTP/1.1
// clients and close-delimited for HTTP/1.0 ones.
void ProxyExchange::rewrite_response() {
    auto& response = attempt_.response();
    const bool has_body = !attempt_.response_complete();
    const bool known_length = attempt_.response_length_known();

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
    client_keep_alive_ =
        client_keep_alive_ && !downstream_->draining() && downstream_->request_complete();
    response.keep_alive(client_keep_alive_);
    if (response.result() == http::status::switching_protocols) {
        keep_websocket_upgrade(response);
    }

    auto& body = response.body();
    body.data = nullptr;
    body.size = 0;
    body.more = has_body;
    if (has_body) {
        // Body bytes that came with the head go out in the same write.
        const auto taken = attempt_.take_buffered_body(downstream_->body_buffer());
        if (!taken) {
            fail_upstream(http::status::bad_gateway, "upstream_bad_response");
            return;
        }
        pass_on_response_body(*taken);
    }
    phase_ = Phase::responding;
    downstream_->send_response(
        response, [self = shared_from_this()](error_code ec) { self->on_response_written(ec); });
}

// Points the response's body at the `size` bytes just read into the
// downstream's buffer, for the next write.
void ProxyExchange::pass_on_response_body(std::size_t size) {
    auto& body = attempt_.response().body();
    body.data = size > 0 ? downstream_->body_buffer().data() : nullptr;
    body.size = size;
    body.more = !attempt_.response_complete();
    response_bytes_ += size;
}

void ProxyExchange::relay_response_body() {
    if (attempt_.response_complete()) {
        write_response_body(0);
        return;
    }
    attempt_.read_body(
        downstream_->body_buffer(), [self = shared_from_this()](error_code ec, std::size_t size) {
            if (ec) {
                // Headers are out: the client must see a
                // truncated response, never a complete-looking one.
                spdlog::warn("msg=\"upstream failed mid-response\" upstream={} error={}",
                             log_value(self->upstream_config_->name), log_value(ec.message()));
                self->abort();
                return;
            }
            self->write_response_body(size);
        });
}

void ProxyExchange::write_response_body(std::size_t size) {
    pass_on_response_body(size);
    if (size == 0 && attempt_.response().body().more) {
        relay_response_body();
        return;
    }
    downstream_->send_response_body(
        [self = shared_from_this()](error_code ec) { self->on_response_written(ec); });
}

// After a write to the client: once anything reached the client, a failure
// can only end the exchange, never become an error response.
void ProxyExchange::on_response_written(error_code ec) {
    if (ec) {
        if (ec == boost::asio::error::timed_out) {
            error_reason_ = "send_timeout";  // the client stopped taking the response
        }
        abort();
    } else if (!attempt_.response().body().more) {
        finish();
    } else {
        relay_response_body();
    }
}

// Once per request, with the status the client got (turnout's own 502 or
// 504 included); `failed` marks a response cut off after it started.
void ProxyExchange::record_request(unsigned status, bool failed) {
    if (phase_ == Phase::ended) {
        return;
    }
    phase_ = Phase::ended;
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started_;
    const std::string_view upstream = upstream_ ? std::string_view{upstream_->config().name} : "";
    metrics_.series(route_->route.name, upstream).record(status, elapsed.count(), failed);
    if (access_log_) {
        const std::string_view target =
            target_ ? std::string_view{upstream_config_->targets[*target_].address.text} : "";
        access_log_->write({downstream_->client_ip(), logged_method_, logged_path_, status,
                            route_->route.name, upstream, target, response_bytes_, elapsed,
                            attempts_ + (target_ ? 1u : 0u),
                            failed && error_reason_.empty() ? "response_cut_off" : error_reason_,
                            downstream_->protocol()});
    }
}

void ProxyExchange::fail_upstream(http::status status, std::string_view reason) {
    error_reason_ = reason;
    record_request(static_cast<unsigned>(status), false);
    attempt_.close();
    // A body too large or too slow is the client's doing, not the upstream's.
    if (upstream_config_ != nullptr && status != http::status::payload_too_large &&
        status != http::status::request_timeout) {
        spdlog::warn("msg=\"upstream request failed\" route={} upstream={} status={} reason={}",
                     log_value(route_->route.name), log_value(upstream_config_->name),
                     static_cast<unsigned>(status), log_value(reason));
    }
    downstream_->send_error(status, reason, client_keep_alive_ && downstream_->request_complete());
}

void ProxyExchange::abort() {
    if (phase_ == Phase::responding) {
        record_request(attempt_.response().result_int(), true);
    }
    phase_ = Phase::ended;
    attempt_.close();
    downstream_->abort();
}

void ProxyExchange::finish() {
    record_request(attempt_.response().result_int(), false);
    if (attempt_.response().result() == http::status::switching_protocols) {
        // The 101 went out whole: from here on the connection carries
        // WebSocket frames, which the tunnel copies without reading. It is
        // never pooled.
        auto early = attempt_.take_early_bytes();
        downstream_->upgrade(attempt_.take_connection(), std::move(early));
        return;
    }
    attempt_.release(upstream_->pool(*target_));
    downstream_->end_exchange(client_keep_alive_ && downstream_->request_complete());
}

}  // namespace turnout::server

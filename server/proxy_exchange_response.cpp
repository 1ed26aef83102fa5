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
    apply_header_rules(response, current_.route->route.response_headers);
    response.version(current_.client_version);
    if (has_body && !known_length) {
        if (current_.client_version >= 11) {
            response.chunked(true);
        } else {
            current_.client_keep_alive = false;
        }
    }
    // An early response (the upstream answered before the request body
    // ended) leaves the rest of the body unread: the connection cannot
    // carry another request.
    current_.client_keep_alive = current_.client_keep_alive && !current_.downstream->draining() &&
                                 current_.downstream->request_complete();
    response.keep_alive(current_.client_keep_alive);
    if (response.result() == http::status::switching_protocols) {
        keep_websocket_upgrade(response);
    }

    auto& body = response.body();
    body.data = nullptr;
    body.size = 0;
    body.more = has_body;
    if (has_body) {
        // Body bytes that came with the head go out in the same write;
        // more than the small room holds go into the body buffer.
        auto room = current_.downstream->head_body_room();
        if (attempt_.buffered_bytes() > room.size()) {
            room = current_.downstream->body_buffer();
        }
        const auto taken = attempt_.take_buffered_body(room);
        if (!taken) {
            fail_upstream(http::status::bad_gateway, "upstream_bad_response");
            return;
        }
        pass_on_response_body(room.first(*taken));
    }
    current_.phase = Phase::responding;
    current_.downstream->send_response(
        response, [self = hold()](error_code ec) { self->on_response_written(ec); });
}

// Points the response's body at the bytes just read, for the next write.
void ProxyExchange::pass_on_response_body(std::span<char> piece) {
    auto& body = attempt_.response().body();
    body.data = piece.empty() ? nullptr : piece.data();
    body.size = piece.size();
    body.more = !attempt_.response_complete();
    current_.response_bytes += piece.size();
}

void ProxyExchange::relay_response_body() {
    if (attempt_.response_complete()) {
        write_response_body(0);
        return;
    }
    attempt_.read_body(current_.downstream->body_buffer(), [self = hold()](error_code ec,
                                                                           std::size_t size) {
        if (ec) {
            // Headers are out: the client must see a
            // truncated response, never a complete-looking one.
            spdlog::warn("msg=\"upstream failed mid-response\" upstream={} error={}",
                         log_value(self->current_.upstream_config->name), log_value(ec.message()));
            self->abort();
            return;
        }
        self->write_response_body(size);
    });
}

void ProxyExchange::write_response_body(std::size_t size) {
    pass_on_response_body(size > 0 ? current_.downstream->body_buffer().first(size)
                                   : std::span<char>{});
    if (size == 0 && attempt_.response().body().more) {
        relay_response_body();
        return;
    }
    current_.downstream->send_response_body(
        [self = hold()](error_code ec) { self->on_response_written(ec); });
}

// After a write to the client: once anything reached the client, a failure
// can only end the exchange, never become an error response.
void ProxyExchange::on_response_written(error_code ec) {
    if (ec) {
        if (ec == boost::asio::error::timed_out) {
            current_.error_reason = "send_timeout";  // the client stopped taking the response
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
    if (current_.phase == Phase::ended) {
        return;
    }
    current_.phase = Phase::ended;
    const std::chrono::duration<double> elapsed =
        std::chrono::steady_clock::now() - current_.started;
    request_series().record(status, elapsed.count(), failed);
    if (current_.access_log) {
        const std::string_view upstream =
            current_.upstream ? std::string_view{current_.upstream->config().name} : "";
        const std::string_view target =
            current_.target
                ? std::string_view{current_.upstream_config->targets[*current_.target].address.text}
                : "";
        current_.access_log->write(
            {current_.downstream->client_ip(), current_.logged_method, current_.logged_path, status,
             current_.route->route.name, upstream, target, current_.response_bytes, elapsed,
             current_.retries + (current_.target ? 1u : 0u),
             failed && current_.error_reason.empty() ? "response_cut_off" : current_.error_reason,
             current_.downstream->protocol()});
    }
}

// The route's series for the side picked, looked up by name once per side
// and kept in the route entry; an upstream the worker lacks is recorded
// under "" and not kept.
RequestSeries& ProxyExchange::request_series() {
    const auto& route_name = current_.route->route.name;
    if (!current_.upstream) {
        return current_.metrics->series(route_name, "");
    }
    auto& series = current_.route->sides[current_.side].series;
    if (series == nullptr) {
        series = &current_.metrics->series(route_name, current_.upstream->config().name);
    }
    return *series;
}

void ProxyExchange::fail_upstream(http::status status, std::string_view reason) {
    current_.error_reason = reason;
    record_request(static_cast<unsigned>(status), false);
    attempt_.close();
    // A body too large or too slow is the client's doing, not the upstream's.
    if (current_.upstream_config != nullptr && status != http::status::payload_too_large &&
        status != http::status::request_timeout) {
        spdlog::warn("msg=\"upstream request failed\" route={} upstream={} status={} reason={}",
                     log_value(current_.route->route.name),
                     log_value(current_.upstream_config->name), static_cast<unsigned>(status),
                     log_value(reason));
    }
    current_.downstream->send_error(
        status, reason, current_.client_keep_alive && current_.downstream->request_complete());
}

void ProxyExchange::abort() {
    if (current_.phase == Phase::responding) {
        record_request(attempt_.response().result_int(), true);
    }
    current_.phase = Phase::ended;
    attempt_.close();
    current_.downstream->abort();
}

void ProxyExchange::finish() {
    record_request(attempt_.response().result_int(), false);
    if (attempt_.response().result() == http::status::switching_protocols) {
        // The 101 went out whole: from here on the connection carries
        // WebSocket frames, which the tunnel copies without reading. It is
        // never pooled.
        auto early = attempt_.take_early_bytes();
        current_.downstream->upgrade(attempt_.take_connection(), std::move(early));
        return;
    }
    attempt_.release(current_.upstream->pool(*current_.target));
    current_.downstream->end_exchange(current_.client_keep_alive &&
                                      current_.downstream->request_complete());
}

}  // namespace turnout::server

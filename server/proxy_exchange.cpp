#include "server/proxy_exchange.hpp"

#include "server/exchange_pool.hpp"
#include "server/http/header_rules.hpp"
#include "server/routing/request_key.hpp"
#include "server/serving_state.hpp"
#include "server/http/websocket_upgrade.hpp"

#include <boost/asio/error.hpp>
#include <boost/assert.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>

namespace turnout::server {

namespace beast = boost::beast;
namespace http = beast::http;
using status = http::status;

namespace {

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

ProxyExchange::ProxyExchange(ExchangePool& pool, const TransportStream::executor_type& executor)
    : pool_{pool}, attempt_{executor} {}

void ProxyExchange::begin(std::shared_ptr<Downstream> downstream, std::shared_ptr<RouteEntry> route,
                          ServingState& state) {
    current_.downstream = std::move(downstream);
    current_.route = std::move(route);
    current_.metrics = &state.metrics();
    current_.access_log = state.access_log();
    current_.started = std::chrono::steady_clock::now();
    if (current_.access_log) {
        const auto& request = current_.downstream->request();
        current_.logged_method = request.method_string();
        current_.logged_path = request.target();
    }
    pick_upstream();
    rewrite_request();
    if (!current_.upstream) {
        fail_upstream(status::bad_gateway, "no_upstream");
        return;
    }
    current_.upstream_config = &current_.upstream->config();
    current_.tried.assign(current_.upstream->target_count(), 0);
    pick_target();
}

// The route's split picks the upstream (sticky when the route says so);
// none when the config names one this worker does not have.
void ProxyExchange::pick_upstream() {
    const auto& request = current_.downstream->request();
    auto& split = current_.route->split;
    const auto& client_ip = current_.downstream->client_ip();
    const auto key = request_key(current_.route->route.sticky, request, client_ip);
    current_.side = key.empty() ? split.pick() : split.pick_sticky(key);
    current_.upstream = current_.route->sides[current_.side].upstream;
    if (current_.upstream) {
        current_.hash_key = request_key(current_.upstream->config().hash_key, request, client_ip);
    }
}

void ProxyExchange::end_request() {
    if (current_.target) {
        current_.upstream->request_finished(*current_.target);
    }
    attempt_.reset();
    current_ = {};
}

void intrusive_ptr_release(ProxyExchange* exchange) {
    if (--exchange->references_ == 0) {
        exchange->pool_.give_back(exchange);
    }
}

// Turns the client's request into the one the upstream gets (SPEC §5), in
// place in the downstream's message, which each attempt then sends.
void ProxyExchange::rewrite_request() {
    auto& request = current_.downstream->request();
    current_.client_version = request.version();
    current_.client_keep_alive = current_.downstream->request_keep_alive();
    current_.head_request = request.method() == http::verb::head;
    current_.idempotent = is_idempotent(request.method());
    const bool complete = current_.downstream->request_complete();
    // turnout answers Expect itself, so the client sends its body without
    // waiting on an upstream that is not chosen yet.
    const bool expect_continue = current_.client_version >= 11 &&
                                 beast::iequals(request[http::field::expect], "100-continue");
    current_.request_body = complete          ? RequestBody::none
                            : expect_continue ? RequestBody::awaiting_continue
                                              : RequestBody::unread;
    request.erase(http::field::expect);
    current_.websocket = is_websocket_upgrade(request) && complete;

    remove_hop_by_hop(request);
    if (current_.websocket) {
        keep_websocket_upgrade(request);
    }
    add_forwarded_headers(request, current_.downstream->client_ip(),
                          current_.downstream->is_tls() ? "https" : "http");
    apply_header_rules(request, current_.route->route.request_headers);
    const auto& prefix = current_.route->route.strip_prefix;
    if (!prefix.empty() && request.target().starts_with(prefix)) {
        request.target(strip_prefix(request.target(), prefix));
    }
    request.version(11);
    if (current_.downstream->request_chunked()) {
        request.chunked(true);
    }
}

// One pass of the retry loop: a target the balancer picks among those not
// yet tried, then a try on a pooled connection to it or a new one.
void ProxyExchange::pick_target() {
    current_.upstream->excluded_for_pick(current_.tried, ActiveUpstream::clock::now(),
                                         current_.excluded);
    const auto picked = current_.upstream->balancer().pick(
        PickContext{current_.excluded, current_.hash_key, current_.upstream->in_flight()});
    if (!picked) {
        fail_upstream(status::bad_gateway, "no_target");
        return;
    }
    // Every balancer picks one of the upstream's targets, never an excluded one.
    BOOST_ASSERT(*picked < current_.excluded.size() && current_.excluded[*picked] == 0);
    if (current_.target) {
        current_.upstream->request_finished(*current_.target);
    }
    current_.target = *picked;
    current_.upstream->request_started(*current_.target);
    // A request that retry_on_fresh_connection() could send again needs no
    // peek at the pooled connection first: if it is stale, the retry covers it.
    const bool retryable = can_send_again() && !current_.fresh_connection_retried;
    if (attempt_.take_pooled(*current_.upstream, *current_.target, !retryable)) {
        send_request_head();
        return;
    }
    connect();
}

void ProxyExchange::connect() {
    attempt_.connect(*current_.upstream, *current_.target,
                     [self = hold()](AttemptError error) { self->on_connected(error); });
}

// A connect that failed never reached the upstream: any method may go elsewhere.
void ProxyExchange::on_connected(AttemptError error) {
    switch (error) {
    case AttemptError::none:
        send_request_head();
        return;
    case AttemptError::no_tls_context:
        record_target_failure(UpstreamErrorKind::tls);
        fail_upstream(status::bad_gateway, "upstream_tls_failed");
        return;
    case AttemptError::connect_timeout:
        record_target_failure(UpstreamErrorKind::connect_timeout);
        if (!retry_on_another_target()) {
            fail_upstream(status::gateway_timeout, "connect_timeout");
        }
        return;
    case AttemptError::tls_failed:
        record_target_failure(UpstreamErrorKind::tls);
        if (!retry_on_another_target()) {
            fail_upstream(status::bad_gateway, "upstream_tls_failed");
        }
        return;
    default:
        record_target_failure(UpstreamErrorKind::connect_failed);
        if (!retry_on_another_target()) {
            fail_upstream(status::bad_gateway, "connect_failed");
        }
        return;
    }
}

void ProxyExchange::send_request_head() {
    auto& request = current_.downstream->request();
    // A retry sends the body kept for replay, whole, in one write.
    const bool replaying = current_.request_body == RequestBody::started;
    if (request[http::field::host].empty()) {
        request.set(http::field::host,
                    current_.upstream_config->targets[*current_.target].address.text);
    }
    const bool body_follows = current_.request_body != RequestBody::none && !replaying;
    auto& body = request.body();
    body.data = replaying && !current_.replay.empty() ? current_.replay.data() : nullptr;
    body.size = replaying ? current_.replay.size() : 0;
    // A replayed body's trailers follow it (write_request_body).
    body.more = body_follows || (replaying && trailers());
    attempt_.send_head(request, !body_follows,
                       [self = hold()](AttemptError error) { self->on_request_sent(error); });
}

void ProxyExchange::relay_request_body() {
    if (current_.downstream->request_complete()) {
        write_request_body(0);
        return;
    }
    if (current_.request_body == RequestBody::awaiting_continue) {
        current_.request_body = RequestBody::unread;
        current_.downstream->send_continue([self = hold()](error_code ec) {
            if (ec) {
                self->abort();
                return;
            }
            self->read_request_body();
        });
        return;
    }
    read_request_body();
}

void ProxyExchange::read_request_body() {
    current_.downstream->read_body([self = hold()](error_code ec, std::size_t size) {
        if (ec == http::error::body_limit) {
            self->fail_upstream(status::payload_too_large, "body_too_large");
            return;
        }
        if (ec == boost::asio::error::timed_out) {
            // The client stopped sending its body: its upstream connection,
            // with half a request on it, is closed by fail_upstream.
            self->fail_upstream(status::request_timeout, "body_timeout");
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
        self->write_request_body(size);
    });
}

// A chunked body with trailers ends in two writes: its last data with
// body().more still true, then the last chunk with the trailers.
void ProxyExchange::write_request_body(std::size_t size) {
    const auto* trailers = this->trailers();
    const bool complete = current_.downstream->request_complete();
    if (size == 0 && complete && trailers) {
        current_.request_body = RequestBody::started;
        attempt_.send_trailers(
            *trailers, [self = hold()](AttemptError error) { self->on_request_sent(error); });
        return;
    }
    auto& body = current_.downstream->request().body();
    body.data = size > 0 ? current_.downstream->body_buffer().data() : nullptr;
    body.size = size;
    body.more = !complete || trailers;
    if (size == 0 && body.more) {
        read_request_body();  // a chunk header or extension, no data yet
        return;
    }
    current_.request_body = RequestBody::started;
    keep_for_replay(size);
    attempt_.send_body([self = hold()](AttemptError error) { self->on_request_sent(error); });
}

void ProxyExchange::on_request_sent(AttemptError error) {
    if (error == AttemptError::timeout) {
        record_target_failure(UpstreamErrorKind::timeout);
        fail_upstream(status::gateway_timeout, "upstream_timeout");
    } else if (error != AttemptError::none) {
        // The upstream stopped reading: often because it already answered
        // (413, 401, a redirect) and closed. Its answer may be waiting to
        // be read; on_response_head fails with 502 if not.
        if (!retry_on_fresh_connection()) {
            read_response_head();
        }
    } else if (attempt_.request_sent()) {
        read_response_head();
    } else {
        relay_request_body();
    }
}

void ProxyExchange::read_response_head() {
    attempt_.read_response_head(current_.head_request, [self = hold()](AttemptError error) {
        self->on_response_head(error);
    });
}

void ProxyExchange::on_response_head(AttemptError error) {
    if (error == AttemptError::timeout) {
        record_target_failure(UpstreamErrorKind::timeout);
        fail_upstream(status::gateway_timeout, "upstream_timeout");
        return;
    }
    if (error != AttemptError::none) {
        if (retry_on_fresh_connection()) {
            return;
        }
        // No answer at all: the upstream may have acted on the request, so
        // only an idempotent one that can be sent again whole goes to
        // another target.
        const bool no_answer = error != AttemptError::bad_response;
        record_target_failure(no_answer ? UpstreamErrorKind::reset
                                        : UpstreamErrorKind::bad_response);
        if (no_answer && can_send_again() && retry_on_another_target()) {
            return;
        }
        fail_upstream(status::bad_gateway, !no_answer ? "upstream_bad_response"
                                           : error == AttemptError::send_failed
                                               ? "upstream_write_failed"
                                               : "upstream_reset");
        return;
    }
    const auto code = attempt_.response().result_int();
    if (code == 101 && !current_.websocket) {
        // Switching to a protocol the client never asked for: its next bytes
        // would be read as HTTP by one side and not the other.
        record_target_failure(UpstreamErrorKind::bad_response);
        fail_upstream(status::bad_gateway, "upstream_bad_response");
        return;
    }
    const auto now = ActiveUpstream::clock::now();
    if (code >= 500) {
        current_.upstream->record_failure(*current_.target, now);
    } else {
        current_.upstream->record_success(*current_.target, now);
    }
    rewrite_response();
}

const Downstream::Trailers* ProxyExchange::trailers() const {
    return current_.downstream->request_chunked() && current_.downstream->request_complete()
               ? current_.downstream->request_trailers()
               : nullptr;
}

}  // namespace turnout::server

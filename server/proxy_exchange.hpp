#pragma once

// One request proxied to an upstream and its response relayed back, in the
// phases of a request's life: pick upstream (split) → rewrite the request →
// pick target (balancer) → try it (an UpstreamAttempt: connect or reuse a
// pooled connection, send the request, read the response head) → rewrite
// the response → stream its body to the client → return the connection to
// the pool. This class owns the retry loop (like Pingora's proxy loop and
// Envoy's Router): every decision to try again, on a fresh connection or
// another target, is made here from what an attempt reports. It talks to
// the client only through Downstream. Bodies move through the downstream's
// one fixed buffer: memory does not grow with body size. A WebSocket
// upgrade answered with 101 ends in a tunnel instead of the pool. An
// exchange is not made per request: its worker's ExchangePool lends it, one
// request at a time, and takes it back once the last handler let go.

#include "server/access_log.hpp"
#include "server/downstream.hpp"
#include "server/routing/route_table.hpp"
#include "server/upstream/active_upstream.hpp"
#include "server/upstream_attempt.hpp"
#include "server/worker_metrics.hpp"

#include <boost/intrusive_ptr.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace turnout::server {

class ExchangePool;
class ServingState;

class ProxyExchange {
public:
    // Made only by its worker's ExchangePool, which gives each one out for
    // one request at a time; `executor` is the worker's, for its upstream
    // connections.
    ProxyExchange(ExchangePool& pool, const TransportStream::executor_type& executor);
    ProxyExchange(const ProxyExchange&) = delete;
    ProxyExchange& operator=(const ProxyExchange&) = delete;

    // Proxies the request `downstream` holds along `route`.
    void begin(std::shared_ptr<Downstream> downstream, std::shared_ptr<RouteEntry> route,
               ServingState& state);

    // For the pool, once no handler holds the exchange any more: holds
    // nothing of the request it served, and its target no longer counts it
    // in flight.
    void end_request();

    // Counted references (boost::intrusive_ptr): the last one gone hands
    // the exchange back to its pool instead of freeing it.
    friend void intrusive_ptr_add_ref(ProxyExchange* exchange) { ++exchange->references_; }
    friend void intrusive_ptr_release(ProxyExchange* exchange);

private:
    using error_code = boost::system::error_code;

    enum class Phase : std::uint8_t {
        requesting,  // tries at targets; a failure can still become an error response
        responding,  // the response head went to the client: a failure can only cut it off
        ended,       // recorded in the metrics and the access log, once per request
    };

    // Where the request's body stands; a retry replays what already went out.
    enum class RequestBody : std::uint8_t {
        none,               // no body
        awaiting_continue,  // the client waits for our 100 Continue before sending it
        unread,             // nothing of it read yet
        started,            // some went upstream: a retry sends the kept copy
    };

    static constexpr std::size_t max_replay_bytes = 64 * 1024;

    // Everything that belongs to one request, reset as a whole (`= {}`)
    // when the exchange goes back to its pool, so nothing of one request
    // can leak into the next one the exchange serves.
    struct PerRequest {
        std::shared_ptr<Downstream> downstream;
        std::shared_ptr<RouteEntry> route;
        std::size_t side = 0;  // of the route's split, the upstream's
        std::shared_ptr<ActiveUpstream> upstream;
        WorkerMetrics* metrics = nullptr;
        std::shared_ptr<AccessLog> access_log;
        std::string logged_method;  // as the client sent them; kept only for the access log
        std::string logged_path;
        std::string_view error_reason;
        std::uint64_t response_bytes = 0;
        std::chrono::steady_clock::time_point started;
        Phase phase = Phase::requesting;
        const config::Upstream* upstream_config = nullptr;

        // The request, as the client sent it.
        unsigned client_version = 11;
        bool client_keep_alive = true;
        bool idempotent = false;
        bool head_request = false;
        bool websocket = false;  // the client asked for a WebSocket upgrade
        RequestBody request_body = RequestBody::none;

        // Retry state: what was tried, and what can be sent again.
        TargetFlags tried;     // per target: already failed for this request
        TargetFlags excluded;  // per target: not to pick now (tried, unhealthy, ejected)
        std::string hash_key;  // for balance: hash; copied before headers are rewritten
        // The target of the current try, counted in its in-flight requests
        // until the next pick or the end; none before the first pick.
        std::optional<std::size_t> target;
        unsigned retries = 0;  // tries at another target after a failed one
        bool fresh_connection_retried = false;
        std::string replay;  // the body so far, while it fits in max_replay_bytes
        bool replay_overflow = false;
    };

    // A reference for a handler to hold while an operation is pending.
    boost::intrusive_ptr<ProxyExchange> hold() { return boost::intrusive_ptr<ProxyExchange>{this}; }

    // Request (proxy_exchange.cpp).
    void pick_upstream();
    void rewrite_request();
    void pick_target();
    void connect();
    void on_connected(AttemptError error);
    void send_request_head();
    void relay_request_body();
    void read_request_body();
    void write_request_body(std::size_t size);
    void on_request_sent(AttemptError error);
    // The client's trailers, to end a chunked body with, once it sent them.
    const Downstream::Trailers* trailers() const;
    void read_response_head();
    void on_response_head(AttemptError error);

    // Retries (proxy_exchange_retry.cpp): the only places a request is sent again.
    bool retry_on_fresh_connection();
    bool retry_on_another_target();
    void keep_for_replay(std::size_t size);
    bool can_send_again() const;
    void record_target_failure(UpstreamErrorKind kind);

    // Response (proxy_exchange_response.cpp).
    void rewrite_response();
    void pass_on_response_body(std::span<char> piece);
    void relay_response_body();
    void write_response_body(std::size_t size);
    void on_response_written(error_code ec);

    // Endings (proxy_exchange_response.cpp).
    void record_request(unsigned status, bool failed);
    RequestSeries& request_series();
    void fail_upstream(boost::beast::http::status status, std::string_view reason);
    void abort();
    void finish();

    ExchangePool& pool_;
    std::size_t references_ = 0;
    // Kept across requests: its connection is per try, its buffers stay.
    UpstreamAttempt attempt_;
    PerRequest current_;
};

}  // namespace turnout::server

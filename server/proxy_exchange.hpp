#pragma once

// One request proxied to an upstream and its response relayed back, in the
// phases of a request's life: pick upstream (split) → pick target
// (balancer) → connect (and TLS handshake) or reuse a pooled connection →
// send the request header → stream the request body → read the response
// header → rewrite it → stream the response body → return the connection to
// the pool. Bodies move through one fixed buffer of the client session:
// memory does not grow with body size. A WebSocket upgrade answered with 101
// ends in a Tunnel instead of the pool.

#include "server/access_log.hpp"
#include "server/upstream/active_upstream.hpp"
#include "server/client_session.hpp"
#include "server/deadline.hpp"
#include "server/routing/route_table.hpp"
#include "server/transport_stream.hpp"
#include "server/worker_metrics.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>

#include <memory>
#include <optional>

namespace turnout::server {

class ServingState;

class ProxyExchange : public std::enable_shared_from_this<ProxyExchange> {
public:
    ProxyExchange(std::shared_ptr<ClientSession> client, std::shared_ptr<RouteEntry> route,
                  ServingState& state);
    ~ProxyExchange();
    ProxyExchange(const ProxyExchange&) = delete;
    ProxyExchange& operator=(const ProxyExchange&) = delete;

    void start();

private:
    using RequestSerializer =
        boost::beast::http::request_serializer<boost::beast::http::buffer_body>;
    using ResponseParser = boost::beast::http::response_parser<boost::beast::http::buffer_body>;
    using ResponseSerializer =
        boost::beast::http::response_serializer<boost::beast::http::buffer_body>;
    using error_code = boost::system::error_code;

    // Request phases.
    void rewrite_request();
    void pick_target();
    void connect(std::size_t target);
    void on_connect(error_code ec);
    void start_upstream_tls();                  // proxy_exchange_transport.cpp
    void on_upstream_handshake(error_code ec);  // proxy_exchange_transport.cpp
    void send_request_header();
    void relay_request_body();
    void write_request_body(std::size_t size);
    void on_request_written(error_code ec);
    void continue_client_body();

    // Response phases.
    void read_response_header();
    void on_response_header(error_code ec);
    void rewrite_response();
    bool take_buffered_body();
    void relay_response_body();
    void write_response_body(std::size_t size);
    void on_response_written(error_code ec);
    void start_tunnel();  // proxy_exchange_transport.cpp

    // Endings.
    bool retry_on_fresh_connection();
    bool retry_on_another_target();
    void keep_for_replay(std::size_t size);
    bool can_send_again() const;
    void record_target_failure(UpstreamErrorKind kind);
    void record_request(unsigned status, bool failed);
    void fail_upstream(boost::beast::http::status status, std::string_view reason);
    void abort();
    void finish();

    std::shared_ptr<ClientSession> client_;
    std::shared_ptr<RouteEntry> route_;
    std::shared_ptr<ActiveUpstream> upstream_;
    WorkerMetrics& metrics_;
    std::shared_ptr<AccessLog> access_log_;
    std::string logged_method_;  // as the client sent them; kept only for the access log
    std::string logged_path_;
    std::string_view error_reason_;
    std::uint64_t response_bytes_ = 0;
    static constexpr std::size_t max_replay_bytes = 64 * 1024;
    std::string replay_;  // the body so far, while it fits in max_replay_bytes
    bool replay_overflow_ = false;
    // An idempotent chunked request's head as first sent, before trailers
    // were merged into it.
    std::optional<boost::beast::http::request_header<>> replay_head_;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    bool recorded_ = false;
    const config::Upstream* upstream_config_ = nullptr;
    TransportStream upstream_socket_;
    Deadline upstream_deadline_;
    boost::beast::flat_buffer upstream_buffer_;
    std::optional<RequestSerializer> request_serializer_;
    std::optional<ResponseParser> response_parser_;
    std::optional<ResponseSerializer> response_serializer_;

    TargetFlags tried_;     // per target: already failed for this request
    TargetFlags excluded_;  // per target: not to pick now (tried, unhealthy, ejected)
    std::string hash_key_;  // for balance: hash; copied before headers are rewritten
    std::size_t target_ = 0;
    bool target_counted_ = false;  // target_'s in-flight count includes this request
    unsigned attempts_ = 0;
    bool connection_reused_ = false;
    bool stale_retry_done_ = false;
    bool request_write_failed_ = false;
    bool request_has_body_ = false;
    bool request_body_started_ = false;
    bool expect_continue_ = false;
    bool idempotent_ = false;
    bool head_request_ = false;
    bool websocket_ = false;  // the client asked for a WebSocket upgrade
    unsigned client_version_ = 11;
    bool client_keep_alive_ = true;
    bool upstream_keep_alive_ = false;
};

}  // namespace turnout::server

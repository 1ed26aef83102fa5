// The connection-level steps of ProxyExchange: TLS to the upstream after
// the TCP connect, and the tunnel a WebSocket upgrade ends in. The request
// and response halves are in proxy_exchange.cpp and
// proxy_exchange_response.cpp.

#include "server/proxy_exchange.hpp"

#include "server/logfmt.hpp"
#include "server/tunnel.hpp"
#include "server/upstream/upstream_tls.hpp"

#include <boost/asio/ssl/stream_base.hpp>
#include <spdlog/spdlog.h>

namespace turnout::server {

using status = boost::beast::http::status;

// The handshake is part of connecting: it runs under the connect timeout,
// and a failure means the request never left, so it may go to another
// target whatever its method.
void ProxyExchange::start_upstream_tls() {
    const auto& context = upstream_->tls_context();
    if (!context) {
        record_target_failure(UpstreamErrorKind::tls);
        fail_upstream(status::bad_gateway, "upstream_tls_failed");
        return;
    }
    upstream_socket_.start_tls(context);
    prepare_upstream_tls(upstream_socket_.tls().native_handle(), *upstream_config_->tls,
                         upstream_config_->targets[target_].address);
    upstream_deadline_.arm(upstream_socket_, upstream_config_->timeouts.connect);
    upstream_socket_.tls().async_handshake(
        boost::asio::ssl::stream_base::client,
        [self = shared_from_this()](error_code ec) { self->on_upstream_handshake(ec); });
}

void ProxyExchange::on_upstream_handshake(error_code ec) {
    if (!ec) {
        send_request_header();
        return;
    }
    const bool timed_out = upstream_deadline_.expired();
    spdlog::warn("msg=\"upstream TLS handshake failed\" upstream={} target={} error={}",
                 log_value(upstream_config_->name),
                 log_value(upstream_config_->targets[target_].address.text),
                 log_value(timed_out
                               ? "timeout"
                               : upstream_tls_failure(upstream_socket_.tls().native_handle(), ec)));
    record_target_failure(timed_out ? UpstreamErrorKind::connect_timeout : UpstreamErrorKind::tls);
    if (!retry_on_another_target()) {
        fail_upstream(timed_out ? status::gateway_timeout : status::bad_gateway,
                      timed_out ? "connect_timeout" : "upstream_tls_failed");
    }
}

// The 101 went out whole: from here on the connection carries WebSocket
// frames, which the tunnel copies without reading. It is never pooled.
void ProxyExchange::start_tunnel() {
    std::make_shared<Tunnel>(client_, std::move(upstream_socket_), std::move(upstream_buffer_))
        ->start();
}

}  // namespace turnout::server

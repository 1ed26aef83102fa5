#pragma once

// One target's active health check: every interval, a fresh connection (TLS
// when the upstream speaks TLS to its targets, verified the same way), a
// GET of the check path, and a verdict (2xx or 3xx within the timeout is a
// success). Internal to HealthChecker.

#include "config/config.hpp"
#include "server/transport_stream.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace turnout::master {

class TargetProbe : public std::enable_shared_from_this<TargetProbe> {
public:
    TargetProbe(boost::asio::io_context& io, std::string upstream, config::Target target,
                config::HealthCheck check, std::optional<config::UpstreamTls> tls,
                std::function<void()> on_change);

    void start();
    void stop();

    bool healthy() const { return healthy_; }
    const config::HealthCheck& check() const { return check_; }
    const std::optional<config::UpstreamTls>& tls() const { return tls_; }

private:
    using error_code = boost::system::error_code;

    void schedule();
    void probe();
    void on_connect(error_code ec);
    void on_handshake(error_code ec);
    void send_check();
    void on_result(bool success, std::string detail);

    boost::asio::io_context& io_;
    std::string upstream_;
    config::Target target_;
    config::HealthCheck check_;
    std::optional<config::UpstreamTls> tls_;
    std::shared_ptr<boost::asio::ssl::context> tls_context_;
    std::string tls_error_;  // why tls_context_ could not be made
    std::function<void()> on_change_;
    boost::asio::steady_timer timer_;
    boost::asio::steady_timer deadline_;  // the whole check: connect, handshake, send, answer
    std::uint64_t generation_ = 0;        // which check the deadline belongs to
    bool timed_out_ = false;
    std::optional<server::TransportStream> stream_;
    boost::beast::flat_buffer buffer_;
    boost::beast::http::request<boost::beast::http::empty_body> request_;
    std::optional<boost::beast::http::response_parser<boost::beast::http::string_body>> response_;
    bool healthy_ = true;  // until checks say otherwise: traffic flows at once
    unsigned successes_ = 0;
    unsigned failures_ = 0;
    bool stopped_ = false;
};

}  // namespace turnout::master

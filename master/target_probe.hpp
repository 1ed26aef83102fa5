#pragma once

// One target's active health check: every interval, a fresh connection, a
// GET of the check path, and a verdict (2xx or 3xx within the timeout is a
// success). Internal to HealthChecker.

#include "config/config.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace turnout::master {

class TargetProbe : public std::enable_shared_from_this<TargetProbe> {
public:
    TargetProbe(boost::asio::io_context& io, std::string upstream, config::Target target,
                config::HealthCheck check, std::function<void()> on_change);

    void start();
    void stop();

    bool healthy() const { return healthy_; }
    const config::HealthCheck& check() const { return check_; }

private:
    void schedule();
    void probe();
    void on_result(bool success, const std::string& detail);

    boost::asio::io_context& io_;
    std::string upstream_;
    config::Target target_;
    config::HealthCheck check_;
    std::function<void()> on_change_;
    boost::asio::steady_timer timer_;
    std::optional<boost::beast::tcp_stream> stream_;
    boost::beast::flat_buffer buffer_;
    boost::beast::http::request<boost::beast::http::empty_body> request_;
    boost::beast::http::response<boost::beast::http::string_body> response_;
    bool healthy_ = true;  // until checks say otherwise: traffic flows at once
    unsigned successes_ = 0;
    unsigned failures_ = 0;
    bool stopped_ = false;
};

}  // namespace turnout::master

#include "master/target_probe.hpp"

#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>

namespace turnout::master {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// A check's answer is read whole; a health endpoint says little.
constexpr std::uint32_t max_check_body = 64 * 1024;

}  // namespace

TargetProbe::TargetProbe(boost::asio::io_context& io, std::string upstream, config::Target target,
                         config::HealthCheck check, std::function<void()> on_change)
    : io_{io},
      upstream_{std::move(upstream)},
      target_{std::move(target)},
      check_{std::move(check)},
      on_change_{std::move(on_change)},
      timer_{io} {
    request_.method(http::verb::get);
    request_.target(check_.path);
    request_.version(11);
    request_.set(http::field::host, target_.address.text);
    request_.set(http::field::user_agent, "turnout-health-check");
    request_.keep_alive(false);
}

void TargetProbe::start() { probe(); }

void TargetProbe::stop() {
    stopped_ = true;
    timer_.cancel();
    if (stream_) {
        stream_->cancel();
    }
}

void TargetProbe::schedule() {
    if (stopped_) {
        return;
    }
    timer_.expires_after(check_.interval);
    timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
        if (auto self = weak.lock(); self && !ec) {
            self->probe();
        }
    });
}

void TargetProbe::probe() {
    stream_.emplace(io_);
    buffer_.clear();
    response_ = {};
    stream_->expires_after(check_.timeout);  // the whole check: connect, send, answer
    stream_->async_connect(target_.address.endpoint, [self = shared_from_this()](beast::error_code ec) {
        if (ec) {
            self->on_result(false, "connect: " + ec.message());
            return;
        }
        http::async_write(*self->stream_, self->request_,
                          [self](beast::error_code write_ec, std::size_t) {
                              if (write_ec) {
                                  self->on_result(false, "send: " + write_ec.message());
                                  return;
                              }
                              http::async_read(*self->stream_, self->buffer_, self->response_,
                                               [self](beast::error_code read_ec, std::size_t) {
                                                   const auto code = self->response_.result_int();
                                                   const bool ok = !read_ec && code >= 200 && code < 400;
                                                   self->on_result(ok, read_ec ? "answer: " + read_ec.message()
                                                                               : "status " + std::to_string(code));
                                               });
                          });
    });
}

void TargetProbe::on_result(bool success, const std::string& detail) {
    if (stream_) {
        beast::error_code ignored;
        stream_->socket().close(ignored);
    }
    if (stopped_) {
        return;
    }
    successes_ = success ? successes_ + 1 : 0;
    failures_ = success ? 0 : failures_ + 1;
    const bool turn_unhealthy = healthy_ && failures_ >= check_.unhealthy_after;
    const bool turn_healthy = !healthy_ && successes_ >= check_.healthy_after;
    if (turn_unhealthy || turn_healthy) {
        healthy_ = turn_healthy;
        spdlog::log(healthy_ ? spdlog::level::info : spdlog::level::warn,
                    "msg=\"target {}\" upstream={} target={} check=\"{}\"",
                    healthy_ ? "healthy" : "unhealthy", upstream_, target_.address.text, detail);
        on_change_();
    }
    schedule();
}

}  // namespace turnout::master

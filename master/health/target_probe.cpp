#include "master/health/target_probe.hpp"

#include "server/logfmt.hpp"
#include "server/upstream/upstream_tls.hpp"

#include <boost/asio/ssl/stream_base.hpp>
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
                         config::HealthCheck check, std::optional<config::UpstreamTls> tls,
                         std::function<void()> on_change)
    : io_{io}, upstream_{std::move(upstream)}, target_{std::move(target)}, check_{std::move(check)},
      tls_{std::move(tls)}, on_change_{std::move(on_change)}, timer_{io}, deadline_{io} {
    request_.method(http::verb::get);
    request_.target(check_.path);
    request_.version(11);
    request_.set(http::field::host, tls_ && !tls_->sni.empty() ? tls_->sni : target_.address.text);
    request_.set(http::field::user_agent, "turnout-health-check");
    request_.keep_alive(false);
    if (tls_) {
        tls_context_ = server::make_upstream_tls_context(*tls_, tls_error_);
    }
}

void TargetProbe::start() {
    probe();
}

void TargetProbe::stop() {
    stopped_ = true;
    timer_.cancel();
    deadline_.cancel();
    if (stream_) {
        stream_->close();
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
    if (tls_ && !tls_context_) {
        on_result(false, "tls: " + tls_error_);
        return;
    }
    stream_.emplace(io_.get_executor());
    buffer_.clear();
    response_.emplace();
    response_->body_limit(max_check_body);
    timed_out_ = false;
    // Closing the connection at the deadline fails whichever step is pending.
    deadline_.expires_after(check_.timeout);
    deadline_.async_wait([weak = weak_from_this(), generation = ++generation_](error_code ec) {
        auto self = weak.lock();
        if (self && !ec && self->generation_ == generation && self->stream_) {
            self->timed_out_ = true;
            self->stream_->close();
        }
    });
    stream_->socket().async_connect(
        target_.address.endpoint,
        [self = shared_from_this()](error_code ec) { self->on_connect(ec); });
}

void TargetProbe::on_connect(error_code ec) {
    if (ec) {
        on_result(false, "connect: " + ec.message());
        return;
    }
    if (!tls_) {
        send_check();
        return;
    }
    stream_->start_tls(tls_context_);
    server::prepare_upstream_tls(stream_->tls().native_handle(), *tls_, target_.address);
    stream_->tls().async_handshake(
        boost::asio::ssl::stream_base::client,
        [self = shared_from_this()](error_code handshake_ec) { self->on_handshake(handshake_ec); });
}

void TargetProbe::on_handshake(error_code ec) {
    if (ec) {
        on_result(false,
                  "tls: " + server::upstream_tls_failure(stream_->tls().native_handle(), ec));
        return;
    }
    send_check();
}

void TargetProbe::send_check() {
    http::async_write(*stream_, request_, [self = shared_from_this()](error_code ec, std::size_t) {
        if (ec) {
            self->on_result(false, "send: " + ec.message());
            return;
        }
        http::async_read(*self->stream_, self->buffer_, *self->response_,
                         [self](error_code read_ec, std::size_t) {
                             const auto code = self->response_->get().result_int();
                             const bool ok = !read_ec && code >= 200 && code < 400;
                             self->on_result(ok, read_ec ? "answer: " + read_ec.message()
                                                         : "status " + std::to_string(code));
                         });
    });
}

void TargetProbe::on_result(bool success, std::string detail) {
    if (timed_out_) {
        detail = "timeout after " + std::to_string(check_.timeout.count()) + "ms";
    }
    ++generation_;
    deadline_.cancel();
    if (stream_) {
        stream_->close();
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
                    "msg=\"target {}\" upstream={} target={} check={}",
                    healthy_ ? "healthy" : "unhealthy", log_value(upstream_),
                    log_value(target_.address.text), log_value(detail));
        on_change_();
    }
    schedule();
}

}  // namespace turnout::master

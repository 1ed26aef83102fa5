#include "worker/worker.hpp"

#include <spdlog/spdlog.h>

namespace turnout::worker {

Worker::Worker(std::shared_ptr<const config::Config> config,
               const std::vector<ListenerSocket>& sockets)
    : state_{io_}, drain_timer_{io_} {
    for (const auto& socket : sockets) {
        const auto* listener = [&]() -> const config::Listener* {
            for (const auto& l : config->listeners) {
                if (l.name == socket.name) {
                    return &l;
                }
            }
            return nullptr;
        }();
        server::ListenerContext context{socket.name, listener && listener->tls ? "https" : "http"};
        listeners_.push_back(
            std::make_shared<server::Listener>(io_, socket.fd, std::move(context), state_, registry_));
    }
    state_.apply(std::move(config));
}

Worker::~Worker() {
    registry_.cancel_drain();
    state_.close_idle_upstreams();
}

void Worker::run() {
    for (auto& listener : listeners_) {
        listener->start();
    }
    io_.run();
}

void Worker::apply(std::shared_ptr<const config::Config> config) { state_.apply(std::move(config)); }

void Worker::begin_drain() {
    if (draining_) {
        return;
    }
    draining_ = true;
    for (auto& listener : listeners_) {
        listener->stop();
    }
    const auto timeout = state_.config()->limits.drain_timeout;
    spdlog::info("msg=\"draining\" connections={} drain_timeout_ms={}", registry_.size(),
                 timeout.count());
    drain_timer_.expires_after(timeout);
    drain_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) {
            spdlog::warn("msg=\"drain timeout, closing remaining connections\" connections={}",
                         registry_.size());
            stop_now();
        }
    });
    registry_.drain([this] {
        drain_timer_.cancel();
        state_.close_idle_upstreams();
        io_.stop();
    });
}

void Worker::stop_now() {
    for (auto& listener : listeners_) {
        listener->stop();
    }
    registry_.close_all();
    state_.close_idle_upstreams();
    io_.stop();
}

}  // namespace turnout::worker

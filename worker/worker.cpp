#include "worker/worker.hpp"

#include "server/logfmt.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <unistd.h>

namespace turnout::worker {

Worker::Worker() : state_{io_}, drain_timer_{io_} {}

Worker::~Worker() {
    registry_.cancel_drain();
    state_.close_idle_upstreams();
    for (auto& [name, slot] : listeners_) {
        if (slot.fd >= 0) {
            ::close(slot.fd);
        }
    }
}

void Worker::add_listener_socket(const std::string& name, int fd) {
    auto& slot = listeners_[name];
    if (slot.listener) {
        slot.listener->stop();
        slot.listener.reset();
    }
    if (slot.fd >= 0) {
        ::close(slot.fd);
    }
    slot.fd = fd;
}

server::RouteTable Worker::apply(config::Config config) {
    const auto listeners = config.listeners;
    auto replaced = state_.apply(std::move(config));
    if (!draining_) {
        start_listeners(listeners);
    }
    return replaced;
}

void Worker::start_listeners(const std::vector<config::Listener>& listeners) {
    for (auto& [name, slot] : listeners_) {
        const config::Listener* wanted = nullptr;
        for (const auto& listener : listeners) {
            if (listener.name == name) {
                wanted = &listener;
            }
        }
        if (!wanted && slot.listener) {
            slot.listener->stop();
            slot.listener.reset();
        }
        if (wanted && slot.listener) {
            // Settings such as http2 change for connections accepted from now on.
            slot.listener->set_context(server::ListenerContext{name, wanted->http2});
        }
        if (wanted && !slot.listener && slot.fd >= 0) {
            server::ListenerContext context{name, wanted->http2};
            slot.listener = std::make_shared<server::Listener>(io_, slot.fd, std::move(context),
                                                               state_, registry_);
            slot.fd = -1;  // the listener owns it now
            slot.listener->start();
        }
    }
}

void Worker::run() {
    io_.run();
}

void Worker::begin_drain() {
    if (draining_) {
        return;
    }
    draining_ = true;
    for (auto& [name, slot] : listeners_) {
        if (slot.listener) {
            slot.listener->stop();
        }
    }
    const auto timeout = state_.limits().drain_timeout;
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
    // Connections the listeners accepted just before they stopped still
    // have their handlers queued: they register first, so the drain reaches
    // them instead of the loop stopping under them.
    boost::asio::post(io_, [this] {
        registry_.drain([this] {
            drain_timer_.cancel();
            state_.close_idle_upstreams();
            io_.stop();
        });
    });
}

void Worker::stop_now() {
    for (auto& [name, slot] : listeners_) {
        if (slot.listener) {
            slot.listener->stop();
        }
    }
    registry_.close_all();
    state_.close_idle_upstreams();
    io_.stop();
}

void Worker::tls_changed(const std::string& listener) {
    spdlog::info("msg=\"listener TLS changed, HTTP/2 connections go away\" listener={}",
                 log_value(listener));
    registry_.tls_changed(listener);
}

}  // namespace turnout::worker

#include "server/listener.hpp"

#include "server/logfmt.hpp"
#include "server/serving_state.hpp"
#include "server/session_registry.hpp"

#include <boost/asio/ip/address.hpp>
#include <spdlog/spdlog.h>

#include <sys/socket.h>

namespace turnout::server {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// Running out of descriptors or memory is not fatal: back off briefly and
// accept again, instead of spinning on the same error.
constexpr std::chrono::milliseconds accept_backoff{100};

tcp protocol_of(int fd) {
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    return address.ss_family == AF_INET6 ? tcp::v6() : tcp::v4();
}

}  // namespace

Listener::Listener(asio::io_context& io, int fd, ListenerContext context, ServingState& state,
                   SessionRegistry& registry)
    : acceptor_{io.get_executor(), protocol_of(fd), fd}, backoff_{io},
      context_{std::make_shared<const ListenerContext>(std::move(context))}, state_{state},
      registry_{registry} {}

void Listener::start() {
    accept();
}

void Listener::stop() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    backoff_.cancel();
}

// At limits.max_connections the listener stops accepting, so new clients
// wait in the kernel's listen queue (or go to another worker) instead of
// being taken and refused; the sessions already open keep being served.
void Listener::accept() {
    const auto limit = state_.limits().max_connections;
    if (limit > 0 && registry_.size() >= limit) {
        if (!at_limit_) {
            at_limit_ = true;
            spdlog::warn("msg=\"connection limit reached, not accepting\" listener={} "
                         "max_connections={}",
                         log_value(context_->name), limit);
        }
        registry_.when_one_closes([weak = weak_from_this()] {
            if (auto self = weak.lock()) {
                self->accept();
            }
        });
        return;
    }
    if (at_limit_) {
        at_limit_ = false;
        spdlog::info("msg=\"accepting again\" listener={}", log_value(context_->name));
    }
    acceptor_.async_accept([self = shared_from_this()](boost::system::error_code ec,
                                                       TransportStream::socket_type socket) {
        self->on_accept(ec, std::move(socket));
    });
}

void Listener::on_accept(boost::system::error_code ec, TransportStream::socket_type socket) {
    if (ec == asio::error::operation_aborted || (ec && !acceptor_.is_open())) {
        return;
    }
    if (ec) {
        spdlog::warn("msg=\"accept failed\" listener={} error={}", log_value(context_->name),
                     log_value(ec.message()));
        backoff_.expires_after(accept_backoff);
        backoff_.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
            if (!wait_ec) {
                self->accept();
            }
        });
        return;
    }
    auto tls = state_.listener_tls(context_->name);
    TransportStream stream = tls ? TransportStream{std::move(socket), tls->handshake_context()}
                                 : TransportStream{std::move(socket)};
    // Accepted just before stop(): served (the worker's drain reaches it),
    // not dropped, which would reset a client the kernel had connected.
    std::make_shared<ClientSession>(std::move(stream), state_, registry_, context_)->start();
    if (acceptor_.is_open()) {
        accept();
    }
}

}  // namespace turnout::server

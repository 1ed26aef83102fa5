#pragma once

// Accepts client connections on one listening socket (bound elsewhere, by
// the master) and starts a ClientSession for each: over TLS when the
// serving state has TLS for this listener, with the context live right now.

#include "server/client_session.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>

namespace turnout::server {

class Listener : public std::enable_shared_from_this<Listener> {
public:
    // Takes ownership of `fd`, a bound and listening TCP socket.
    Listener(boost::asio::io_context& io, int fd, ListenerContext context, ServingState& state,
             SessionRegistry& registry);

    void start();
    // Stops accepting. Connections already accepted are left to the registry.
    void stop();

    const std::string& name() const { return context_->name; }
    // For connections accepted from now on; open ones keep theirs.
    void set_context(ListenerContext context) {
        context_ = std::make_shared<const ListenerContext>(std::move(context));
    }

private:
    void accept();
    void on_accept(boost::system::error_code ec, TransportStream::socket_type socket);

    // Of the worker's own executor type, so accepted sockets are too.
    boost::asio::basic_socket_acceptor<boost::asio::ip::tcp, TransportStream::executor_type>
        acceptor_;
    boost::asio::steady_timer backoff_;
    std::shared_ptr<const ListenerContext> context_;
    ServingState& state_;
    SessionRegistry& registry_;
    bool at_limit_ = false;
};

}  // namespace turnout::server

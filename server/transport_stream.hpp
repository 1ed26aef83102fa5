#pragma once

// A connection as the proxy reads and writes it: a plain TCP socket, or TLS
// over one, decided at run time. It is an Asio AsyncStream, so Beast's
// http::async_read/async_write and asio::async_write work on either unchanged.
// The TLS stream (server/tls/tls_stream.hpp) sits behind a unique_ptr:
// moving a connection (into a pool, into a tunnel) costs a pointer, not an
// SSL object.

#include "server/socket_readiness.hpp"
#include "server/tls/tls_stream.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <type_traits>
#include <utility>

namespace turnout::server {

class TransportStream {
public:
    using tls_stream_type = TlsStream;
    using socket_type = TlsStream::socket_type;
    using executor_type = TlsStream::executor_type;

    // A plain connection (or, from an executor, a closed one to connect later).
    explicit TransportStream(socket_type socket) : socket_{std::move(socket)} {}
    explicit TransportStream(const executor_type& executor) : socket_{executor} {}

    // TLS over `socket`; the handshake is the caller's next step.
    TransportStream(socket_type socket, std::shared_ptr<boost::asio::ssl::context> context)
        : socket_{socket.get_executor()} {
        start_tls(std::move(socket), std::move(context));
    }

    TransportStream(TransportStream&&) noexcept = default;
    TransportStream& operator=(TransportStream&&) noexcept = default;

    executor_type get_executor() { return socket_.get_executor(); }

    // The TCP connection, under TLS when there is TLS: for connect, options,
    // deadlines (cancel) and close.
    socket_type& socket() { return tls_ ? tls_->socket() : socket_; }

    bool is_tls() const { return tls_ != nullptr; }
    tls_stream_type& tls() { return *tls_; }

    // Wraps this (connected, plain) connection in TLS, for the upstream side
    // where TLS starts after the TCP connect.
    void start_tls(std::shared_ptr<boost::asio::ssl::context> context) {
        start_tls(std::move(socket_), std::move(context));
    }

    // Closes the TCP connection at once (no TLS close_notify); TLS state
    // goes with it.
    void close(boost::system::error_code& ec) { socket().close(ec); }
    void close() {
        boost::system::error_code ignored;
        close(ignored);
    }

    // Whether the TLS layer holds bytes nobody read yet, decrypted or not
    // (always false when plain). What is still in the kernel is not counted.
    bool has_buffered_input() const { return tls_ && tls_->has_buffered_input(); }

    // A plain read into one buffer remembers whether it emptied the socket
    // (server/socket_readiness.hpp).
    template <class MutableBuffers, class Handler>
    void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
        if (tls_) {
            tls_->async_read_some(buffers, std::forward<Handler>(handler));
        } else if constexpr (std::is_convertible_v<const MutableBuffers&,
                                                   boost::asio::mutable_buffer>) {
            readiness::read_some(socket_, boost::asio::mutable_buffer(buffers),
                                 std::forward<Handler>(handler));
        } else {
            socket_.async_read_some(buffers, std::forward<Handler>(handler));
        }
    }

    template <class ConstBuffers, class Handler>
    void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
        if (tls_) {
            tls_->async_write_some(buffers, std::forward<Handler>(handler));
        } else {
            socket_.async_write_some(buffers, std::forward<Handler>(handler));
        }
    }

private:
    void start_tls(socket_type socket, std::shared_ptr<boost::asio::ssl::context> context) {
        tls_ = std::make_unique<tls_stream_type>(std::move(socket), std::move(context));
    }

    socket_type socket_;  // the connection when plain; closed under TLS
    std::unique_ptr<tls_stream_type> tls_;
};

}  // namespace turnout::server

#pragma once

// TLS on a TCP socket the way nginx does it: the SSL object reads and writes
// the socket's own (non-blocking) file descriptor, and when OpenSSL wants
// the socket to be readable or writable first, the operation waits for that
// with async_wait and tries again. There is no BIO pair and no buffer of our
// own, and OpenSSL gives its record buffers back while the connection is
// idle (SSL_MODE_RELEASE_BUFFERS): an idle TLS connection costs its SSL
// object and little more. Asio's ssl::stream keeps about 68 KiB of buffers
// per connection for its whole life.
//
// It is an Asio AsyncStream (async_read_some, async_write_some), so Beast
// and asio::async_write work on it; one read and one write may be pending at
// once (HTTP/2 and the WebSocket tunnel are full duplex). Completions never
// run inside the initiating call, and they report what Asio's SSL stream
// reported, which callers and logs read: a close_notify from the peer is
// asio::error::eof, a TCP close without one ssl::error::stream_truncated,
// an OpenSSL error a code in asio::error::get_ssl_category(), a cancelled
// or closed socket asio::error::operation_aborted.

#include <boost/asio/compose.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

namespace turnout::server {

class TlsStream {
public:
    // A worker is one io_context on one thread: its sockets name that
    // executor directly instead of the type-erased any_io_executor, which
    // costs every socket, and every handler bound to one, about 40 bytes
    // more and an indirect call per operation.
    using executor_type = boost::asio::io_context::executor_type;
    using socket_type = boost::asio::basic_stream_socket<boost::asio::ip::tcp, executor_type>;
    using handshake_type = boost::asio::ssl::stream_base::handshake_type;

    // TLS over the connected `socket`, with the settings of `context`; the
    // handshake is the caller's next step. `context` stays alive as long as
    // the connection: callbacks it installed (SNI) may point into what owns
    // it. Throws std::bad_alloc when OpenSSL cannot make the SSL object.
    TlsStream(socket_type socket, std::shared_ptr<boost::asio::ssl::context> context);
    TlsStream(const TlsStream&) = delete;
    TlsStream& operator=(const TlsStream&) = delete;

    executor_type get_executor() { return socket_.get_executor(); }
    // For options, deadlines (cancel, close) and the raw reads after the
    // TLS session ended.
    socket_type& socket() { return socket_; }
    SSL* native_handle() { return ssl_.get(); }

    // Whether OpenSSL holds input the caller has not read, decrypted or not.
    bool has_buffered_input() const;

    template <class Handler>
    auto async_handshake(handshake_type type, Handler&& handler) {
        if (type == handshake_type::server) {
            SSL_set_accept_state(ssl_.get());
        } else {
            SSL_set_connect_state(ssl_.get());
        }
        return start<no_size>([](TlsStream& stream) { return stream.try_handshake(); },
                              std::forward<Handler>(handler));
    }

    // Sends close_notify and waits for the peer's.
    template <class Handler>
    auto async_shutdown(Handler&& handler) {
        return start<no_size>([](TlsStream& stream) { return stream.try_shutdown(); },
                              std::forward<Handler>(handler));
    }

    // Reads into the first non-empty buffer of `buffers`.
    template <class MutableBuffers, class Handler>
    auto async_read_some(const MutableBuffers& buffers, Handler&& handler) {
        return start<with_size>(
            [buffers](TlsStream& stream) {
                const auto first = first_buffer<boost::asio::mutable_buffer>(buffers);
                return stream.try_read(first.data(), first.size());
            },
            std::forward<Handler>(handler));
    }

    // Writes one TLS record at most. Several small buffers (a response
    // head's pieces, a head and its body) are gathered into one record
    // instead of a record each.
    template <class ConstBuffers, class Handler>
    auto async_write_some(const ConstBuffers& buffers, Handler&& handler) {
        return start<with_size>(
            [buffers](TlsStream& stream) {
                const auto first = first_buffer<boost::asio::const_buffer>(buffers);
                if (first.size() >= gather_limit ||
                    boost::asio::buffer_size(buffers) == first.size()) {
                    return stream.try_write(first.data(), first.size());
                }
                const auto gathered = boost::asio::buffer_copy(gather_buffer(), buffers);
                return stream.try_write(gather_buffer().data(), gathered);
            },
            std::forward<Handler>(handler));
    }

private:
    // What one try of an OpenSSL call came to: done (with an error or
    // not), or waiting for the socket to become readable or writable.
    enum class Want { nothing, read, write };
    struct Outcome {
        Want want = Want::nothing;
        boost::system::error_code ec;
        std::size_t bytes = 0;
    };

    // Pieces of a write smaller than this are gathered into one record:
    // TLS's largest record.
    static constexpr std::size_t gather_limit = 16384;

    // Whether an operation's handler takes the bytes transferred too.
    static constexpr bool with_size = true;
    static constexpr bool no_size = false;
    template <class Try, bool WithSize>
    class Operation;

    Outcome try_handshake();
    Outcome try_shutdown();
    Outcome try_read(void* data, std::size_t size);
    Outcome try_write(const void* data, std::size_t size);
    // Runs SSL_read_ex or SSL_write_ex (`call`, given where to put the
    // bytes it moved) for `size` bytes.
    template <class Call>
    Outcome try_transfer(std::size_t size, Call call);
    // The outcome of an OpenSSL call that returned `result`.
    Outcome outcome_of(int result, std::size_t bytes);

    // One per thread; OpenSSL tolerates a retried write whose data moved
    // (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER), as each retry gathers again.
    static boost::asio::mutable_buffer gather_buffer();

    // The first non-empty buffer of `buffers`, or an empty one.
    template <class Buffer, class Buffers>
    static Buffer first_buffer(const Buffers& buffers) {
        for (auto it = boost::asio::buffer_sequence_begin(buffers);
             it != boost::asio::buffer_sequence_end(buffers); ++it) {
            const Buffer buffer{*it};
            if (buffer.size() > 0) {
                return buffer;
            }
        }
        return Buffer{};
    }

    template <bool WithSize, class Try, class Handler>
    auto start(Try attempt, Handler&& handler) {
        using signature = std::conditional_t<WithSize, void(boost::system::error_code, std::size_t),
                                             void(boost::system::error_code)>;
        return boost::asio::async_compose<Handler, signature>(
            Operation<Try, WithSize>{*this, std::move(attempt)}, handler, socket_);
    }

    struct SslFree {
        void operator()(SSL* ssl) const { SSL_free(ssl); }
    };

    socket_type socket_;
    // Declared before ssl_, so the SSL object goes first.
    std::shared_ptr<boost::asio::ssl::context> context_;
    std::unique_ptr<SSL, SslFree> ssl_;
};

// Tries the OpenSSL call; waits for the socket when OpenSSL asks to, and
// tries again; completes with the outcome. A try that finishes at once
// completes through a post, never inside the initiating call. The socket is
// checked before every try: a closed socket's file descriptor number may
// already belong to another connection.
template <class Try, bool WithSize>
class TlsStream::Operation {
public:
    Operation(TlsStream& stream, Try attempt) : stream_{&stream}, try_{std::move(attempt)} {}

    template <class Self>
    void operator()(Self& self, boost::system::error_code wait_error = {}) {
        if (posted_) {
            finish(self);
            return;
        }
        if (wait_error) {
            outcome_ = Outcome{Want::nothing, wait_error, 0};
            finish(self);
            return;
        }
        if (!stream_->socket_.is_open()) {
            outcome_ = Outcome{Want::nothing, boost::asio::error::bad_descriptor, 0};
        } else {
            outcome_ = try_(*stream_);
        }
        switch (outcome_.want) {
        case Want::read:
            waited_ = true;
            stream_->socket_.async_wait(socket_type::wait_read, std::move(self));
            return;
        case Want::write:
            waited_ = true;
            stream_->socket_.async_wait(socket_type::wait_write, std::move(self));
            return;
        case Want::nothing:
            break;
        }
        if (!waited_) {
            posted_ = true;
            // To the socket's executor, from where the handler's own (if it
            // has one) takes over: a plain post(self) would pick the system
            // executor for a handler without one.
            boost::asio::post(stream_->socket_.get_executor(), std::move(self));
            return;
        }
        finish(self);
    }

private:
    template <class Self>
    void finish(Self& self) {
        if constexpr (WithSize) {
            self.complete(outcome_.ec, outcome_.bytes);
        } else {
            self.complete(outcome_.ec);
        }
    }

    TlsStream* stream_;
    Try try_;
    Outcome outcome_;
    bool waited_ = false;
    bool posted_ = false;
};

}  // namespace turnout::server

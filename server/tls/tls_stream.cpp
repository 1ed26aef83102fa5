#include "server/tls/tls_stream.hpp"

#include <boost/asio/ssl/error.hpp>
#include <openssl/err.h>

#include <array>
#include <cerrno>
#include <new>

namespace turnout::server {

namespace asio = boost::asio;
using error_code = boost::system::error_code;

TlsStream::TlsStream(socket_type socket, std::shared_ptr<asio::ssl::context> context)
    : socket_{std::move(socket)}, context_{std::move(context)}, ssl_{SSL_new(
                                                                    context_->native_handle())} {
    if (!ssl_ || SSL_set_fd(ssl_.get(), static_cast<int>(socket_.native_handle())) != 1) {
        throw std::bad_alloc{};
    }
    // OpenSSL reads and writes the descriptor itself and must never block
    // the worker; Asio makes a socket non-blocking only for its own reads.
    error_code ignored;
    socket_.non_blocking(true, ignored);
    // Partial writes and a moving buffer let a write end after one record
    // and be retried from another buffer holding the same bytes (see
    // async_write_some); read-ahead takes a whole record, or several, in
    // one read() instead of a header read and a body read.
    SSL_set_mode(ssl_.get(), SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                                 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_set_read_ahead(ssl_.get(), 1);
}

bool TlsStream::has_buffered_input() const {
    return SSL_has_pending(ssl_.get()) == 1;
}

TlsStream::Outcome TlsStream::try_handshake() {
    ERR_clear_error();
    errno = 0;
    return outcome_of(SSL_do_handshake(ssl_.get()), 0);
}

// The first SSL_shutdown sends close_notify, the second waits for the
// peer's, as Asio's SSL stream does.
TlsStream::Outcome TlsStream::try_shutdown() {
    ERR_clear_error();
    errno = 0;
    int result = SSL_shutdown(ssl_.get());
    if (result == 0) {
        result = SSL_shutdown(ssl_.get());
    }
    if (result == 1) {
        return Outcome{};
    }
    return outcome_of(result, 0);
}

TlsStream::Outcome TlsStream::try_read(void* data, std::size_t size) {
    return try_transfer(
        size, [&](std::size_t& read) { return SSL_read_ex(ssl_.get(), data, size, &read); });
}

TlsStream::Outcome TlsStream::try_write(const void* data, std::size_t size) {
    return try_transfer(
        size, [&](std::size_t& written) { return SSL_write_ex(ssl_.get(), data, size, &written); });
}

// An empty transfer completes at once, as on an Asio socket.
template <class Call>
TlsStream::Outcome TlsStream::try_transfer(std::size_t size, Call call) {
    if (size == 0) {
        return Outcome{};
    }
    ERR_clear_error();
    errno = 0;
    std::size_t transferred = 0;
    const int result = call(transferred);
    return outcome_of(result, transferred);
}

// Maps OpenSSL's verdict to what Asio's SSL stream reported for the same
// event, so the handshake failure log, the upstream failure reasons and
// every "the peer left" check read it unchanged.
TlsStream::Outcome TlsStream::outcome_of(int result, std::size_t bytes) {
    const int system_error = errno;
    switch (SSL_get_error(ssl_.get(), result)) {
    case SSL_ERROR_NONE:
        return Outcome{Want::nothing, {}, bytes};
    case SSL_ERROR_WANT_READ:
        return Outcome{Want::read, {}, 0};
    case SSL_ERROR_WANT_WRITE:
        return Outcome{Want::write, {}, 0};
    case SSL_ERROR_ZERO_RETURN:  // the peer's close_notify
        return Outcome{Want::nothing, asio::error::eof, 0};
    case SSL_ERROR_SYSCALL:
        if (ERR_peek_error() == 0) {
            // A reset or broken pipe, named by errno; without one, the
            // peer closed TCP mid-record.
            return Outcome{Want::nothing,
                           system_error != 0
                               ? error_code{system_error, boost::system::system_category()}
                               : error_code{asio::ssl::error::stream_truncated},
                           0};
        }
        [[fallthrough]];
    case SSL_ERROR_SSL: {
        const unsigned long code = ERR_get_error();
        ERR_clear_error();
        // OpenSSL 3 reports a TCP close without close_notify as an error.
        if (ERR_GET_LIB(code) == ERR_LIB_SSL &&
            ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
            return Outcome{Want::nothing, asio::ssl::error::stream_truncated, 0};
        }
        return Outcome{Want::nothing,
                       error_code{static_cast<int>(code), asio::error::get_ssl_category()}, 0};
    }
    default:
        return Outcome{Want::nothing, asio::ssl::error::unexpected_result, 0};
    }
}

asio::mutable_buffer TlsStream::gather_buffer() {
    thread_local std::array<unsigned char, gather_limit> buffer;
    return asio::buffer(buffer);
}

}  // namespace turnout::server

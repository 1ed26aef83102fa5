#pragma once

// The connection to one etcd member: plain TCP for http:// endpoints, TLS
// over it for https:// ones (server verified against the source's `ca` and
// its host name; the client certificate sent when given). The calls and
// the watch are written once over either (`Stream` below).

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <memory>
#include <optional>
#include <string>
#include <type_traits>

namespace turnout::master::etcd {

using PlainStream = boost::beast::tcp_stream;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

// What a client needs for https endpoints: the CA to trust (the system's
// when none) and an optional client certificate. Throws
// std::invalid_argument naming a file that does not load.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const std::optional<std::string>& ca,
                                                            const std::optional<std::string>& cert,
                                                            const std::optional<std::string>& key);

template <typename Stream>
constexpr bool is_tls = std::is_same_v<Stream, TlsStream>;

template <typename Stream>
Stream make_stream(boost::asio::io_context& io, boost::asio::ssl::context* tls) {
    if constexpr (is_tls<Stream>) {
        return Stream{io, *tls};
    } else {
        return Stream{io};
    }
}

// After the TCP connect: the TLS handshake (SNI and host name checked) for
// a TLS stream, nothing for a plain one; then `then(error)`.
template <typename Stream, typename Then>
void secure(Stream& stream, const std::string& host, Then then) {
    if constexpr (is_tls<Stream>) {
        SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());
        stream.set_verify_callback(boost::asio::ssl::host_name_verification(host));
        stream.async_handshake(boost::asio::ssl::stream_base::client, std::move(then));
    } else {
        then(boost::system::error_code{});
    }
}

}  // namespace turnout::master::etcd

#pragma once

// TLS termination for one listener (SPEC §5): one OpenSSL context per
// certificate, all with the same settings — TLS 1.2 and 1.3 from
// `min_version` up, ALPN h2 (with http2) and http/1.1, stateless session tickets under keys the
// workers share. A connection starts on the first certificate's context;
// the SNI callback moves it to the certificate whose names match.

#include "server/tls/sni_table.hpp"
#include "server/tls/tls_material.hpp"

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace turnout::server {

class TlsServerContext : public std::enable_shared_from_this<TlsServerContext> {
public:
    // OpenSSL's ticket key block: 16 bytes key name, 32 HMAC, 32 AES.
    static constexpr std::size_t ticket_keys_size = 80;

    // Builds the contexts from PEM text. nullptr when a certificate or key
    // does not load or a key does not match its certificate; `error` then
    // says which file and why. `ticket_keys`: ticket_keys_size bytes, or
    // empty to let OpenSSL make its own.
    static std::shared_ptr<TlsServerContext> create(const ListenerTlsMaterial& material,
                                                    std::string_view ticket_keys,
                                                    std::string& error);

    // The context a new connection starts on. It shares ownership of this
    // whole object, whose SNI table the handshake's callback reads: a
    // connection keeps it alive while a reload replaces it.
    std::shared_ptr<boost::asio::ssl::context> handshake_context();

private:
    TlsServerContext() = default;

    static int on_server_name(SSL* ssl, int* alert, void* self);

    std::vector<std::unique_ptr<boost::asio::ssl::context>> contexts_;
    SniTable sni_;
};

// The DNS names a certificate is for: its subjectAltName DNS entries, or its
// subject's common name when it has none.
std::vector<std::string> certificate_names(X509* certificate);

}  // namespace turnout::server

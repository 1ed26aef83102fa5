#pragma once

// TLS from turnout to an upstream's targets (SPEC §3 upstream `tls`): the
// target's certificate is verified against `ca` (or the system store) and
// against a name — `sni` when set, else the target's IP address — unless
// `verify: false`.

#include "config/config.hpp"

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>

#include <memory>
#include <string>

namespace turnout::server {

// The client context for one upstream: TLS 1.2 and up, ALPN http/1.1,
// verification as configured. nullptr when the CA file does not load;
// `error` then names it.
std::shared_ptr<boost::asio::ssl::context> make_upstream_tls_context(const config::UpstreamTls& tls,
                                                                     std::string& error);

// Sets up one connection before its handshake: SNI (only a name, never an
// IP address, RFC 6066) and the name or address the certificate must carry.
void prepare_upstream_tls(SSL* ssl, const config::UpstreamTls& tls, const config::Address& target);

// Why a handshake failed, in words: the certificate check's verdict when
// that was it ("certificate verify failed: hostname mismatch").
std::string upstream_tls_failure(SSL* ssl, boost::system::error_code ec);

}  // namespace turnout::server

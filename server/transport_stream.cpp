#include "server/transport_stream.hpp"

#include <openssl/bio.h>
#include <openssl/ssl.h>

namespace turnout::server {

bool TransportStream::has_buffered_input() {
    if (!tls_) {
        return false;
    }
    SSL* ssl = tls_->native_handle();
    // SSL_has_pending covers records OpenSSL read but the caller did not;
    // the read BIO holds what Asio passed in that OpenSSL has not read yet.
    return SSL_has_pending(ssl) == 1 || BIO_pending(SSL_get_rbio(ssl)) > 0;
}

}  // namespace turnout::server

#include "server/upstream/upstream_tls.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace turnout::server {

namespace ssl = boost::asio::ssl;

namespace {

constexpr unsigned char alpn_http11[] = "\x08http/1.1";

}  // namespace

std::shared_ptr<ssl::context> make_upstream_tls_context(const config::UpstreamTls& tls,
                                                        std::string& error) {
    auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
    SSL_CTX* native = context->native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    SSL_CTX_set_alpn_protos(native, alpn_http11, sizeof(alpn_http11) - 1);
    SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
    if (!tls.verify) {
        context->set_verify_mode(ssl::verify_none);
        return context;
    }
    context->set_verify_mode(ssl::verify_peer);
    boost::system::error_code ec;
    if (tls.ca.empty()) {
        context->set_default_verify_paths(ec);
    } else {
        context->load_verify_file(tls.ca, ec);
    }
    if (ec) {
        error = tls.ca.empty() ? "the system's CA store does not load: " + ec.message()
                               : "CA file " + tls.ca + " does not load: " + ec.message() +
                                     " (it must hold PEM certificates)";
        return nullptr;
    }
    return context;
}

void prepare_upstream_tls(SSL* ssl, const config::UpstreamTls& tls, const config::Address& target) {
    if (!tls.sni.empty()) {
        SSL_set_tlsext_host_name(ssl, tls.sni.c_str());
    }
    if (!tls.verify) {
        return;
    }
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (!tls.sni.empty()) {
        X509_VERIFY_PARAM_set1_host(param, tls.sni.c_str(), tls.sni.size());
    } else {
        const auto ip = target.endpoint.address().to_string();
        X509_VERIFY_PARAM_set1_ip_asc(param, ip.c_str());
    }
}

std::string upstream_tls_failure(SSL* ssl, boost::system::error_code ec) {
    const long verdict = SSL_get_verify_result(ssl);
    if (verdict != X509_V_OK) {
        return ec.message() + ": " + X509_verify_cert_error_string(verdict);
    }
    return ec.message();
}

}  // namespace turnout::server

#include "server/tls/tls_server_context.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace turnout::server {

namespace ssl = boost::asio::ssl;

namespace {

constexpr unsigned char alpn_http11[] = "\x08http/1.1";
// Our preference first: SSL_select_next_proto walks the server's list.
constexpr unsigned char alpn_h2_http11[] = "\x02h2\x08http/1.1";
constexpr std::string_view session_id_context = "turnout";

// ALPN: h2 when the listener has http2 and the client offers it, else
// http/1.1, else nothing. A client offering only other protocols gets the
// no_application_protocol alert RFC 7301 asks for, not a connection
// speaking something it did not offer. `http2` is a non-null pointer for
// a listener with http2, so no state outlives the context.
int select_alpn(SSL*, const unsigned char** out, unsigned char* out_size, const unsigned char* in,
                unsigned int in_size, void* http2) {
    unsigned char* selected = nullptr;
    unsigned char selected_size = 0;
    const bool offer_h2 = http2 != nullptr;
    const unsigned char* ours = offer_h2 ? alpn_h2_http11 : alpn_http11;
    const unsigned int ours_size = offer_h2 ? sizeof(alpn_h2_http11) - 1 : sizeof(alpn_http11) - 1;
    if (SSL_select_next_proto(&selected, &selected_size, ours, ours_size, in, in_size) !=
        OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    *out = selected;
    *out_size = selected_size;
    return SSL_TLSEXT_ERR_OK;
}

std::string asn1_text(const ASN1_STRING* text) {
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                       static_cast<std::size_t>(ASN1_STRING_length(text)));
}

// One context with every setting but the certificate; nullptr on failure.
std::unique_ptr<ssl::context> make_context(const ListenerTlsMaterial& material,
                                           std::string_view ticket_keys) {
    auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
    SSL_CTX* native = context->native_handle();
    const int min_version = material.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
    SSL_CTX_set_min_proto_version(native, min_version);
    // Client-initiated renegotiation costs the server a handshake for a few
    // bytes from the client: a cheap denial of service, and no client needs it.
    SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                    SSL_OP_NO_COMPRESSION);
    // Idle keep-alive connections give their read and write buffers back.
    SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_alpn_select_cb(
        native, select_alpn, material.http2 ? const_cast<unsigned char*>(alpn_h2_http11) : nullptr);
    // Resumption is by tickets only: a ticket decrypts on any worker, a
    // session cache would live in one.
    SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_session_id_context(
        native, reinterpret_cast<const unsigned char*>(session_id_context.data()),
        session_id_context.size());
    if (ticket_keys.size() == TlsServerContext::ticket_keys_size) {
        std::string keys{ticket_keys};
        SSL_CTX_set_tlsext_ticket_keys(native, keys.data(), static_cast<long>(keys.size()));
    }
    return context;
}

// Loads one certificate and its key into `context`; an error names the file.
// The key goes first: a certificate loaded after a key that does not match
// it drops the key (checked below), where a key loaded after the
// certificate would fail with a message that names neither file's role.
bool load_certificate(ssl::context& context, const CertificatePem& pem, std::string& error) {
    boost::system::error_code ec;
    context.use_private_key(boost::asio::buffer(pem.key), ssl::context::pem, ec);
    if (ec) {
        error = "key " + pem.key_path + " does not load: " + ec.message() +
                " (it must be an unencrypted PEM private key)";
        return false;
    }
    context.use_certificate_chain(boost::asio::buffer(pem.cert), ec);
    if (ec) {
        error = "certificate " + pem.cert_path + " does not load: " + ec.message() +
                " (it must be a PEM certificate, then its chain)";
        return false;
    }
    if (SSL_CTX_check_private_key(context.native_handle()) != 1) {
        error = "key " + pem.key_path + " does not match certificate " + pem.cert_path;
        return false;
    }
    return true;
}

}  // namespace

std::vector<std::string> certificate_names(X509* certificate) {
    std::vector<std::string> names;
    auto* alt_names = static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
    if (alt_names) {
        for (int i = 0; i < sk_GENERAL_NAME_num(alt_names); ++i) {
            const GENERAL_NAME* name = sk_GENERAL_NAME_value(alt_names, i);
            if (name->type == GEN_DNS) {
                names.push_back(asn1_text(name->d.dNSName));
            }
        }
        GENERAL_NAMES_free(alt_names);
    }
    if (!names.empty()) {
        return names;
    }
    X509_NAME* subject = X509_get_subject_name(certificate);
    const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (index >= 0) {
        names.push_back(asn1_text(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index))));
    }
    return names;
}

std::shared_ptr<TlsServerContext> TlsServerContext::create(const ListenerTlsMaterial& material,
                                                           std::string_view ticket_keys,
                                                           std::string& error) {
    std::shared_ptr<TlsServerContext> self{new TlsServerContext};
    for (const auto& pem : material.certificates) {
        auto context = make_context(material, ticket_keys);
        if (!load_certificate(*context, pem, error)) {
            return nullptr;
        }
        const std::size_t index = self->contexts_.size();
        for (const auto& name :
             certificate_names(SSL_CTX_get0_certificate(context->native_handle()))) {
            self->sni_.add(index, name);
        }
        self->contexts_.push_back(std::move(context));
    }
    if (self->contexts_.empty()) {
        error = "a TLS listener needs at least one certificate";
        return nullptr;
    }
    SSL_CTX* first = self->contexts_.front()->native_handle();
    SSL_CTX_set_tlsext_servername_callback(first, on_server_name);
    SSL_CTX_set_tlsext_servername_arg(first, self.get());
    return self;
}

std::shared_ptr<ssl::context> TlsServerContext::handshake_context() {
    return {shared_from_this(), contexts_.front().get()};
}

// Runs inside the handshake, on the first certificate's context. An unknown
// or absent name keeps that default certificate rather than failing: what
// a client does with a certificate for another name is the client's call.
int TlsServerContext::on_server_name(SSL* ssl, int*, void* arg) {
    const auto* self = static_cast<const TlsServerContext*>(arg);
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (name == nullptr) {
        return SSL_TLSEXT_ERR_NOACK;
    }
    const std::size_t index = self->sni_.pick(name);
    if (index != 0) {
        SSL_set_SSL_CTX(ssl, self->contexts_[index]->native_handle());
    }
    return SSL_TLSEXT_ERR_OK;
}

}  // namespace turnout::server

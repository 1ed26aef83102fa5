#include "server/tls/tls_server_context.hpp"

#include "tests/unit/server/tls/test_certificates.hpp"

#include <catch2/catch.hpp>
#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <vector>

using turnout::server::CertificatePem;
using turnout::server::ListenerTlsMaterial;
using turnout::server::TlsServerContext;
using turnout::test::make_certificate;

namespace {

CertificatePem pem_for(const std::string& name, const turnout::test::TestCertificate& made) {
    return CertificatePem{"/certs/" + name + ".pem", "/certs/" + name + ".key", made.cert,
                          made.key};
}

ListenerTlsMaterial three_certificates(std::string min_version = "1.2") {
    return ListenerTlsMaterial{
        std::move(min_version),
        {pem_for("default", make_certificate("default.test")),
         pem_for("a", make_certificate("a", {"a.example.com", "www.a.example.com"})),
         pem_for("wild", make_certificate("wild", {"*.example.org"}))}};
}

std::shared_ptr<TlsServerContext> create(const ListenerTlsMaterial& material,
                                         const std::string& ticket_keys = {}) {
    std::string error;
    auto context = TlsServerContext::create(material, ticket_keys, error);
    INFO(error);
    REQUIRE(context);
    return context;
}

struct ClientOptions {
    std::string server_name;  // empty: no SNI
    std::string alpn = std::string("\x08http/1.1", 9);
    int max_version = 0;
    SSL_SESSION* resume = nullptr;
};

struct Handshake {
    bool ok = false;
    std::string certificate;  // the first name of the certificate the client got
    std::string alpn;
    bool reused = false;
    SSL_SESSION* session = nullptr;  // owned by the caller
};

// A whole handshake between an OpenSSL client and `server`, in memory.
Handshake handshake(TlsServerContext& server, const ClientOptions& options) {
    auto server_context = server.handshake_context();
    SSL_CTX* client_context = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(client_context, SSL_VERIFY_NONE, nullptr);
    if (options.max_version != 0) {
        SSL_CTX_set_max_proto_version(client_context, options.max_version);
    }
    SSL* client = SSL_new(client_context);
    SSL* accepted = SSL_new(server_context->native_handle());
    if (!options.server_name.empty()) {
        SSL_set_tlsext_host_name(client, options.server_name.c_str());
    }
    SSL_set_alpn_protos(client, reinterpret_cast<const unsigned char*>(options.alpn.data()),
                        static_cast<unsigned>(options.alpn.size()));
    if (options.resume != nullptr) {
        SSL_set_session(client, options.resume);
    }
    BIO* client_bio = nullptr;
    BIO* server_bio = nullptr;
    BIO_new_bio_pair(&client_bio, 0, &server_bio, 0);
    SSL_set_bio(client, client_bio, client_bio);
    SSL_set_bio(accepted, server_bio, server_bio);
    SSL_set_connect_state(client);
    SSL_set_accept_state(accepted);

    Handshake result;
    for (int round = 0; round < 20 && !result.ok; ++round) {
        const int client_done = SSL_do_handshake(client);
        const int server_done = SSL_do_handshake(accepted);
        const auto stuck = [](SSL* ssl, int rc) {
            const int error = SSL_get_error(ssl, rc);
            return rc != 1 && error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE;
        };
        if (stuck(client, client_done) || stuck(accepted, server_done)) {
            break;
        }
        result.ok = client_done == 1 && server_done == 1;
    }
    if (result.ok) {
        auto names = turnout::server::certificate_names(SSL_get0_peer_certificate(client));
        result.certificate = names.empty() ? "" : names.front();
        const unsigned char* protocol = nullptr;
        unsigned size = 0;
        SSL_get0_alpn_selected(client, &protocol, &size);
        result.alpn.assign(reinterpret_cast<const char*>(protocol), size);
        result.reused = SSL_session_reused(client) == 1;
        result.session = SSL_get1_session(client);
        SSL_shutdown(client);  // a session freed without close_notify is not resumable
    }
    SSL_free(client);
    SSL_free(accepted);
    SSL_CTX_free(client_context);
    return result;
}

Handshake handshake_for(TlsServerContext& server, std::string server_name) {
    ClientOptions options;
    options.server_name = std::move(server_name);
    auto result = handshake(server, options);
    SSL_SESSION_free(result.session);
    return result;
}

}  // namespace

TEST_CASE("A TLS listener serves the certificate the client's SNI names", "[tls]") {
    auto context = create(three_certificates());
    CHECK(handshake_for(*context, "a.example.com").certificate == "a.example.com");
    CHECK(handshake_for(*context, "WWW.A.example.com").certificate == "a.example.com");
    CHECK(handshake_for(*context, "shop.example.org").certificate == "*.example.org");
    SECTION("the first certificate without SNI or for an unknown name") {
        CHECK(handshake_for(*context, "").certificate == "default.test");
        CHECK(handshake_for(*context, "unknown.test").certificate == "default.test");
        CHECK(handshake_for(*context, "deep.shop.example.org").certificate == "default.test");
    }
}

TEST_CASE("A certificate's names are its DNS alt names, else its common name", "[tls]") {
    auto names_of = [](const turnout::test::TestCertificate& made) {
        BIO* bio = BIO_new_mem_buf(made.cert.data(), static_cast<int>(made.cert.size()));
        X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
        auto names = turnout::server::certificate_names(cert);
        X509_free(cert);
        BIO_free(bio);
        return names;
    };
    using Names = std::vector<std::string>;
    CHECK(names_of(make_certificate("default.test")) == Names{"default.test"});
    CHECK(names_of(make_certificate("a", {"a.example.com", "www.a.example.com"})) ==
          Names{"a.example.com", "www.a.example.com"});
    CHECK(names_of(make_certificate("wild", {"*.example.org"})) == Names{"*.example.org"});
}

TEST_CASE("A TLS listener negotiates http/1.1 and refuses clients without it", "[tls]") {
    auto context = create(three_certificates());
    ClientOptions options;
    options.alpn = std::string("\x02h2\x08http/1.1", 12);
    auto both = handshake(*context, options);
    SSL_SESSION_free(both.session);
    CHECK(both.ok);
    CHECK(both.alpn == "http/1.1");
    options.alpn = std::string("\x02h2", 3);
    CHECK_FALSE(handshake(*context, options).ok);
}

TEST_CASE("min_version 1.3 refuses a TLS 1.2 client; 1.2 accepts it", "[tls]") {
    ClientOptions options;
    options.max_version = TLS1_2_VERSION;
    auto strict = create(three_certificates("1.3"));
    CHECK_FALSE(handshake(*strict, options).ok);
    auto relaxed = create(three_certificates("1.2"));
    auto accepted = handshake(*relaxed, options);
    SSL_SESSION_free(accepted.session);
    CHECK(accepted.ok);
}

TEST_CASE("Contexts sharing ticket keys resume each other's sessions", "[tls]") {
    const std::string keys(TlsServerContext::ticket_keys_size, 'k');
    const auto material = three_certificates();
    auto first_worker = create(material, keys);
    auto second_worker = create(material, keys);
    auto stranger = create(material, std::string(TlsServerContext::ticket_keys_size, 'x'));

    ClientOptions options;
    options.max_version = TLS1_2_VERSION;  // the ticket arrives within the handshake
    auto first = handshake(*first_worker, options);
    REQUIRE(first.ok);
    REQUIRE(first.session != nullptr);
    options.resume = first.session;
    auto resumed = handshake(*second_worker, options);
    auto refused = handshake(*stranger, options);
    CHECK(resumed.ok);
    CHECK(resumed.reused);
    CHECK(refused.ok);
    CHECK_FALSE(refused.reused);
    SSL_SESSION_free(first.session);
    SSL_SESSION_free(resumed.session);
    SSL_SESSION_free(refused.session);
}

TEST_CASE("Certificates that do not load are refused with their path", "[tls]") {
    const auto good = make_certificate("good.test");
    const auto other = make_certificate("other.test");
    std::string error;
    SECTION("a certificate that is not PEM") {
        ListenerTlsMaterial material{"1.2",
                                     {{"/certs/bad.pem", "/certs/good.key", "junk", good.key}}};
        CHECK_FALSE(TlsServerContext::create(material, {}, error));
        CHECK_THAT(error, Catch::Contains("certificate /certs/bad.pem does not load"));
    }
    SECTION("a key that is not PEM") {
        ListenerTlsMaterial material{"1.2",
                                     {{"/certs/good.pem", "/certs/bad.key", good.cert, "junk"}}};
        CHECK_FALSE(TlsServerContext::create(material, {}, error));
        CHECK_THAT(error, Catch::Contains("key /certs/bad.key does not load"));
    }
    SECTION("a key of another certificate") {
        ListenerTlsMaterial material{
            "1.2", {{"/certs/good.pem", "/certs/other.key", good.cert, other.key}}};
        CHECK_FALSE(TlsServerContext::create(material, {}, error));
        CHECK_THAT(error, Catch::Contains("key /certs/other.key does not match certificate "
                                          "/certs/good.pem"));
    }
    SECTION("a later certificate failing fails the whole listener") {
        ListenerTlsMaterial material{"1.2",
                                     {{"/certs/good.pem", "/certs/good.key", good.cert, good.key},
                                      {"/certs/empty.pem", "/certs/good.key", "", good.key}}};
        CHECK_FALSE(TlsServerContext::create(material, {}, error));
        CHECK_THAT(error, Catch::Contains("/certs/empty.pem"));
    }
}

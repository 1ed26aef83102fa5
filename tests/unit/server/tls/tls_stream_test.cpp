#include "server/tls/tls_stream.hpp"

#include "tests/support/loopback_connection.hpp"
#include "tests/unit/server/tls/test_certificates.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <openssl/ssl.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using turnout::server::TlsStream;

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using boost::asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

// Only a guard against a hang: unit.memcheck runs these under valgrind,
// where the key-update case's 32 MiB took over 10 s while the machine
// also built a fresh clone.
constexpr auto run_limit = std::chrono::seconds{60};

std::shared_ptr<ssl::context> server_context() {
    static const auto certificate = turnout::test::make_certificate("tls-stream.test");
    auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
    context->use_certificate_chain(asio::buffer(certificate.cert));
    context->use_private_key(asio::buffer(certificate.key), ssl::context::pem);
    return context;
}

std::shared_ptr<ssl::context> client_context() {
    auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
    context->set_verify_mode(ssl::verify_none);
    return context;
}

// A server and a client TlsStream on the two ends of a loopback TCP
// connection, both run by one io_context, as in a worker.
struct TlsPair {
    TlsPair() {
        // A write to a peer that left must fail with EPIPE, not end the test.
        std::signal(SIGPIPE, SIG_IGN);
        auto ends = turnout::test::loopback_connection<TlsStream::socket_type>(io);
        server.emplace(std::move(ends.server), server_tls);
        client.emplace(std::move(ends.client), client_tls);
    }

    // Both handshakes, to completion.
    void handshake() {
        std::optional<error_code> server_result;
        std::optional<error_code> client_result;
        server->async_handshake(TlsStream::handshake_type::server,
                                [&](error_code ec) { server_result = ec; });
        client->async_handshake(TlsStream::handshake_type::client,
                                [&](error_code ec) { client_result = ec; });
        run();
        REQUIRE(server_result == error_code{});
        REQUIRE(client_result == error_code{});
    }

    // Starts a one-byte read on the server side; `result` gets its error.
    void read_one_byte(std::optional<error_code>& result) {
        server->async_read_some(asio::buffer(&byte_read, 1),
                                [&result](error_code ec, std::size_t) { result = ec; });
    }

    void run() {
        io.restart();
        io.run_for(run_limit);
    }

    asio::io_context io;
    std::shared_ptr<ssl::context> server_tls = server_context();
    std::shared_ptr<ssl::context> client_tls = client_context();
    std::optional<TlsStream> server;
    std::optional<TlsStream> client;
    char byte_read = 0;
};

std::string pattern(std::size_t size, unsigned seed) {
    std::string out(size, '\0');
    for (std::size_t i = 0; i < size; ++i) {
        out[i] = static_cast<char>((i * 131 + seed) % 251);
    }
    return out;
}

// Starts reading `wanted` bytes into `into`; `result` gets the error the
// read ended with (none when all arrived).
void read_all(TlsStream& stream, std::string& into, std::size_t wanted,
              std::optional<error_code>& result) {
    into.resize(wanted);
    asio::async_read(stream, asio::buffer(into),
                     [&result](error_code ec, std::size_t) { result = ec; });
}

}  // namespace

TEST_CASE("TlsStream carries bytes both ways after a handshake", "[tls_stream]") {
    TlsPair pair;
    pair.handshake();
    const std::string request = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    std::string received;
    std::optional<error_code> read_result;
    std::optional<error_code> write_result;
    read_all(*pair.server, received, request.size(), read_result);
    asio::async_write(*pair.client, asio::buffer(request),
                      [&](error_code ec, std::size_t) { write_result = ec; });
    pair.run();
    REQUIRE(write_result == error_code{});
    REQUIRE(read_result == error_code{});
    CHECK(received == request);
}

TEST_CASE("TlsStream never completes inside the initiating call", "[tls_stream]") {
    TlsPair pair;
    pair.handshake();
    bool initiated = false;
    bool completed_inline = false;
    std::optional<error_code> result;
    const std::string bytes = "x";
    pair.client->async_write_some(asio::buffer(bytes), [&](error_code ec, std::size_t) {
        completed_inline = !initiated;
        result = ec;
    });
    initiated = true;
    pair.run();
    REQUIRE(result == error_code{});
    CHECK_FALSE(completed_inline);
}

TEST_CASE("TlsStream gathers small buffers into one record", "[tls_stream]") {
    TlsPair pair;
    pair.handshake();
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
    const std::string body = "hello";
    const std::vector<asio::const_buffer> pieces{asio::buffer(head), asio::buffer(body)};
    std::optional<std::size_t> written;
    pair.server->async_write_some(pieces, [&](error_code ec, std::size_t n) {
        REQUIRE_FALSE(ec);
        written = n;
    });
    pair.run();
    REQUIRE(written.has_value());
    REQUIRE(*written == head.size() + body.size());
    std::string received(64, '\0');
    std::optional<std::size_t> read;
    pair.client->async_read_some(asio::buffer(received), [&](error_code ec, std::size_t n) {
        REQUIRE_FALSE(ec);
        read = n;
    });
    pair.run();
    REQUIRE(read == head.size() + body.size());
    CHECK(received.substr(0, *read) == head + body);
}

TEST_CASE("TlsStream writes more than the socket takes at once", "[tls_stream]") {
    TlsPair pair;
    pair.handshake();
    // Far beyond the loopback socket buffers: the writer waits for
    // writability between records, the reader for readability.
    const std::string sent = pattern(8 << 20, 7);
    std::string received;
    std::optional<error_code> read_result;
    std::optional<error_code> write_result;
    asio::async_write(*pair.server, asio::buffer(sent),
                      [&](error_code ec, std::size_t) { write_result = ec; });
    read_all(*pair.client, received, sent.size(), read_result);
    pair.run();
    REQUIRE(write_result == error_code{});
    REQUIRE(read_result == error_code{});
    CHECK(received.size() == sent.size());
    CHECK((received == sent));
}

TEST_CASE("TlsStream reads and writes at the same time", "[tls_stream]") {
    TlsPair pair;
    pair.handshake();
    const std::string from_server = pattern(4 << 20, 1);
    const std::string from_client = pattern(4 << 20, 2);
    std::string at_client;
    std::string at_server;
    std::optional<error_code> results[4];
    // Each side writes all its bytes while reading the other's: neither
    // side's write can finish unless its read runs alongside.
    asio::async_write(*pair.server, asio::buffer(from_server),
                      [&](error_code ec, std::size_t) { results[0] = ec; });
    asio::async_write(*pair.client, asio::buffer(from_client),
                      [&](error_code ec, std::size_t) { results[1] = ec; });
    read_all(*pair.client, at_client, from_server.size(), results[2]);
    read_all(*pair.server, at_server, from_client.size(), results[3]);
    pair.run();
    for (const auto& result : results) {
        REQUIRE(result == error_code{});
    }
    CHECK((at_client == from_server));
    CHECK((at_server == from_client));
}

TEST_CASE("TlsStream reports close_notify as eof", "[tls_stream]") {
    TlsPair pair;
    pair.handshake();
    std::optional<error_code> shutdown_result;
    std::optional<error_code> read_result;
    char byte;
    pair.server->async_read_some(asio::buffer(&byte, 1), [&](error_code ec, std::size_t) {
        read_result = ec;
        // Answers the close_notify, so the client's shutdown completes.
        pair.server->async_shutdown([](error_code) {});
    });
    pair.client->async_shutdown([&](error_code ec) { shutdown_result = ec; });
    pair.run();
    CHECK(read_result == error_code{asio::error::eof});
    CHECK(shutdown_result == error_code{});
}

TEST_CASE("TlsStream reports a TCP close without close_notify as stream_truncated",
          "[tls_stream]") {
    TlsPair pair;
    pair.handshake();
    std::optional<error_code> read_result;
    pair.read_one_byte(read_result);
    // A FIN, not a close: closing with the server's session tickets unread
    // would send a reset.
    pair.client->socket().shutdown(tcp::socket::shutdown_send);
    pair.run();
    REQUIRE(read_result.has_value());
    INFO(read_result->message());
    CHECK(*read_result == error_code{ssl::error::stream_truncated});
}

TEST_CASE("TlsStream reports a failed handshake in the SSL category", "[tls_stream]") {
    TlsPair pair;
    std::optional<error_code> server_result;
    pair.server->async_handshake(TlsStream::handshake_type::server,
                                 [&](error_code ec) { server_result = ec; });
    // Not a ClientHello: an HTTP request to a TLS port.
    const std::string plain = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    asio::write(pair.client->socket(), asio::buffer(plain));
    pair.run();
    REQUIRE(server_result.has_value());
    CHECK(server_result->category() == asio::error::get_ssl_category());
}

TEST_CASE("TlsStream completes a pending read with operation_aborted when cancelled or closed",
          "[tls_stream]") {
    TlsPair pair;
    pair.handshake();
    std::optional<error_code> read_result;
    pair.read_one_byte(read_result);
    SECTION("cancel") {
        asio::post(pair.io, [&] { pair.server->socket().cancel(); });
    }
    SECTION("close") {
        asio::post(pair.io, [&] { pair.server->socket().close(); });
    }
    pair.run();
    CHECK(read_result == error_code{asio::error::operation_aborted});
}

TEST_CASE("TlsStream holds no buffered input once a read took it all", "[tls_stream]") {
    TlsPair pair;
    pair.handshake();
    const std::string first = "one";
    const std::string second = "two";
    std::optional<error_code> write_result;
    asio::async_write(*pair.client, asio::buffer(first), [&](error_code ec, std::size_t) {
        // `ec` by value: this handler has returned when the next one runs.
        asio::async_write(
            *pair.client, asio::buffer(second),
            [&, ec](error_code next, std::size_t) { write_result = next ? next : ec; });
    });
    pair.run();
    REQUIRE(write_result == error_code{});
    char byte;
    std::optional<std::size_t> read;
    pair.server->async_read_some(asio::buffer(&byte, 1),
                                 [&](error_code, std::size_t n) { read = n; });
    pair.run();
    REQUIRE(read.has_value());
    REQUIRE(*read == 1u);
    CHECK(pair.server->has_buffered_input());
    std::string rest(16, '\0');
    std::size_t total = 1;
    while (total < first.size() + second.size()) {
        read.reset();
        pair.server->async_read_some(asio::buffer(rest),
                                     [&](error_code, std::size_t n) { read = n; });
        pair.run();
        REQUIRE(read.has_value());
        total += *read;
    }
    CHECK_FALSE(pair.server->has_buffered_input());
}

namespace {

// Counts the KeyUpdate messages an SSL object receives (an SSL message
// callback; TLS 1.3 hands it the decrypted handshake messages).
void count_key_updates(int write_p, int, int content_type, const void* message, std::size_t length,
                       SSL*, void* count) {
    if (write_p == 0 && content_type == SSL3_RT_HANDSHAKE && length > 0 &&
        static_cast<const unsigned char*>(message)[0] == SSL3_MT_KEY_UPDATE) {
        ++*static_cast<int*>(count);
    }
}

}  // namespace

// A client asks for a key update while the server's write is stuck half
// sent (the client reads nothing yet): OpenSSL must finish the pending
// record under the old keys, then send its own KeyUpdate, and both
// directions must carry on, intact, under the new keys.
TEST_CASE("TlsStream answers a key update that arrives while a write is half sent",
          "[tls_stream]") {
    TlsPair pair;
    pair.handshake();
    REQUIRE(SSL_version(pair.client->native_handle()) == TLS1_3_VERSION);
    int key_updates_at_client = 0;
    SSL_set_msg_callback(pair.client->native_handle(), count_key_updates);
    SSL_set_msg_callback_arg(pair.client->native_handle(), &key_updates_at_client);

    // Far more than the loopback socket buffers hold.
    const std::string from_server = pattern(32 << 20, 3);
    const std::string from_client = pattern(64 << 10, 4);
    std::string at_client;
    std::string at_server;
    std::optional<error_code> results[4];
    asio::async_write(*pair.server, asio::buffer(from_server),
                      [&](error_code ec, std::size_t) { results[0] = ec; });
    read_all(*pair.server, at_server, from_client.size(), results[1]);
    // Runs the server's write until it waits for the socket: nothing more
    // is ready once the client's receive buffer is full.
    pair.io.restart();
    while (pair.io.poll() > 0) {
    }
    REQUIRE_FALSE(results[0].has_value());

    REQUIRE(SSL_key_update(pair.client->native_handle(), SSL_KEY_UPDATE_REQUESTED) == 1);
    asio::async_write(*pair.client, asio::buffer(from_client),
                      [&](error_code ec, std::size_t) { results[2] = ec; });
    read_all(*pair.client, at_client, from_server.size(), results[3]);
    pair.run();
    for (const auto& result : results) {
        REQUIRE(result == error_code{});
    }
    CHECK((at_client == from_server));
    CHECK((at_server == from_client));
    CHECK(key_updates_at_client == 1);
}

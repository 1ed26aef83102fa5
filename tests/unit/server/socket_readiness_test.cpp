// Reads that remember they emptied the socket, and readiness waits that
// make no system call after such a read (server/socket_readiness.hpp), on
// real loopback sockets. What matters most is that nothing is missed: bytes
// that arrive after a read emptied the socket, whether an operation is
// pending or not, end the next wait, as do end of stream, a reset and a
// cancel.

#include "server/socket_readiness.hpp"
#include "tests/support/loopback_connection.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace readiness = turnout::server::readiness;
using turnout::test::loopback_connection;
using turnout::test::LoopbackConnection;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Socket = asio::basic_stream_socket<tcp, asio::io_context::executor_type>;
using boost::system::error_code;
using namespace std::chrono_literals;

namespace {

struct Connection {
    asio::io_context io;
    LoopbackConnection<Socket> ends = loopback_connection<Socket>(io);
    Socket& client = ends.client;
    Socket& server = ends.server;
    std::array<char, 64> buffer{};

    void send(std::string_view bytes) {
        asio::write(client, asio::buffer(bytes.data(), bytes.size()));
    }

    struct Read {
        error_code ec;
        std::size_t size = 0;
    };

    // One read of at most `room` bytes, run to its end.
    Read read(std::size_t room) {
        std::optional<Read> result;
        readiness::read_some(server, asio::buffer(buffer.data(), room),
                             [&](error_code ec, std::size_t size) {
                                 result = Read{ec, size};
                             });
        io.restart();
        io.run_for(5s);
        REQUIRE(result.has_value());
        return *result;
    }

    std::string text(const Read& read) const { return {buffer.data(), read.size}; }

    // Runs the loop for a while with nothing pending on the socket, so
    // the reactor takes whatever epoll reports (a loop with no work at all
    // would return at once without asking epoll).
    void let_reactor_take_events() {
        asio::steady_timer timer{io, 30ms};
        timer.async_wait([](error_code) {});
        io.restart();
        io.run();
    }

    // A wait started now; its result once it ends.
    std::optional<error_code> waited;
    void wait() {
        waited.reset();
        readiness::wait_readable(server, [this](error_code ec) { waited = ec; });
    }
    // Runs the loop until the wait ends or `limit` passes.
    void run_wait(std::chrono::milliseconds limit) {
        io.restart();
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (!waited && std::chrono::steady_clock::now() < deadline) {
            io.run_one_for(deadline - std::chrono::steady_clock::now());
        }
    }
};

}  // namespace

TEST_CASE("a read returns the bytes there, and waits for bytes when there are none", "[server]") {
    Connection c;
    c.send("hello");
    auto read = c.read(64);
    CHECK_FALSE(read.ec);
    CHECK(c.text(read) == "hello");

    std::optional<Connection::Read> later;
    readiness::read_some(c.server, asio::buffer(c.buffer), [&](error_code ec, std::size_t size) {
        later = Connection::Read{ec, size};
    });
    c.io.restart();
    c.io.poll();
    CHECK_FALSE(later.has_value());
    c.send("world");
    c.io.run_for(5s);
    REQUIRE(later.has_value());
    CHECK(c.text(*later) == "world");
}

TEST_CASE("after a read that emptied the socket, a wait ends when bytes come", "[server]") {
    Connection c;
    c.send("first");
    CHECK(c.text(c.read(64)) == "first");
    c.wait();
    c.run_wait(50ms);
    CHECK_FALSE(c.waited.has_value());
    c.send("second");
    c.run_wait(5s);
    REQUIRE(c.waited.has_value());
    CHECK_FALSE(*c.waited);
    CHECK(c.text(c.read(64)) == "second");
}

TEST_CASE("bytes that came while nothing was pending end the next wait", "[server]") {
    Connection c;
    c.send("first");
    CHECK(c.text(c.read(64)) == "first");
    // The reactor takes the bytes' edge with no operation queued.
    c.send("second");
    c.let_reactor_take_events();
    c.wait();
    c.run_wait(5s);
    REQUIRE(c.waited.has_value());
    CHECK_FALSE(*c.waited);
    CHECK(c.text(c.read(64)) == "second");
}

TEST_CASE("a read that filled its buffer leaves the rest to the next read", "[server]") {
    Connection c;
    c.send("0123456789");
    // The bytes' edge is taken before the read: only the read's own result
    // can tell the wait that bytes are left.
    c.let_reactor_take_events();
    CHECK(c.text(c.read(4)) == "0123");
    c.wait();
    c.run_wait(5s);
    REQUIRE(c.waited.has_value());
    CHECK(c.text(c.read(64)) == "456789");
}

TEST_CASE("a wait on a fresh connection ends only when bytes come", "[server]") {
    Connection c;
    c.wait();
    c.run_wait(50ms);
    CHECK_FALSE(c.waited.has_value());
    c.send("x");
    c.run_wait(5s);
    REQUIRE(c.waited.has_value());
    CHECK(c.text(c.read(64)) == "x");
}

TEST_CASE("end of stream ends a wait, and the read says eof", "[server]") {
    Connection c;
    c.send("last");
    CHECK(c.text(c.read(64)) == "last");
    c.wait();
    c.run_wait(50ms);
    CHECK_FALSE(c.waited.has_value());
    c.client.shutdown(tcp::socket::shutdown_send);
    c.run_wait(5s);
    REQUIRE(c.waited.has_value());
    CHECK(c.read(64).ec == asio::error::eof);
}

TEST_CASE("a reset ends a wait, and the read says so", "[server]") {
    Connection c;
    c.send("last");
    CHECK(c.text(c.read(64)) == "last");
    c.wait();
    c.run_wait(50ms);
    c.client.set_option(asio::socket_base::linger{true, 0});
    c.client.close();
    c.run_wait(5s);
    REQUIRE(c.waited.has_value());
    CHECK(c.read(64).ec == asio::error::connection_reset);
}

TEST_CASE("cancelling and closing end a pending wait and read with operation_aborted", "[server]") {
    Connection c;
    c.send("first");
    CHECK(c.text(c.read(64)) == "first");
    c.wait();
    c.run_wait(20ms);
    c.server.cancel();
    c.run_wait(5s);
    REQUIRE(c.waited.has_value());
    CHECK(*c.waited == asio::error::operation_aborted);

    std::optional<error_code> read_result;
    readiness::read_some(c.server, asio::buffer(c.buffer),
                         [&](error_code ec, std::size_t) { read_result = ec; });
    c.io.restart();
    c.io.poll();
    c.server.close();
    c.io.run_for(5s);
    REQUIRE(read_result.has_value());
    CHECK(*read_result == asio::error::operation_aborted);
}

TEST_CASE("a wait or read on a closed socket fails at once", "[server]") {
    Connection c;
    c.server.close();
    c.wait();
    c.run_wait(5s);
    REQUIRE(c.waited.has_value());
    CHECK(*c.waited == asio::error::bad_descriptor);
    CHECK(c.read(64).ec == asio::error::bad_descriptor);
}

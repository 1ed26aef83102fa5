// The readiness wait of an idle connection: it completes when the client
// sends and when the socket closes; its blocks come from a cache of one
// size, so a keep-alive request reuses the last wait's block.

#include "server/idle_wait.hpp"
#include "tests/support/loopback_connection.hpp"

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/detail/reactive_wait_op.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

using turnout::server::IdleWaitAllocator;
using turnout::server::IdleWaitHandler;
using turnout::server::wait_while_idle;
using turnout::server::WaitBlockCache;
using turnout::test::loopback_connection;
using turnout::test::LoopbackConnection;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

struct Connection {
    asio::io_context io;
    LoopbackConnection<tcp::socket> ends = loopback_connection(io);
    tcp::socket& client = ends.client;
    tcp::socket& server = ends.server;
    std::optional<boost::system::error_code> waited;

    void wait() {
        wait_while_idle(server, [this](boost::system::error_code ec) { waited = ec; });
    }
};

}  // namespace

TEST_CASE("an idle wait completes when the client sends", "[server]") {
    Connection connection;
    connection.wait();
    connection.io.poll();
    CHECK_FALSE(connection.waited.has_value());
    asio::write(connection.client, asio::buffer("x", 1));
    connection.io.run_for(5s);
    REQUIRE(connection.waited.has_value());
    CHECK_FALSE(*connection.waited);
}

TEST_CASE("an idle wait completes with an error when its socket closes", "[server]") {
    Connection connection;
    connection.wait();
    connection.io.poll();
    connection.server.close();
    connection.io.run_for(5s);
    REQUIRE(connection.waited.has_value());
    CHECK(*connection.waited == asio::error::operation_aborted);
}

TEST_CASE("an idle wait's handler keeps the executor it was bound to", "[server]") {
    Connection connection;
    auto strand = asio::make_strand(connection.io);
    std::optional<bool> in_strand;
    wait_while_idle(connection.server, asio::bind_executor(strand, [&](boost::system::error_code) {
                        in_strand = strand.running_in_this_thread();
                    }));
    asio::write(connection.client, asio::buffer("x", 1));
    connection.io.run_for(5s);
    REQUIRE(in_strand.has_value());
    CHECK(*in_strand);
}

TEST_CASE("an idle wait's operation is no larger than asio's wait was", "[server]") {
    // Every idle connection keeps one pending. Shaped like a session's
    // handler: a lambda holding the session.
    auto session = std::make_shared<int>();
    auto handler = [session](boost::system::error_code) {};
    using Handler = decltype(handler);
    using Executor = asio::io_context::executor_type;
    using Ours = turnout::server::readiness::internals::SocketOp<
        turnout::server::readiness::internals::Kind::wait, IdleWaitHandler<Handler>, Executor>;
    // What socket.async_wait(wait_read, bind_allocator(...)) allocated.
    using Asios =
        asio::detail::reactive_wait_op<asio::allocator_binder<Handler, IdleWaitAllocator<void>>,
                                       Executor>;
    CHECK(sizeof(Ours) <= sizeof(Asios));
}

TEST_CASE("a freed wait's block is the next wait's", "[server]") {
    WaitBlockCache cache;
    std::vector<void*> blocks{cache.take(96), cache.take(96)};
    cache.give_back(blocks[0], 96);
    cache.give_back(blocks[1], 96);
    CHECK(cache.take(96) == blocks[1]);
    CHECK(cache.take(96) == blocks[0]);
    cache.give_back(blocks[0], 96);
    cache.give_back(blocks[1], 96);
}

TEST_CASE("a block of another size than the cached ones is not cached", "[server]") {
    WaitBlockCache cache;
    void* cached = cache.take(96);
    cache.give_back(cached, 96);
    void* other = cache.take(128);
    CHECK(other != cached);
    cache.give_back(other, 128);
    CHECK(cache.take(96) == cached);
    cache.give_back(cached, 96);
}

TEST_CASE("the wait block cache keeps at most its capacity", "[server]") {
    WaitBlockCache cache;
    std::vector<void*> blocks;
    for (std::size_t i = 0; i < WaitBlockCache::capacity + 10; ++i) {
        blocks.push_back(cache.take(96));
    }
    for (void* block : blocks) {
        cache.give_back(block, 96);
    }
    // The cache hands back the first `capacity` blocks freed, last first;
    // the ten freed above capacity went to the heap.
    for (std::size_t i = WaitBlockCache::capacity; i-- > 0;) {
        CHECK(cache.take(96) == blocks[i]);
    }
    for (std::size_t i = 0; i < WaitBlockCache::capacity; ++i) {
        cache.give_back(blocks[i], 96);
    }
}

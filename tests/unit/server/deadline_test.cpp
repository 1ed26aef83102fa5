// Deadlines on real loopback sockets: the worker's one queue cancels a
// connection's pending read when its deadline passes, re-arming moves the
// deadline, disarming and destroying forget it. Then the queue's other
// timers (an HTTP/2 stream's): a callback per expiry that may re-arm or
// destroy timers.

#include "server/deadline.hpp"
#include "server/deadline_queue.hpp"
#include "tests/support/loopback_connection.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>

using turnout::server::Deadline;
using turnout::server::DeadlineQueue;
using turnout::server::TransportStream;
using turnout::test::loopback_connection;
using turnout::test::LoopbackConnection;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

// A connected pair: `server` is read under deadlines, `client` writes.
struct Connection {
    asio::io_context io;
    LoopbackConnection<TransportStream::socket_type> ends =
        loopback_connection<TransportStream::socket_type>(io);
    TransportStream::socket_type& client = ends.client;
    TransportStream server{std::move(ends.server)};
    std::array<char, 16> buffer{};
    std::optional<boost::system::error_code> read_result;

    void read() {
        server.async_read_some(asio::buffer(buffer),
                               [this](boost::system::error_code ec, std::size_t) {
                                   read_result = ec;
                                   io.stop();  // deadlines still armed are not under test
                               });
    }

    // The client writes a byte after `after`.
    void write_after(std::chrono::milliseconds after) {
        auto timer = std::make_shared<asio::steady_timer>(io, after);
        timer->async_wait([this, timer](boost::system::error_code) {
            asio::write(client, asio::buffer("x", 1));
        });
    }

    void run_until_read() {
        io.run_for(5s);
        REQUIRE(read_result.has_value());
    }
};

}  // namespace

TEST_CASE("an expired deadline cancels the pending read", "[server]") {
    Connection connection;
    Deadline deadline{connection.io.get_executor()};
    deadline.arm(connection.server, 10ms);
    connection.read();
    connection.run_until_read();
    CHECK(*connection.read_result == asio::error::operation_aborted);
    CHECK(deadline.expired());
}

// Arms a deadline by `first` then `second` (zero: disarm instead); the
// client writes after `write_after`. Whether the read was cancelled by it.
bool read_cancelled(std::chrono::milliseconds first, std::chrono::milliseconds second,
                    std::chrono::milliseconds write_after) {
    Connection connection;
    Deadline deadline{connection.io.get_executor()};
    deadline.arm(connection.server, first);
    if (second.count() > 0) {
        deadline.arm(connection.server, second);
    } else {
        deadline.disarm();
    }
    connection.read();
    connection.write_after(write_after);
    connection.run_until_read();
    CHECK(deadline.expired() == (*connection.read_result == asio::error::operation_aborted));
    return deadline.expired();
}

TEST_CASE("a deadline re-armed for later does not fire at the earlier time", "[server]") {
    CHECK_FALSE(read_cancelled(10ms, 2000ms, 100ms));
}

TEST_CASE("a deadline re-armed for sooner fires sooner", "[server]") {
    CHECK(read_cancelled(5000ms, 10ms, 1000ms));
}

TEST_CASE("a disarmed deadline cancels nothing", "[server]") {
    CHECK_FALSE(read_cancelled(10ms, 0ms, 100ms));
}

TEST_CASE("the earliest of several deadlines fires first", "[server]") {
    Connection connection;
    Deadline later{connection.io.get_executor()};
    Deadline sooner{connection.io.get_executor()};
    later.arm(connection.server, 5000ms);
    sooner.arm(connection.server, 10ms);
    connection.read();
    connection.run_until_read();
    CHECK(sooner.expired());
    CHECK_FALSE(later.expired());
}

TEST_CASE("a destroyed deadline leaves the queue", "[server]") {
    Connection connection;
    auto& queue = DeadlineQueue::of(connection.io.get_executor());
    {
        Deadline deadline{connection.io.get_executor()};
        deadline.arm(connection.server, 10ms);
        CHECK(queue.size() == 1);
    }
    CHECK(queue.size() == 0);
    connection.read();
    connection.write_after(50ms);
    connection.run_until_read();
    CHECK_FALSE(*connection.read_result);
}

namespace {

// Counts its expiries; may re-arm itself from the callback, or destroy
// another timer, as an HTTP/2 stream's timer does through its stream.
class CountingTimer final : public turnout::server::QueuedTimer {
public:
    using QueuedTimer::QueuedTimer;
    int expired = 0;
    std::function<void()> then;

private:
    void on_expired() override {
        ++expired;
        if (then) {
            then();
        }
    }
};

}  // namespace

TEST_CASE("a queued timer calls back once per expiry and may re-arm itself", "[server]") {
    asio::io_context io;
    CountingTimer timer{io.get_executor()};
    timer.then = [&] {
        if (timer.expired < 3) {
            timer.arm(1ms);
        } else {
            io.stop();
        }
    };
    timer.arm(1ms);
    io.run_for(5s);
    CHECK(timer.expired == 3);
}

TEST_CASE("a queued timer's callback may destroy a timer due at the same time", "[server]") {
    asio::io_context io;
    auto& queue = DeadlineQueue::of(io.get_executor());
    auto second = std::make_unique<CountingTimer>(io.get_executor());
    CountingTimer first{io.get_executor()};
    CountingTimer last{io.get_executor()};
    first.then = [&] { second.reset(); };
    last.then = [&] { io.stop(); };
    first.arm(5ms);
    second->arm(5ms);
    last.arm(50ms);
    CHECK(queue.size() == 3);
    io.run_for(5s);
    CHECK(first.expired == 1);
    CHECK(second == nullptr);
    CHECK(last.expired == 1);
    CHECK(queue.size() == 0);
}

TEST_CASE("a disarmed queued timer does not call back", "[server]") {
    asio::io_context io;
    CountingTimer disarmed{io.get_executor()};
    CountingTimer last{io.get_executor()};
    last.then = [&] { io.stop(); };
    disarmed.arm(5ms);
    disarmed.disarm();
    last.arm(50ms);
    io.run_for(5s);
    CHECK(disarmed.expired == 0);
    CHECK(last.expired == 1);
}

TEST_CASE("a deadline adds no more than its stream pointer to its queued timer", "[server]") {
    // Every connection holds one, idle ones too: its flag goes in the
    // timer's tail padding.
    CHECK(sizeof(Deadline) <= sizeof(turnout::server::QueuedTimer) + sizeof(TransportStream*));
}

#include "worker/control_channel.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

using turnout::worker::ControlChannel;
using turnout::worker::encode_frame;
using turnout::worker::FrameDecoder;
using turnout::worker::last_message_kind;
using turnout::worker::Message;
using turnout::worker::MessageKind;

namespace {

Message make(MessageKind kind, std::uint64_t version, std::string payload) {
    Message message;
    message.kind = kind;
    message.version = version;
    message.payload = std::move(payload);
    return message;
}

std::string binary_payload(std::size_t size) {
    std::string payload(size, '\0');
    for (std::size_t i = 0; i < size; ++i) {
        payload[i] = static_cast<char>((i * 131 + i / 251) & 0xff);
    }
    return payload;
}

std::vector<Message> drain(FrameDecoder& decoder) {
    std::vector<Message> out;
    while (auto message = decoder.next()) {
        out.push_back(std::move(*message));
    }
    return out;
}

void check_same(const std::vector<Message>& got, const std::vector<Message>& want) {
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        CHECK(got[i].kind == want[i].kind);
        CHECK(got[i].version == want[i].version);
        CHECK(got[i].payload == want[i].payload);
    }
}

bool is_open(int fd) {
    return ::fcntl(fd, F_GETFD) != -1;
}

int open_dev_null() {
    int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    return fd;
}

std::size_t open_fd_count() {
    std::size_t count = 0;
    for ([[maybe_unused]] const auto& entry :
         std::filesystem::directory_iterator("/proc/self/fd")) {
        ++count;
    }
    return count;
}

// Runs the loop until `done()` holds or the deadline passes; true if it held.
template <typename Predicate>
bool run_until(boost::asio::io_context& io, Predicate done,
               std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        io.restart();
        io.run_one_for(std::chrono::milliseconds(20));
    }
    return true;
}

// Runs whatever is ready now (and what that makes ready), without waiting.
void settle(boost::asio::io_context& io) {
    for (int i = 0; i < 10; ++i) {
        io.restart();
        io.poll();
    }
}

// Both ends of one socket pair, each a started ControlChannel recording what
// it receives.
struct ChannelPair {
    boost::asio::io_context io;
    std::shared_ptr<ControlChannel> master;
    std::shared_ptr<ControlChannel> worker;
    std::vector<Message> to_master;
    std::vector<Message> to_worker;
    int master_closes = 0;
    int worker_closes = 0;

    ChannelPair() {
        int fds[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
        master = std::make_shared<ControlChannel>(io, fds[0]);
        worker = std::make_shared<ControlChannel>(io, fds[1]);
        master->start([this](Message m) { to_master.push_back(std::move(m)); },
                      [this] { ++master_closes; });
        worker->start([this](Message m) { to_worker.push_back(std::move(m)); },
                      [this] { ++worker_closes; });
    }
    ~ChannelPair() {
        for (auto* messages : {&to_master, &to_worker}) {
            for (auto& message : *messages) {
                for (int fd : message.fds) {
                    ::close(fd);
                }
            }
        }
    }
};

}  // namespace

// ---------------------------------------------------------------- framing

TEST_CASE("encode_frame writes length, kind, version, payload big endian", "[channel]") {
    const auto bytes = encode_frame(make(MessageKind::ack, 0x0102030405060708ULL, "hi"));
    const std::string expected("\x00\x00\x00\x0b\x03\x01\x02\x03\x04\x05\x06\x07\x08hi", 15);
    CHECK(bytes == expected);
    CHECK(encode_frame(make(MessageKind::drain, 0, "")).size() == 13);
}

TEST_CASE("the decoder reassembles frames split at any point", "[channel]") {
    const std::vector<Message> messages{
        make(MessageKind::config_snapshot, 42, binary_payload(1000)),
        make(MessageKind::drain, 0, ""),
        make(MessageKind::ack, 0xfedcba9876543210ULL, "ok"),
        make(MessageKind::error, 7, std::string("a\0b", 3)),
    };
    std::string stream;
    for (const auto& message : messages) {
        stream += encode_frame(message);
    }

    SECTION("one feed") {
        FrameDecoder decoder;
        decoder.feed(stream.data(), stream.size());
        check_same(drain(decoder), messages);
        CHECK_FALSE(decoder.failed());
    }

    SECTION("byte by byte, draining after every byte") {
        FrameDecoder decoder;
        std::vector<Message> got;
        for (char c : stream) {
            decoder.feed(&c, 1);
            for (auto& message : drain(decoder)) {
                got.push_back(std::move(message));
            }
        }
        check_same(got, messages);
    }

    SECTION("two pieces, every split point") {
        for (std::size_t split = 0; split <= stream.size(); ++split) {
            INFO("split at " << split);
            FrameDecoder decoder;
            decoder.feed(stream.data(), split);
            auto got = drain(decoder);
            decoder.feed(stream.data() + split, stream.size() - split);
            for (auto& message : drain(decoder)) {
                got.push_back(std::move(message));
            }
            check_same(got, messages);
            CHECK_FALSE(decoder.failed());
        }
    }

    SECTION("three pieces around the small frames, without draining in between") {
        const std::size_t start = encode_frame(messages[0]).size() - 3;
        for (std::size_t a = start; a <= stream.size(); ++a) {
            for (std::size_t b = a; b <= stream.size(); b += 3) {
                FrameDecoder decoder;
                decoder.feed(stream.data(), a);
                decoder.feed(stream.data() + a, b - a);
                decoder.feed(stream.data() + b, stream.size() - b);
                check_same(drain(decoder), messages);
            }
        }
    }
}

TEST_CASE("the decoder handles a 64 MiB frame", "[channel]") {
    const auto big = make(MessageKind::config_snapshot, 9, binary_payload(64u << 20));
    const auto stream = encode_frame(big) + encode_frame(make(MessageKind::ack, 10, "after"));
    FrameDecoder decoder;
    const std::size_t chunk = 1 << 20;
    std::vector<Message> got;
    for (std::size_t offset = 0; offset < stream.size(); offset += chunk) {
        const auto size = std::min(chunk, stream.size() - offset);
        decoder.feed(stream.data() + offset, size);
        for (auto& message : drain(decoder)) {
            got.push_back(std::move(message));
        }
        if (offset + size < big.payload.size()) {
            CHECK(got.empty());
        }
    }
    REQUIRE(got.size() == 2);
    CHECK(got[0].version == 9);
    CHECK(got[0].payload == big.payload);
    CHECK(got[1].payload == "after");
}

TEST_CASE("the decoder refuses malformed frames", "[channel]") {
    auto raw_frame = [](std::uint32_t length, unsigned char kind) {
        std::string bytes;
        for (int shift = 24; shift >= 0; shift -= 8) {
            bytes.push_back(static_cast<char>((length >> shift) & 0xff));
        }
        bytes.push_back(static_cast<char>(kind));
        bytes.append(8, '\0');
        return bytes;
    };
    const auto good = encode_frame(make(MessageKind::ack, 1, "fine"));

    struct Case {
        const char* name;
        std::string bytes;
        std::size_t fail_after;  // failed() from this many bytes on
    };
    const std::vector<Case> cases{
        {"length 0", raw_frame(0, 3), 4},
        {"length 8", raw_frame(8, 3), 4},
        {"length over the limit",
         raw_frame(static_cast<std::uint32_t>(FrameDecoder::max_frame_bytes + 1), 3), 4},
        {"length 0xffffffff", raw_frame(0xffffffffu, 3), 4},
        {"kind 0", raw_frame(9, 0), 5},
        {"one past the last kind",
         raw_frame(9, static_cast<unsigned char>(static_cast<unsigned>(last_message_kind) + 1)), 5},
        {"kind 255", raw_frame(9, 255), 5},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        FrameDecoder decoder;
        decoder.feed(good.data(), good.size());
        for (std::size_t i = 0; i < c.bytes.size(); ++i) {
            decoder.feed(c.bytes.data() + i, 1);
            CHECK(decoder.failed() == (i + 1 >= c.fail_after));
        }
        // The good frame before the bad one is still delivered, nothing after.
        auto got = drain(decoder);
        REQUIRE(got.size() == 1);
        CHECK(got[0].payload == "fine");
        decoder.feed(good.data(), good.size());
        CHECK_FALSE(decoder.next());
        CHECK(decoder.failed());
    }

    SECTION("the largest allowed length is not an error by itself") {
        FrameDecoder decoder;
        const auto header = raw_frame(static_cast<std::uint32_t>(FrameDecoder::max_frame_bytes), 1);
        decoder.feed(header.data(), header.size());
        CHECK_FALSE(decoder.failed());
        CHECK_FALSE(decoder.next());
    }
}

TEST_CASE("the decoder attaches descriptors to the frame they came with", "[channel]") {
    const auto first = encode_frame(make(MessageKind::config_snapshot, 1, binary_payload(100)));
    const auto second = encode_frame(make(MessageKind::listener_fd, 2, "web"));
    const auto third = encode_frame(make(MessageKind::ack, 3, ""));
    const auto stream = first + second + third;

    auto fds_of = [](const std::vector<Message>& messages) {
        std::vector<std::vector<int>> out;
        for (const auto& message : messages) {
            out.push_back(message.fds);
        }
        return out;
    };

    SECTION("with the first byte of a frame at the start of a read") {
        FrameDecoder decoder;
        int fd = open_dev_null();
        decoder.feed(first.data(), first.size());
        decoder.feed(second.data(), second.size(), {fd});
        decoder.feed(third.data(), third.size());
        auto got = drain(decoder);
        CHECK(fds_of(got) == std::vector<std::vector<int>>{{}, {fd}, {}});
        ::close(fd);
    }

    SECTION("with the tail of the previous frame in the same read") {
        for (std::size_t split = 1; split < first.size(); ++split) {
            FrameDecoder decoder;
            int fd = open_dev_null();
            decoder.feed(stream.data(), split);
            // recvmsg returned the rest of `first` and part of `second`.
            decoder.feed(stream.data() + split, first.size() - split + 2, {fd});
            const auto done = first.size() + 2;
            decoder.feed(stream.data() + done, stream.size() - done);
            auto got = drain(decoder);
            CHECK(fds_of(got) == std::vector<std::vector<int>>{{}, {fd}, {}});
            ::close(fd);
        }
    }

    SECTION("a whole earlier frame in the same read") {
        FrameDecoder decoder;
        int a = open_dev_null();
        int b = open_dev_null();
        decoder.feed(stream.data(), 5, {a});
        decoder.feed(stream.data() + 5, first.size() - 5 + second.size(), {b});
        decoder.feed(third.data(), third.size());
        auto got = drain(decoder);
        CHECK(fds_of(got) == std::vector<std::vector<int>>{{a}, {b}, {}});
        ::close(a);
        ::close(b);
    }

    SECTION("undelivered descriptors are closed with the decoder") {
        int fd = open_dev_null();
        {
            FrameDecoder decoder;
            decoder.feed(second.data(), 3, {fd});
            CHECK(is_open(fd));
        }
        CHECK_FALSE(is_open(fd));
    }

    SECTION("descriptors fed after a failure are closed") {
        int fd = open_dev_null();
        FrameDecoder decoder;
        const std::string bad("\0\0\0\0", 4);
        decoder.feed(bad.data(), bad.size());
        REQUIRE(decoder.failed());
        decoder.feed(second.data(), second.size(), {fd});
        CHECK_FALSE(is_open(fd));
    }
}

// ---------------------------------------------------------------- channel

TEST_CASE("messages travel both ways in order", "[channel]") {
    ChannelPair pair;
    pair.master->send(make(MessageKind::config_snapshot, 1, "{\"routes\":[]}"));
    pair.master->send(make(MessageKind::config_delta, 2, "{\"route\":\"api\"}"));
    pair.worker->send(make(MessageKind::ack, 1, ""));
    pair.worker->send(make(MessageKind::stats, 1, "{\"requests\":5}"));
    pair.master->send(make(MessageKind::drain, 2, ""));
    REQUIRE(run_until(pair.io,
                      [&] { return pair.to_worker.size() == 3 && pair.to_master.size() == 2; }));
    check_same(pair.to_worker, {make(MessageKind::config_snapshot, 1, "{\"routes\":[]}"),
                                make(MessageKind::config_delta, 2, "{\"route\":\"api\"}"),
                                make(MessageKind::drain, 2, "")});
    check_same(pair.to_master,
               {make(MessageKind::ack, 1, ""), make(MessageKind::stats, 1, "{\"requests\":5}")});
    CHECK(pair.master_closes == 0);
    CHECK(pair.worker_closes == 0);
}

TEST_CASE("a stats answer carries the number of the request it answers", "[channel]") {
    // The master tells fresh counters from old ones by this number.
    ChannelPair pair;
    const std::uint64_t number = 0x0102030405060708ULL;
    pair.master->send(turnout::worker::stats_request(number));
    REQUIRE(run_until(pair.io, [&] { return pair.to_worker.size() == 1; }));
    check_same(pair.to_worker, {make(MessageKind::stats_request, number, "")});
    pair.worker->send(turnout::worker::stats_answer(pair.to_worker[0].version, "{\"requests\":5}"));
    pair.worker->send(turnout::worker::stats_answer(0, "{\"requests\":6}"));
    REQUIRE(run_until(pair.io, [&] { return pair.to_master.size() == 2; }));
    check_same(pair.to_master, {make(MessageKind::stats, number, "{\"requests\":5}"),
                                make(MessageKind::stats, 0, "{\"requests\":6}")});
}

TEST_CASE("a thousand small messages arrive in order", "[channel]") {
    ChannelPair pair;
    for (std::uint64_t i = 0; i < 1000; ++i) {
        pair.master->send(make(MessageKind::config_delta, i, "change " + std::to_string(i)));
    }
    REQUIRE(run_until(pair.io, [&] { return pair.to_worker.size() == 1000; }));
    for (std::uint64_t i = 0; i < 1000; ++i) {
        CHECK(pair.to_worker[i].version == i);
        CHECK(pair.to_worker[i].payload == "change " + std::to_string(i));
    }
}

TEST_CASE("a 16 MiB frame crosses the channel, and what follows it", "[channel]") {
    ChannelPair pair;
    const auto big = binary_payload(16u << 20);
    pair.master->send(make(MessageKind::config_snapshot, 5, big));
    pair.master->send(make(MessageKind::config_delta, 6, "next"));
    pair.worker->send(make(MessageKind::stats, 1, big));
    REQUIRE(run_until(pair.io,
                      [&] { return pair.to_worker.size() == 2 && pair.to_master.size() == 1; }));
    CHECK(pair.to_worker[0].payload == big);
    CHECK(pair.to_worker[1].payload == "next");
    CHECK(pair.to_master[0].payload == big);
}

TEST_CASE("a descriptor passes with its message", "[channel]") {
    const auto fds_before = open_fd_count();
    {
        ChannelPair pair;
        int pipe_fds[2];
        REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);

        // A large message first, so the descriptor's frame starts inside a
        // read that also carries the tail of the one before.
        pair.master->send(make(MessageKind::config_snapshot, 1, binary_payload(1 << 20)));
        Message with_fd = make(MessageKind::listener_fd, 2, "web");
        with_fd.fds = {pipe_fds[1]};
        pair.master->send(with_fd);
        ::close(pipe_fds[1]);  // the channel keeps its own copy until sent
        pair.master->send(make(MessageKind::ack, 3, ""));

        REQUIRE(run_until(pair.io, [&] { return pair.to_worker.size() == 3; }));
        CHECK(pair.to_worker[0].fds.empty());
        CHECK(pair.to_worker[2].fds.empty());
        REQUIRE(pair.to_worker[1].fds.size() == 1);
        CHECK(pair.to_worker[1].payload == "web");

        int received = pair.to_worker[1].fds[0];
        CHECK((::fcntl(received, F_GETFD) & FD_CLOEXEC) != 0);
        REQUIRE(::write(received, "hello", 5) == 5);
        ::close(received);
        pair.to_worker[1].fds.clear();

        char buffer[16];
        REQUIRE(::read(pipe_fds[0], buffer, sizeof buffer) == 5);
        CHECK(std::string(buffer, 5) == "hello");
        // Every copy of the write end is closed: no duplicate leaked.
        CHECK(::read(pipe_fds[0], buffer, sizeof buffer) == 0);
        ::close(pipe_fds[0]);
    }
    CHECK(open_fd_count() == fds_before);
}

TEST_CASE("descriptors stay with their messages among messages of every size", "[channel]") {
    const auto fds_before = open_fd_count();
    {
        ChannelPair pair;
        int pipe_fds[2];
        REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
        struct stat pipe_stat {};
        REQUIRE(::fstat(pipe_fds[1], &pipe_stat) == 0);

        const int count = 300;
        std::uint64_t state = 12345;
        for (int i = 0; i < count; ++i) {
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            const std::size_t size = (state >> 33) % 70000;
            Message message = make(MessageKind::config_delta, static_cast<std::uint64_t>(i),
                                   binary_payload(size));
            if (i % 3 == 1) {
                message.kind = MessageKind::listener_fd;
                message.fds = {pipe_fds[1]};
            }
            pair.master->send(std::move(message));
        }
        ::close(pipe_fds[1]);
        REQUIRE(run_until(
            pair.io, [&] { return pair.to_worker.size() == static_cast<std::size_t>(count); }));
        for (int i = 0; i < count; ++i) {
            INFO("message " << i);
            const auto& message = pair.to_worker[static_cast<std::size_t>(i)];
            CHECK(message.version == static_cast<std::uint64_t>(i));
            if (i % 3 == 1) {
                REQUIRE(message.fds.size() == 1);
                struct stat received {};
                REQUIRE(::fstat(message.fds[0], &received) == 0);
                CHECK(received.st_ino == pipe_stat.st_ino);
            } else {
                CHECK(message.fds.empty());
            }
        }
        ::close(pipe_fds[0]);
    }
    CHECK(open_fd_count() == fds_before);
}

TEST_CASE("the peer closing calls on_close exactly once", "[channel]") {
    ChannelPair pair;

    SECTION("close()") {
        pair.master->send(make(MessageKind::stop, 1, ""));
        pair.master->close();
        REQUIRE(run_until(pair.io, [&] { return pair.worker_closes > 0; }));
        settle(pair.io);
        CHECK(pair.worker_closes == 1);
        CHECK(pair.master_closes == 0);  // its own close() is not reported back
        // What was sent before close() still arrived, before the close.
        REQUIRE(pair.to_worker.size() == 1);
        CHECK(pair.to_worker[0].kind == MessageKind::stop);
        pair.worker->send(make(MessageKind::ack, 1, ""));  // ignored once closed
        settle(pair.io);
        CHECK(pair.worker_closes == 1);
    }

    SECTION("the peer's channel destroyed") {
        pair.master.reset();
        REQUIRE(run_until(pair.io, [&] { return pair.worker_closes > 0; }));
        settle(pair.io);
        CHECK(pair.worker_closes == 1);
        CHECK(pair.master_closes == 0);
    }
}

TEST_CASE("a malformed frame closes the channel", "[channel]") {
    boost::asio::io_context io;
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    auto channel = std::make_shared<ControlChannel>(io, fds[0]);
    std::vector<Message> got;
    int closes = 0;
    channel->start([&](Message m) { got.push_back(std::move(m)); }, [&] { ++closes; });
    const auto bytes =
        encode_frame(make(MessageKind::ack, 1, "ok")) + std::string("\0\0\0\x09\x63", 5);
    REQUIRE(::write(fds[1], bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
    REQUIRE(run_until(io, [&] { return closes > 0; }));
    settle(io);
    CHECK(closes == 1);
    REQUIRE(got.size() == 1);
    CHECK(got[0].payload == "ok");
    // Our end is closed: the peer sees EOF.
    char c;
    CHECK(::read(fds[1], &c, 1) == 0);
    ::close(fds[1]);
}

TEST_CASE("destroying a channel with operations pending is safe", "[channel]") {
    const auto fds_before = open_fd_count();
    {
        boost::asio::io_context io;
        int fds[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
        auto sender = std::make_shared<ControlChannel>(io, fds[0]);
        auto receiver = std::make_shared<ControlChannel>(io, fds[1]);
        int sender_closes = 0;
        int receiver_closes = 0;
        std::vector<Message> got;
        sender->start([](Message) {}, [&] { ++sender_closes; });

        // More than the socket buffer holds: a write is left waiting, and it
        // carries a descriptor the channel must not leak.
        int pipe_fds[2];
        REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
        Message big = make(MessageKind::config_snapshot, 1, binary_payload(8u << 20));
        sender->send(big);
        big.fds = {pipe_fds[1]};
        sender->send(big);
        ::close(pipe_fds[1]);
        settle(io);
        sender.reset();  // read and write waits pending

        receiver->start([&](Message m) { got.push_back(std::move(m)); },
                        [&] { ++receiver_closes; });
        REQUIRE(run_until(io, [&] { return receiver_closes > 0; }));
        settle(io);
        CHECK(receiver_closes == 1);
        CHECK(sender_closes == 0);
        CHECK(got.empty());  // the first frame was cut short

        // The sender's duplicate of the pipe's write end is gone.
        char c;
        CHECK(::read(pipe_fds[0], &c, 1) == 0);
        ::close(pipe_fds[0]);

        // And the receiver destroyed right after start(), before its read.
        int more[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, more) == 0);
        auto short_lived = std::make_shared<ControlChannel>(io, more[0]);
        short_lived->start([](Message) {}, [] { FAIL("on_close after destruction"); });
        short_lived.reset();
        ::close(more[1]);
        settle(io);
    }
    CHECK(open_fd_count() == fds_before);
}

TEST_CASE("a channel must be owned by a shared_ptr", "[channel]") {
    boost::asio::io_context io;
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    ControlChannel channel(io, fds[0]);
    CHECK_THROWS_AS(channel.start([](Message) {}, [] {}), std::logic_error);
    ::close(fds[1]);
}

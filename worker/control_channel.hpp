#pragma once

// The master↔worker channel: one Unix socket pair per worker slot carrying
// small typed, length-prefixed messages, with file descriptors passed
// alongside (SCM_RIGHTS). Both ends use this class.

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace turnout::worker {

enum class MessageKind : std::uint8_t {
    config_snapshot = 1,  // master → worker: payload = whole config as JSON
    config_delta = 2,     // master → worker: payload = one change as JSON
    ack = 3,              // worker → master: version now served
    stats_request = 4,    // master → worker: version = the request's number
    stats = 5,            // worker → master: payload = counters as JSON, version = the
                          // number of the request it answers (0: sent unasked)
    drain = 6,            // master → worker: graceful stop
    stop = 7,             // master → worker: immediate stop
    listener_fd = 8,      // master → worker: payload = listener name, fd attached
    error = 9,            // worker → master: a change it could not apply
    health = 10,          // master → worker: payload = every unhealthy target as JSON
    tls = 11,             // master → worker: payload = listeners' certificates, keys and
                          // ticket keys as JSON (server::TlsMaterial); before every snapshot
    reopen_logs = 12,     // master → worker: reopen the access log (SIGUSR1, logrotate)
    // New kinds go last, and last_message_kind follows: FrameDecoder accepts
    // 1 up to it.
};
constexpr MessageKind last_message_kind = MessageKind::reopen_logs;

struct Message {
    MessageKind kind = MessageKind::ack;
    std::uint64_t version = 0;
    std::string payload;
    std::vector<int> fds;  // owned by the receiver once delivered: it must
                           // close them (they arrive with FD_CLOEXEC set)
};

// Stats requests are numbered so the master knows which of them an answer
// answers, hence how fresh the counters in it are (master/metrics/fresh_stats.hpp).
Message stats_request(std::uint64_t number);
// A worker's counters answering request `number` (0: sent unasked, as on
// exit).
Message stats_answer(std::uint64_t number, std::string counters);

// Wire format of one frame: u32 length of what follows (big endian), u8
// kind, u64 version (big endian), payload bytes. Descriptors ride as
// SCM_RIGHTS ancillary data on the sendmsg() that carries the frame's first
// byte. Frames over max_frame_bytes are a protocol error.
class FrameDecoder {
public:
    static constexpr std::size_t max_frame_bytes = 256 * 1024 * 1024;

    FrameDecoder() = default;
    FrameDecoder(const FrameDecoder&) = delete;
    FrameDecoder& operator=(const FrameDecoder&) = delete;
    // Closes descriptors received for frames that next() never handed out.
    ~FrameDecoder();

    // Feeds bytes as they arrive (any split); `fds` received with them are
    // attached to the frame in progress: the last frame whose first byte has
    // arrived, counting these bytes. (recvmsg() may return the tail of one
    // frame and the start of the next, whose sendmsg carried the fds, in one
    // read; it never reads past the bytes that came with the fds.)
    void feed(const char* data, std::size_t size, std::vector<int> fds = {});
    // The next complete message, if one is complete.
    std::optional<Message> next();
    // True once a malformed frame was seen; the channel must be closed.
    bool failed() const { return failed_; }

private:
    struct AttachedFds {
        std::uint64_t frame_offset;  // stream offset of the frame's first byte
        std::vector<int> fds;
    };

    // Moves cursor_ to the start of the last frame that has begun arriving,
    // checking each frame header on the way.
    void find_frame_starts();
    void compact();

    std::string buffer_;
    std::size_t head_ = 0;        // first frame next() has not returned
    std::size_t cursor_ = 0;      // last frame whose first byte has arrived
    std::uint64_t consumed_ = 0;  // stream offset of buffer_[0]
    std::deque<AttachedFds> pending_fds_;
    bool failed_ = false;
};

std::string encode_frame(const Message& message);

// Not thread-safe: every call and every callback happens on the thread that
// runs the io_context. Must be owned by a std::shared_ptr (start() and send()
// throw std::logic_error otherwise). Pending operations hold only a weak
// reference: dropping the last shared_ptr closes the socket and no callback
// runs afterwards. Callbacks must not throw.
class ControlChannel : public std::enable_shared_from_this<ControlChannel> {
public:
    using MessageHandler = std::function<void(Message)>;
    using CloseHandler = std::function<void()>;

    // Takes ownership of `fd`, one end of a socketpair(AF_UNIX, SOCK_STREAM).
    ControlChannel(boost::asio::io_context& io, int fd);
    ~ControlChannel();

    // Starts reading: `on_message` for each message in order, `on_close`
    // once when the peer closes or the channel fails (EOF is how a worker
    // learns its master is gone).
    void start(MessageHandler on_message, CloseHandler on_close);

    // Queues a message; writes go out one at a time, in order. Descriptors
    // in message.fds are sent, not closed: the caller keeps its copies.
    // (The channel sends duplicates, so the caller may close its copies as
    // soon as send() returns.) Writes start at once when nothing is queued;
    // a write error is reported through on_close, later, never from inside
    // send(). Sending on a closed channel does nothing.
    void send(Message message);

    // Closes the socket now; messages not yet written are dropped. No
    // callback runs after close(), on_close included.
    void close();

private:
    // (internal state: socket, decoder, write queue)
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace turnout::worker

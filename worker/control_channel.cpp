#include "worker/control_channel.hpp"

#include "server/logfmt.hpp"

#include <boost/asio/post.hpp>
#include <boost/assert.hpp>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace turnout::worker {

namespace {

constexpr std::size_t header_bytes = 4;            // the length field
constexpr std::size_t kind_version_bytes = 1 + 8;  // what every frame has after it
constexpr std::size_t max_fds_per_message = 253;   // SCM_MAX_FD
constexpr std::size_t read_chunk_bytes = 256 * 1024;
constexpr int reads_per_turn = 64;  // then yield to other handlers on the loop

std::uint32_t read_be32(const char* p) {
    const auto* u = reinterpret_cast<const unsigned char*>(p);
    return (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) | (std::uint32_t{u[2]} << 8) |
           std::uint32_t{u[3]};
}

std::uint64_t read_be64(const char* p) {
    std::uint64_t value = 0;
    for (int i = 0; i < 8; ++i) {
        value = (value << 8) | static_cast<unsigned char>(p[i]);
    }
    return value;
}

void append_be(std::string& out, std::uint64_t value, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) {
        out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
    }
}

// Kinds are numbered 1 up to last_message_kind (control_channel.hpp).
bool known_kind(unsigned char kind) {
    return kind >= static_cast<unsigned char>(MessageKind::config_snapshot) &&
           kind <= static_cast<unsigned char>(last_message_kind);
}

bool valid_length(std::uint32_t length) {
    return length >= kind_version_bytes && length <= FrameDecoder::max_frame_bytes;
}

void close_all(std::vector<int>& fds) {
    for (int fd : fds) {
        ::close(fd);
    }
    fds.clear();
}

}  // namespace

// ---------------------------------------------------------------- decoder

FrameDecoder::~FrameDecoder() {
    for (auto& attached : pending_fds_) {
        close_all(attached.fds);
    }
}

void FrameDecoder::feed(const char* data, std::size_t size, std::vector<int> fds) {
    if (failed_) {
        close_all(fds);
        return;
    }
    buffer_.append(data, size);
    find_frame_starts();
    if (fds.empty()) {
        return;
    }
    const std::uint64_t frame_offset = consumed_ + cursor_;
    // The cursor only moves forward, so attached fds stay in stream order.
    BOOST_ASSERT(pending_fds_.empty() || pending_fds_.back().frame_offset <= frame_offset);
    if (!pending_fds_.empty() && pending_fds_.back().frame_offset == frame_offset) {
        auto& attached = pending_fds_.back().fds;
        attached.insert(attached.end(), fds.begin(), fds.end());
    } else {
        pending_fds_.push_back(AttachedFds{frame_offset, std::move(fds)});
    }
}

void FrameDecoder::find_frame_starts() {
    while (!failed_) {
        const std::size_t available = buffer_.size() - cursor_;
        if (available < header_bytes) {
            return;
        }
        const std::uint32_t length = read_be32(buffer_.data() + cursor_);
        if (!valid_length(length)) {
            failed_ = true;
            return;
        }
        // A whole config arrives in many reads: room for all of it at once,
        // rather than the buffer doubling (and copying) its way up to it.
        buffer_.reserve(cursor_ + header_bytes + length);
        if (available < header_bytes + 1) {
            return;
        }
        if (!known_kind(static_cast<unsigned char>(buffer_[cursor_ + header_bytes]))) {
            failed_ = true;
            return;
        }
        // The next frame has started only once a byte past this one arrived.
        if (available <= header_bytes + length) {
            return;
        }
        cursor_ += header_bytes + length;
    }
}

std::optional<Message> FrameDecoder::next() {
    BOOST_ASSERT(head_ <= cursor_ && cursor_ <= buffer_.size());
    // Frames before cursor_ were checked by find_frame_starts(); the one at
    // cursor_ is checked there too before it can be complete.
    if (failed_ && head_ == cursor_) {
        return std::nullopt;
    }
    const std::size_t available = buffer_.size() - head_;
    if (available < header_bytes + kind_version_bytes) {
        return std::nullopt;
    }
    const std::uint32_t length = read_be32(buffer_.data() + head_);
    if (available < header_bytes + length) {
        return std::nullopt;
    }
    const char* frame = buffer_.data() + head_ + header_bytes;
    BOOST_ASSERT(valid_length(length) && known_kind(static_cast<unsigned char>(frame[0])));
    Message message;
    message.kind = static_cast<MessageKind>(static_cast<unsigned char>(frame[0]));
    message.version = read_be64(frame + 1);
    const std::size_t frame_end = head_ + header_bytes + length;
    if (head_ == 0 && frame_end == buffer_.size()) {
        // The common case for a large snapshot: hand over the buffer itself.
        message.payload = std::move(buffer_);
        message.payload.erase(0, header_bytes + kind_version_bytes);
        buffer_ = std::string{};
    } else {
        message.payload.assign(frame + kind_version_bytes, length - kind_version_bytes);
    }

    const std::uint64_t frame_offset = consumed_ + head_;
    while (!pending_fds_.empty() && pending_fds_.front().frame_offset <= frame_offset) {
        auto& attached = pending_fds_.front();
        if (attached.frame_offset == frame_offset) {
            message.fds.insert(message.fds.end(), attached.fds.begin(), attached.fds.end());
        } else {
            close_all(attached.fds);
        }
        pending_fds_.pop_front();
    }

    if (buffer_.empty()) {
        consumed_ += frame_end;
        head_ = 0;
        cursor_ = 0;
    } else {
        head_ = frame_end;
        cursor_ = std::max(cursor_, head_);
        compact();
    }
    return message;
}

void FrameDecoder::compact() {
    if (head_ == buffer_.size()) {
        consumed_ += head_;
        cursor_ -= head_;
        head_ = 0;
        buffer_.clear();
    } else if (head_ >= 64 * 1024 && head_ * 2 >= buffer_.size()) {
        buffer_.erase(0, head_);
        consumed_ += head_;
        cursor_ -= head_;
        head_ = 0;
    }
}

Message stats_request(std::uint64_t number) {
    return {MessageKind::stats_request, number, {}, {}};
}

Message stats_answer(std::uint64_t number, std::string counters) {
    return {MessageKind::stats, number, std::move(counters), {}};
}

std::string encode_frame(const Message& message) {
    if (message.payload.size() > FrameDecoder::max_frame_bytes - kind_version_bytes) {
        throw std::length_error("control channel: payload of " +
                                std::to_string(message.payload.size()) +
                                " bytes is over the frame limit");
    }
    std::string out;
    out.reserve(header_bytes + kind_version_bytes + message.payload.size());
    append_be(out, kind_version_bytes + message.payload.size(), 4);
    out.push_back(static_cast<char>(message.kind));
    append_be(out, message.version, 8);
    out += message.payload;
    return out;
}

// ---------------------------------------------------------------- channel

namespace {

struct Outgoing {
    std::string bytes;
    std::vector<int> fds;  // our duplicates; closed once sent
    std::size_t sent = 0;
};

// The descriptors a recvmsg() delivered; they are ours to close.
std::vector<int> received_fds(msghdr& msg) {
    std::vector<int> fds;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
            continue;
        }
        const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < count; ++i) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            fds.push_back(fd);
        }
    }
    return fds;
}

}  // namespace

// Every asynchronous step holds only a weak_ptr to the channel: destroying
// the channel cancels its waits, and their handlers then find nothing to do.
// Handlers that call back into user code hold a strong reference for the
// duration of the call, so a callback may drop the owner's pointer.
struct ControlChannel::Impl {
    Impl(ControlChannel& owner, boost::asio::io_context& io) : owner{owner}, socket{io} {}
    ~Impl() {
        for (auto& out : queue) {
            close_all(out.fds);
        }
    }

    void read_some();
    bool deliver();
    void write_some();
    void wait(boost::asio::socket_base::wait_type type);
    void fail(int error, const char* what);
    void shut_down(bool notify);
    void notify_close();

    ControlChannel& owner;
    boost::asio::local::stream_protocol::socket socket;
    FrameDecoder decoder;
    std::deque<Outgoing> queue;
    std::vector<char> read_buffer = std::vector<char>(read_chunk_bytes);
    MessageHandler on_message;
    CloseHandler on_close;
    bool started = false;
    bool waiting_write = false;
    bool closed = false;
    bool close_to_notify = false;  // closed by a failure, on_close not yet called
};

void ControlChannel::Impl::read_some() {
    for (int round = 0; round < reads_per_turn; ++round) {
        if (closed) {
            return;
        }
        iovec iov{read_buffer.data(), read_buffer.size()};
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * max_fds_per_message)];
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        const ssize_t n = ::recvmsg(socket.native_handle(), &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                wait(boost::asio::socket_base::wait_read);
                return;
            }
            fail(errno, "recvmsg");
            return;
        }
        std::vector<int> fds = received_fds(msg);
        if ((msg.msg_flags & MSG_CTRUNC) != 0) {
            close_all(fds);
            fail(EPROTO, "descriptors truncated");
            return;
        }
        if (n == 0) {
            close_all(fds);
            fail(0, "end of stream");
            return;
        }
        decoder.feed(read_buffer.data(), static_cast<std::size_t>(n), std::move(fds));
        if (!deliver()) {
            return;
        }
        if (decoder.failed()) {
            fail(EPROTO, "malformed frame");
            return;
        }
    }
    // Still readable after a full turn: let the loop's other work run first.
    boost::asio::post(socket.get_executor(), [weak = owner.weak_from_this()] {
        if (auto self = weak.lock()) {
            self->impl_->read_some();
        }
    });
}

// Hands every complete message to on_message; false once the channel closed
// (possibly from inside the handler).
bool ControlChannel::Impl::deliver() {
    while (!closed) {
        auto message = decoder.next();
        if (!message) {
            return true;
        }
        on_message(std::move(*message));
    }
    return false;
}

void ControlChannel::Impl::write_some() {
    while (!queue.empty() && !closed) {
        Outgoing& out = queue.front();
        iovec iov{out.bytes.data() + out.sent, out.bytes.size() - out.sent};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        std::vector<char> control;
        if (!out.fds.empty()) {
            // Only the first sendmsg of a frame carries fds, so they arrive
            // with the frame's first byte.
            control.resize(CMSG_SPACE(sizeof(int) * out.fds.size()));
            msg.msg_control = control.data();
            msg.msg_controllen = control.size();
            cmsghdr* c = CMSG_FIRSTHDR(&msg);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int) * out.fds.size());
            std::memcpy(CMSG_DATA(c), out.fds.data(), sizeof(int) * out.fds.size());
        }
        const ssize_t n = ::sendmsg(socket.native_handle(), &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                wait(boost::asio::socket_base::wait_write);
                return;
            }
            fail(errno, "sendmsg");
            return;
        }
        close_all(out.fds);
        out.sent += static_cast<std::size_t>(n);
        if (out.sent == out.bytes.size()) {
            queue.pop_front();
        }
    }
}

// Waits until the socket is readable or writable, then reads or writes.
void ControlChannel::Impl::wait(boost::asio::socket_base::wait_type type) {
    const bool for_write = type == boost::asio::socket_base::wait_write;
    waiting_write = waiting_write || for_write;
    socket.async_wait(type,
                      [weak = owner.weak_from_this(), for_write](boost::system::error_code ec) {
                          auto self = weak.lock();
                          if (!self) {
                              return;
                          }
                          Impl& impl = *self->impl_;
                          impl.waiting_write = impl.waiting_write && !for_write;
                          if (impl.closed) {
                              return;
                          }
                          if (ec) {
                              impl.fail(ec.value(), for_write ? "wait for write" : "wait for read");
                          } else if (for_write) {
                              impl.write_some();
                          } else {
                              impl.read_some();
                          }
                      });
}

// The channel failed or the peer closed: close it, and tell the owner once.
void ControlChannel::Impl::fail(int error, const char* what) {
    if (closed) {
        return;
    }
    if (error == EPROTO) {
        spdlog::warn("msg=\"control channel protocol error, closing\" fd={} what={}",
                     socket.native_handle(), log_value(what));
    } else if (error != 0 && error != ECONNRESET && error != EPIPE) {
        spdlog::warn("msg=\"control channel failed, closing\" fd={} what={} error={}",
                     socket.native_handle(), log_value(what),
                     log_value(std::generic_category().message(error)));
    }
    shut_down(true);
}

void ControlChannel::Impl::shut_down(bool notify) {
    closed = true;
    close_to_notify = notify;
    boost::system::error_code ignored;
    socket.close(ignored);  // cancels pending waits
    for (auto& out : queue) {
        close_all(out.fds);
    }
    queue.clear();
    // Called later, never from inside send() or close(); this is also where
    // the handlers are released, so captures that point back at the channel
    // do not keep it alive.
    boost::asio::post(socket.get_executor(), [weak = owner.weak_from_this()] {
        if (auto self = weak.lock()) {
            self->impl_->notify_close();
        }
    });
}

void ControlChannel::Impl::notify_close() {
    if (!started) {
        return;  // start() will notify
    }
    auto handler = std::move(on_close);
    on_close = nullptr;
    on_message = nullptr;
    if (close_to_notify && handler) {
        close_to_notify = false;
        handler();
    }
}

ControlChannel::ControlChannel(boost::asio::io_context& io, int fd)
    : impl_{std::make_unique<Impl>(*this, io)} {
    boost::system::error_code ec;
    impl_->socket.assign(boost::asio::local::stream_protocol{}, fd, ec);
    if (ec) {
        ::close(fd);
        throw std::system_error(ec, "control channel: cannot use fd " + std::to_string(fd));
    }
}

ControlChannel::~ControlChannel() = default;

void ControlChannel::start(MessageHandler on_message, CloseHandler on_close) {
    if (weak_from_this().expired()) {
        throw std::logic_error("ControlChannel must be owned by a std::shared_ptr");
    }
    if (impl_->started) {
        throw std::logic_error("ControlChannel::start called twice");
    }
    impl_->started = true;
    impl_->on_message = std::move(on_message);
    impl_->on_close = std::move(on_close);
    boost::asio::post(impl_->socket.get_executor(), [weak = weak_from_this()] {
        auto self = weak.lock();
        if (!self) {
            return;
        }
        if (self->impl_->closed) {
            self->impl_->notify_close();
        } else {
            self->impl_->read_some();
        }
    });
}

void ControlChannel::send(Message message) {
    if (weak_from_this().expired()) {
        throw std::logic_error("ControlChannel must be owned by a std::shared_ptr");
    }
    if (message.fds.size() > max_fds_per_message) {
        throw std::invalid_argument("control channel: too many descriptors in one message");
    }
    if (impl_->closed) {
        return;
    }
    Outgoing out;
    out.bytes = encode_frame(message);
    for (int fd : message.fds) {
        int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (copy < 0) {
            const int error = errno;
            close_all(out.fds);
            throw std::system_error(error, std::generic_category(),
                                    "control channel: cannot duplicate fd " + std::to_string(fd));
        }
        out.fds.push_back(copy);
    }
    impl_->queue.push_back(std::move(out));
    if (!impl_->waiting_write) {
        impl_->write_some();
    }
}

void ControlChannel::close() {
    if (!impl_->closed) {
        impl_->shut_down(false);
    }
    impl_->close_to_notify = false;
}

}  // namespace turnout::worker

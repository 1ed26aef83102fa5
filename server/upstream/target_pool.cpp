#include "server/upstream/target_pool.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace turnout::server {

namespace asio = boost::asio;

TargetPool::TargetPool(asio::io_context& io, const config::Target& target,
                       const config::Keepalive& keepalive)
    : target_{target}, keepalive_{keepalive}, sweep_timer_{io} {}

TargetPool::~TargetPool() {
    close_all();
}

std::optional<TransportStream> TargetPool::checkout(bool peek) {
    const auto now = clock::now();
    while (!idle_.empty()) {
        Idle idle = std::move(idle_.back());
        idle_.pop_back();
        if (now - idle.parked_at < keepalive_.idle_timeout && still_open(idle.stream, peek)) {
            return std::move(idle.stream);
        }
        idle.stream.close();
    }
    return std::nullopt;
}

void TargetPool::checkin(TransportStream stream) {
    if (idle_.size() >= keepalive_.max_idle || !stream.socket().is_open()) {
        stream.close();
        return;
    }
    idle_.push_back(Idle{std::move(stream), clock::now()});
    arm_sweep();
}

void TargetPool::close_all() {
    for (auto& idle : idle_) {
        idle.stream.close();
    }
    idle_.clear();
    sweep_timer_.cancel();
    sweep_armed_ = false;
}

// A parked connection must have nothing to read: EOF means the target
// closed it, and bytes mean it sent something unasked (over TLS, perhaps a
// close_notify) — either way it cannot carry the next request. What the TLS
// layer holds costs nothing to look at; the kernel's takes one non-blocking
// peek, done only when `peek` asks for it.
bool TargetPool::still_open(TransportStream& stream, bool peek) {
    if (stream.has_buffered_input()) {
        return false;
    }
    if (!peek) {
        return true;
    }
    char byte;
    const auto n = ::recv(stream.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

// One timer per pool, not per connection: it wakes while connections are
// parked and closes those idle too long, so a target's idle sockets do not
// linger half-closed after it dropped them.
void TargetPool::arm_sweep() {
    if (sweep_armed_) {
        return;
    }
    sweep_armed_ = true;
    sweep_timer_.expires_after(keepalive_.idle_timeout);
    sweep_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
        auto self = weak.lock();
        if (!self || ec == asio::error::operation_aborted) {
            return;
        }
        self->sweep_armed_ = false;
        self->sweep();
    });
}

void TargetPool::sweep() {
    const auto now = clock::now();
    while (!idle_.empty() && now - idle_.front().parked_at >= keepalive_.idle_timeout) {
        idle_.front().stream.close();
        idle_.pop_front();
    }
    if (!idle_.empty()) {
        arm_sweep();
    }
}

}  // namespace turnout::server

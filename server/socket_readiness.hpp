#pragma once

// Reads and readiness waits on a plain TCP socket that, like nginx's
// `ready` flag, remember that a read emptied the socket, so the next wait
// or read makes no system call until epoll reports new bytes.
//
// Asio's reactor registers a socket once, edge-triggered, and keeps one
// flag per direction: "try the system call before waiting". A read clears
// it only at end of stream, so every read started after one that emptied
// the socket first tries a recv that fails with EAGAIN (an upstream's
// response is never there yet when its read starts), and every async_wait
// re-arms the socket with epoll_ctl, because a wait cannot tell whether
// the edge it waits for already passed. Per keep-alive request that was an
// epoll_ctl and half a failed recv more than nginx makes (perf stat -e
// 'syscalls:sys_enter_*' on a worker under wrk: 2.5 recvfrom, 2 sends and
// 1 epoll_ctl against nginx's 2 recvfrom and 2 writev).
//
// A read that returns fewer bytes than it asked for has emptied the socket:
// bytes that arrive later raise a new edge, and the reactor sets the flag
// again when epoll reports it. The read below tells the reactor so
// (done_and_exhausted, which asio's own read says only at end of stream).
// The wait below is a read-direction operation that may complete without a
// system call: started while the flag is clear it just queues (epoll
// reports the next bytes); started while it is set, it peeks one byte
// (bytes, end of stream or an error end it; EAGAIN queues it).
//
// Written against Boost 1.81's epoll reactor (Debian 12), whose operation
// and service interfaces are asio's detail namespace: the socket's
// implementation and its service's start_op are reached through
// pointers to members formed in derived classes, which C++ allows for
// protected members.

#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/detail/bind_handler.hpp>
#include <boost/asio/detail/fenced_block.hpp>
#include <boost/asio/detail/handler_alloc_helpers.hpp>
#include <boost/asio/detail/handler_cont_helpers.hpp>
#include <boost/asio/detail/handler_work.hpp>
#include <boost/asio/detail/memory.hpp>
#include <boost/asio/detail/reactive_socket_service.hpp>
#include <boost/asio/detail/reactor.hpp>
#include <boost/asio/detail/reactor_op.hpp>
#include <boost/asio/detail/socket_ops.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/version.hpp>

#include <sys/socket.h>

#include <type_traits>
#include <utility>

// Another Boost: check reactor_op, epoll_reactor::start_op and
// reactive_socket_service_base::start_op against what follows.
#if BOOST_VERSION != 108100 || !defined(BOOST_ASIO_HAS_EPOLL)
#error "server/socket_readiness.hpp is written for Boost 1.81's epoll reactor (Debian 12)"
#endif

namespace turnout::server::readiness {

namespace internals {

namespace asio_detail = boost::asio::detail;
using Service = asio_detail::reactive_socket_service<boost::asio::ip::tcp>;

template <class Socket>
struct SocketAccess : Socket {
    static auto& impl(Socket& socket) { return socket.*(&SocketAccess::impl_); }
};

struct ServiceAccess : Service {
    // Starts `op` on the socket's reactor: performed at once when the
    // reactor's flag says the socket may be ready, else when epoll reports
    // it ready (on a closed socket it fails at once).
    static void start(Service& service, Service::implementation_type& socket,
                      asio_detail::reactor_op* op, bool is_continuation) {
        (service.*(&ServiceAccess::start_op))(socket, asio_detail::reactor::read_op, op,
                                              is_continuation, true, false);
    }
};

// Whether this thread is inside a start: an operation performed now runs
// on the reactor's flag, not on an event epoll reported.
inline thread_local bool starting = false;

enum class Kind { read, wait };

// A read into one buffer, or a wait for readability, on the socket's
// reactor: asio's reactive_socket_recv_op and reactive_wait_op, but for
// what perform() tells the reactor.
template <Kind kind, class Handler, class IoExecutor>
class SocketOp : public asio_detail::reactor_op {
public:
    BOOST_ASIO_DEFINE_HANDLER_PTR(SocketOp);

    SocketOp(int descriptor, boost::asio::mutable_buffer buffer, Handler& handler,
             const IoExecutor& io_executor)
        : reactor_op(boost::system::error_code{}, &SocketOp::perform, &SocketOp::complete),
          descriptor_{descriptor}, buffer_{buffer}, handler_(std::move(handler)),
          work_(handler_, io_executor) {}

private:
    static status perform(reactor_op* base) {
        auto* op = static_cast<SocketOp*>(base);
        if constexpr (kind == Kind::read) {
            if (!asio_detail::socket_ops::non_blocking_recv1(op->descriptor_, op->buffer_.data(),
                                                             op->buffer_.size(), 0, true, op->ec_,
                                                             op->bytes_transferred_)) {
                return not_done;
            }
            const bool emptied = !op->ec_ ? op->bytes_transferred_ < op->buffer_.size()
                                          : op->ec_ == boost::asio::error::eof;
            return emptied ? done_and_exhausted : done;
        } else {
            // From epoll's report the socket is readable (bytes, end of
            // stream or an error, which the next read returns). At the
            // start only the reactor's flag is known, and one byte's peek
            // tells.
            if (!starting) {
                return done;
            }
            char byte = 0;
            std::size_t peeked = 0;
            boost::system::error_code ignored;
            return asio_detail::socket_ops::non_blocking_recv1(op->descriptor_, &byte, 1, MSG_PEEK,
                                                               true, ignored, peeked)
                       ? done
                       : not_done;
        }
    }

    static void complete(void* owner, asio_detail::operation* base,
                         const boost::system::error_code&, std::size_t) {
        auto* op = static_cast<SocketOp*>(base);
        ptr p = {asio_detail::addressof(op->handler_), op, op};
        asio_detail::handler_work<Handler, IoExecutor> work(std::move(op->work_));
        // The handler leaves the operation's memory before the upcall, which
        // may start the next operation in it.
        auto handler = bound(op);
        p.h = asio_detail::addressof(handler.handler_);
        p.reset();
        if (owner) {
            asio_detail::fenced_block fence(asio_detail::fenced_block::half);
            work.complete(handler, handler.handler_);
        }
    }

    static auto bound(SocketOp* op) {
        if constexpr (kind == Kind::read) {
            return asio_detail::binder2<Handler, boost::system::error_code, std::size_t>(
                op->handler_, op->ec_, op->bytes_transferred_);
        } else {
            return asio_detail::binder1<Handler, boost::system::error_code>(op->handler_, op->ec_);
        }
    }

    // A wait has no buffer: an idle connection keeps its wait pending, and
    // each byte of it is a byte of every idle connection.
    struct NoBuffer {
        explicit NoBuffer(boost::asio::mutable_buffer) {}
    };

    int descriptor_;
    [[no_unique_address]] std::conditional_t<kind == Kind::read, boost::asio::mutable_buffer,
                                             NoBuffer>
        buffer_;
    Handler handler_;
    asio_detail::handler_work<Handler, IoExecutor> work_;
};

template <Kind kind, class Socket, class Handler>
void start(Socket& socket, boost::asio::mutable_buffer buffer, Handler& handler) {
    using Op = SocketOp<kind, Handler, typename Socket::executor_type>;
    const bool is_continuation = boost_asio_handler_cont_helpers::is_continuation(handler);
    typename Op::ptr p = {boost::asio::detail::addressof(handler), Op::ptr::allocate(handler),
                          nullptr};
    p.p = new (p.v) Op(socket.native_handle(), buffer, handler, socket.get_executor());
    auto& impl = SocketAccess<Socket>::impl(socket);
    starting = true;
    ServiceAccess::start(impl.get_service(), impl.get_implementation(), p.p, is_continuation);
    starting = false;
    p.v = p.p = nullptr;
}

}  // namespace internals

// Reads at most buffer.size() bytes from `socket`, then handler(ec, bytes),
// as socket.async_read_some does (end of stream is error::eof).
template <class Socket, class Handler>
void read_some(Socket& socket, boost::asio::mutable_buffer buffer, Handler&& handler) {
    if (buffer.size() == 0) {
        socket.async_read_some(buffer, std::forward<Handler>(handler));
        return;
    }
    std::decay_t<Handler> own(std::forward<Handler>(handler));
    internals::start<internals::Kind::read>(socket, buffer, own);
}

// handler(ec) once `socket` is readable, as socket.async_wait(wait_read)
// does; the bytes stay in the socket for the next read.
template <class Socket, class Handler>
void wait_readable(Socket& socket, Handler&& handler) {
    std::decay_t<Handler> own(std::forward<Handler>(handler));
    internals::start<internals::Kind::wait>(socket, boost::asio::mutable_buffer{}, own);
}

}  // namespace turnout::server::readiness

#pragma once

// The readiness wait an idle connection keeps pending between requests,
// allocated to its own size.
//
// Asio allocates an operation through a per-thread cache of recycled
// blocks, and a recycled block keeps the size of the largest operation
// that used it: an idle connection's 96-byte wait held the 352-byte block
// of an upstream response read: 0.35 kB of the 0.8 kB an idle connection
// cost (massif over 2,000 idle connections). A wait that may last as long
// as a client likes gets a block of its own size instead, from a small
// per-thread cache of blocks of that size (a malloc and a free would add
// 170 instructions to a keep-alive request, the cache adds 50).

#include "server/socket_readiness.hpp"

#include <boost/asio/associator.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <array>
#include <cstddef>
#include <type_traits>
#include <utility>

namespace turnout::server {

// Freed blocks of one size, for the next waits. Every idle wait is the
// same operation type (a handler holding a shared_ptr), so one size is all
// it sees in practice; a block of another size comes from and goes to the
// heap. Under load a keep-alive request frees one wait and starts another,
// so a few dozen blocks cover a busy worker; above that, blocks go back to
// the heap.
class WaitBlockCache {
public:
    static constexpr std::size_t capacity = 64;

    WaitBlockCache() = default;
    WaitBlockCache(const WaitBlockCache&) = delete;
    WaitBlockCache& operator=(const WaitBlockCache&) = delete;
    ~WaitBlockCache();

    void* take(std::size_t size);
    void give_back(void* block, std::size_t size) noexcept;

    // The calling thread's.
    static WaitBlockCache& of_this_thread();

private:
    std::array<void*, capacity> blocks_{};
    std::size_t count_ = 0;
    std::size_t size_ = 0;
};

template <class T>
class IdleWaitAllocator {
public:
    using value_type = T;

    IdleWaitAllocator() = default;
    template <class U>
    IdleWaitAllocator(const IdleWaitAllocator<U>&) noexcept {}

    T* allocate(std::size_t n) {
        return static_cast<T*>(WaitBlockCache::of_this_thread().take(n * sizeof(T)));
    }
    void deallocate(T* p, std::size_t n) noexcept {
        WaitBlockCache::of_this_thread().give_back(p, n * sizeof(T));
    }

    template <class U>
    bool operator==(const IdleWaitAllocator<U>&) const noexcept {
        return true;
    }
};

// A handler whose operation is allocated by IdleWaitAllocator. Not
// bind_allocator: its binder keeps the (empty) allocator as a member, 8
// bytes more in every idle connection's wait.
template <class Handler>
struct IdleWaitHandler {
    using allocator_type = IdleWaitAllocator<void>;
    allocator_type get_allocator() const noexcept { return {}; }

    void operator()(boost::system::error_code ec) { handler(ec); }

    Handler handler;
};

// Waits until `socket` is readable (or fails), then calls handler(ec).
template <class Socket, class Handler>
void wait_while_idle(Socket& socket, Handler&& handler) {
    readiness::wait_readable(
        socket, IdleWaitHandler<std::decay_t<Handler>>{std::forward<Handler>(handler)});
}

}  // namespace turnout::server

// What the wrapped handler has associated besides an allocator (an
// executor, a cancellation slot) stays associated with the wrapper, as
// bind_allocator's binder does.
template <template <class, class> class Associator, class Handler, class DefaultCandidate>
struct boost::asio::associator<Associator, turnout::server::IdleWaitHandler<Handler>,
                               DefaultCandidate> : Associator<Handler, DefaultCandidate> {
    static typename Associator<Handler, DefaultCandidate>::type get(
        const turnout::server::IdleWaitHandler<Handler>& wrapper,
        const DefaultCandidate& candidate = DefaultCandidate()) noexcept {
        return Associator<Handler, DefaultCandidate>::get(wrapper.handler, candidate);
    }
};

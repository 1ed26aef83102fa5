#pragma once

// What a client connection needs while a proxied exchange runs, besides the
// request state: the response's head text, a small room for the body bytes
// that come with the head, and the 64 KiB body buffer. A session borrows
// ExchangeBuffers from its worker's pool when a request is routed and gives
// them back once the exchange is over, so an idle keep-alive connection
// holds none (tens of kB each, where nginx needs about one).
//
// The body buffer is borrowed only once a body moves through it: a small
// response, whole in the upstream's first read, goes out from head_body.
// The pools keep what every exchange that ran at once borrowed, and what a
// burst touched stays resident; a 64 KiB buffer that held a few bytes cost
// about 2 kB more per exchange than the small room. An HTTP/2 connection
// and its streams borrow body buffers alone.

#include "server/http/chunk_framing.hpp"
#include "server/http/response_head.hpp"
#include "server/lending_pool.hpp"

#include <array>
#include <cstddef>
#include <memory>
#include <span>
#include <string>

namespace turnout::server {

struct BodyBuffer {
    static constexpr std::size_t size = 64 * 1024;

    void reset() {}

    std::array<char, size> bytes;
};

using BodyBufferPool = LendingPool<BodyBuffer>;

// The worker's pool: a worker serves on one thread, and the master, which
// starts the workers, serves no request.
BodyBufferPool& worker_body_buffers();

struct ExchangeBuffers {
    // A body that came whole with its head, as most small responses do;
    // more than this goes to the body buffer (ProxyExchange::rewrite_response).
    static constexpr std::size_t head_body_size = 512;

    // For the pool: what comes back holds no response (head_text keeps
    // its capacity for the next) and no body buffer.
    void reset();
    // The body buffer, borrowed on first use.
    std::span<char> body();

    // The response being written (its head first, as head_text, then its
    // body pieces as they are, each framed as a chunk when it is chunked).
    const ResponseHead* response = nullptr;
    std::string head_text;
    ChunkSizeLine chunk_size{};
    std::unique_ptr<BodyBuffer> body_buffer;
    // Last, so the few bytes it holds share the fields' page.
    std::array<char, head_body_size> head_body;
};

using ExchangeBufferPool = LendingPool<ExchangeBuffers>;

ExchangeBufferPool& worker_exchange_buffers();

}  // namespace turnout::server

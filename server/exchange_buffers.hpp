#pragma once

// What a client connection needs while a proxied exchange runs, besides the
// request state: the 64 KiB body buffer and the response's head text. A
// session borrows one from its worker's pool when a request is routed and
// gives it back once the exchange is over, so an idle keep-alive
// connection holds none (tens of kB each, where nginx needs about one). An
// HTTP/2 stream borrows one only once its body moves (H2Stream).

#include "server/http/chunk_framing.hpp"
#include "server/http/response_head.hpp"
#include "server/lending_pool.hpp"

#include <array>
#include <cstddef>
#include <string>

namespace turnout::server {

struct ExchangeBuffers {
    static constexpr std::size_t body_size = 64 * 1024;

    // For the pool: what comes back holds no response (head_text keeps
    // its capacity for the next).
    void reset() { response = nullptr; }

    // The response being written (its head first, as head_text, then its
    // body pieces as they are, each framed as a chunk when it is chunked).
    const ResponseHead* response = nullptr;
    std::string head_text;
    ChunkSizeLine chunk_size{};
    // Last, so a small exchange that fills only the start of it touches
    // one page more than the fields above, not two.
    std::array<char, body_size> body;
};

using ExchangeBufferPool = LendingPool<ExchangeBuffers>;

// The worker's pool: a worker serves on one thread, and the master, which
// forks the workers, serves no request.
ExchangeBufferPool& worker_exchange_buffers();

}  // namespace turnout::server

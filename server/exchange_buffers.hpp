#pragma once

// What a client connection needs while a proxied exchange runs, besides the
// request state: the 64 KiB body buffer and the response serializer. A
// session borrows one from its worker's pool when a request is routed and
// gives it back once the exchange is over, so an idle keep-alive
// connection holds none (tens of kB each, where nginx needs about one). An
// HTTP/2 stream borrows one only once its body moves (H2Stream).

#include "server/lending_pool.hpp"

#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/serializer.hpp>

#include <array>
#include <cstddef>
#include <optional>

namespace turnout::server {

struct ExchangeBuffers {
    static constexpr std::size_t body_size = 64 * 1024;
    using ResponseSerializer =
        boost::beast::http::response_serializer<boost::beast::http::buffer_body>;

    // For the pool: what comes back holds no response.
    void reset() { response.reset(); }

    std::array<char, body_size> body;
    std::optional<ResponseSerializer> response;
};

using ExchangeBufferPool = LendingPool<ExchangeBuffers>;

// The worker's pool: a worker serves on one thread, and the master, which
// forks the workers, serves no request.
ExchangeBufferPool& worker_exchange_buffers();

}  // namespace turnout::server

#pragma once

// What a client connection needs while a proxied exchange runs, besides the
// request parser: the 64 KiB body buffer and the response serializer. A
// session borrows one from its worker's pool when a request is routed and
// gives it back once the exchange is over, so an idle keep-alive
// connection holds none (tens of kB each, where nginx needs about one). An
// HTTP/2 stream borrows one only once its body moves (H2Stream).

#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/serializer.hpp>

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

namespace turnout::server {

struct ExchangeBuffers {
    static constexpr std::size_t body_size = 64 * 1024;
    using ResponseSerializer =
        boost::beast::http::response_serializer<boost::beast::http::buffer_body>;

    std::array<char, body_size> body;
    std::optional<ResponseSerializer> response;
};

// One per worker (single-threaded: no lock). Keeps at most `max_free`
// returned buffers for the next exchanges and frees the rest, so a burst of
// concurrent exchanges does not pin its memory for good.
class ExchangeBufferPool {
public:
    static constexpr std::size_t max_free = 64;

    // A free one, or a new one when none is free.
    std::unique_ptr<ExchangeBuffers> take();
    // The serializer is reset here: what comes back holds no response.
    void give_back(std::unique_ptr<ExchangeBuffers> buffers);

    std::size_t free_count() const { return free_.size(); }

private:
    std::vector<std::unique_ptr<ExchangeBuffers>> free_;
};

// The worker's pool: a worker serves on one thread, and the master, which
// forks the workers, serves no request.
ExchangeBufferPool& worker_exchange_buffers();

}  // namespace turnout::server

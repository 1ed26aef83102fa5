#include "server/exchange_buffers.hpp"

namespace turnout::server {

BodyBufferPool& worker_body_buffers() {
    static BodyBufferPool pool;
    return pool;
}

void ExchangeBuffers::reset() {
    response = nullptr;
    if (body_buffer) {
        worker_body_buffers().give_back(std::move(body_buffer));
    }
}

std::span<char> ExchangeBuffers::body() {
    if (!body_buffer) {
        body_buffer = worker_body_buffers().take();
    }
    return body_buffer->bytes;
}

ExchangeBufferPool& worker_exchange_buffers() {
    static ExchangeBufferPool pool;
    return pool;
}

}  // namespace turnout::server

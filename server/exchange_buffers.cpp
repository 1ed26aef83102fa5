#include "server/exchange_buffers.hpp"

namespace turnout::server {

std::unique_ptr<ExchangeBuffers> ExchangeBufferPool::take() {
    if (free_.empty()) {
        // Not value-initialized: zeroing 64 KiB a body overwrites anyway
        // cost more than the rest of a small exchange.
        return std::make_unique_for_overwrite<ExchangeBuffers>();
    }
    auto buffers = std::move(free_.back());
    free_.pop_back();
    return buffers;
}

void ExchangeBufferPool::give_back(std::unique_ptr<ExchangeBuffers> buffers) {
    if (!buffers) {
        return;
    }
    buffers->response.reset();
    if (free_.size() < max_free) {
        free_.push_back(std::move(buffers));
    }
}

ExchangeBufferPool& worker_exchange_buffers() {
    static ExchangeBufferPool pool;
    return pool;
}

}  // namespace turnout::server

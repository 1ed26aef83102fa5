#include "server/exchange_buffers.hpp"

namespace turnout::server {

ExchangeBufferPool& worker_exchange_buffers() {
    static ExchangeBufferPool pool;
    return pool;
}

}  // namespace turnout::server

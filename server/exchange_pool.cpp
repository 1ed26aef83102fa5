#include "server/exchange_pool.hpp"

namespace turnout::server {

ExchangePool::ExchangePool(boost::asio::io_context& io)
    : boost::asio::execution_context::service{io}, io_{io} {}

ExchangePool& ExchangePool::of(boost::asio::io_context& io) {
    return boost::asio::use_service<ExchangePool>(io);
}

boost::intrusive_ptr<ProxyExchange> ExchangePool::take() {
    if (free_.empty()) {
        return boost::intrusive_ptr<ProxyExchange>{new ProxyExchange{*this, io_.get_executor()}};
    }
    boost::intrusive_ptr<ProxyExchange> exchange{free_.back().release()};
    free_.pop_back();
    return exchange;
}

void ExchangePool::give_back(ProxyExchange* exchange) {
    std::unique_ptr<ProxyExchange> owned{exchange};
    owned->end_request();
    if (!shut_down_ && free_.size() < max_free) {
        free_.push_back(std::move(owned));
    }
}

void ExchangePool::shutdown() {
    shut_down_ = true;
    free_.clear();
}

}  // namespace turnout::server

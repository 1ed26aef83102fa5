#include "server/exchange_pool.hpp"

#include <boost/asio/execution/context.hpp>
#include <boost/asio/query.hpp>

namespace turnout::server {

ExchangePool::ExchangePool(boost::asio::execution_context& context)
    : boost::asio::execution_context::service{context} {}

ExchangePool& ExchangePool::of(const boost::asio::any_io_executor& executor) {
    auto& pool = boost::asio::use_service<ExchangePool>(
        boost::asio::query(executor, boost::asio::execution::context));
    if (!pool.executor_) {
        pool.executor_.emplace(executor);
    }
    return pool;
}

boost::intrusive_ptr<ProxyExchange> ExchangePool::take() {
    if (free_.empty()) {
        return boost::intrusive_ptr<ProxyExchange>{new ProxyExchange{*this, *executor_}};
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

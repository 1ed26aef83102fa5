#pragma once

// The ProxyExchanges of one worker (one io_context), lent one per request
// instead of made and freed per request: an exchange with its
// UpstreamAttempt, deadline and read buffer cost about 2,000 instructions
// per request to allocate and free. An exchange comes back when the last
// boost::intrusive_ptr to it goes (its handlers hold them), holding nothing
// of the request it served (ProxyExchange::end_request).
//
// At most max_free wait here; one coming back beyond that is freed, so a
// burst of concurrent requests does not pin its memory for good. Those
// still here when the context shuts down are freed with it, before the
// services their sockets and deadlines use are.

#include "server/proxy_exchange.hpp"

#include <boost/asio/execution_context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/intrusive_ptr.hpp>

#include <cstddef>
#include <memory>
#include <vector>

namespace turnout::server {

class ExchangePool final : public boost::asio::execution_context::service {
public:
    using key_type = ExchangePool;
    static inline boost::asio::execution_context::id id;
    static constexpr std::size_t max_free = 256;

    explicit ExchangePool(boost::asio::io_context& io);

    // The pool of the worker's io_context, made on first use.
    static ExchangePool& of(boost::asio::io_context& io);

    // An exchange for one request: a free one, or a new one when none is free.
    boost::intrusive_ptr<ProxyExchange> take();
    // From the exchange's last reference going.
    void give_back(ProxyExchange* exchange);

    std::size_t free_count() const { return free_.size(); }

private:
    void shutdown() override;

    boost::asio::io_context& io_;  // whose executor the exchanges' connections use
    std::vector<std::unique_ptr<ProxyExchange>> free_;
    // Once the context shuts down, an exchange coming back (with a
    // handler destroyed unrun) is freed at once.
    bool shut_down_ = false;
};

}  // namespace turnout::server

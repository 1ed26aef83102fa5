// The worker's pool of proxy exchanges: an exchange whose last reference
// goes comes back and is lent again instead of a new one, at most max_free
// wait, and those waiting (or coming back late) go with their io_context.

#include "server/exchange_pool.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <catch2/catch.hpp>

#include <optional>
#include <vector>

using turnout::server::ExchangePool;
using turnout::server::ProxyExchange;

TEST_CASE("an exchange whose last reference went is lent again", "[server]") {
    boost::asio::io_context io;
    auto& pool = ExchangePool::of(io);
    CHECK(&ExchangePool::of(io) == &pool);
    auto first = pool.take();
    const ProxyExchange* address = first.get();
    auto second_reference = first;
    first.reset();
    CHECK(pool.free_count() == 0);  // a handler still holds it
    second_reference.reset();
    CHECK(pool.free_count() == 1);
    auto again = pool.take();
    CHECK(again.get() == address);
    CHECK(pool.free_count() == 0);
}

TEST_CASE("the exchange pool keeps at most max_free after a burst", "[server]") {
    boost::asio::io_context io;
    auto& pool = ExchangePool::of(io);
    std::vector<boost::intrusive_ptr<ProxyExchange>> lent;
    for (std::size_t i = 0; i < ExchangePool::max_free + 10; ++i) {
        lent.push_back(pool.take());
    }
    lent.clear();
    CHECK(pool.free_count() == ExchangePool::max_free);
}

TEST_CASE("an exchange outliving its io_context's shutdown is freed, not kept", "[server]") {
    std::optional<boost::asio::io_context> io{std::in_place};
    auto& pool = ExchangePool::of(*io);
    auto kept = pool.take();
    pool.take();  // back at once
    CHECK(pool.free_count() == 1);
    // A handler destroyed unrun at shutdown lets go of its exchange then.
    boost::asio::post(*io, [kept = std::move(kept)] {});
    io.reset();
}

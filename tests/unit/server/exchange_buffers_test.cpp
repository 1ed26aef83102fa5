// The worker's pool of exchange buffers: lent while an exchange runs, kept
// for the next one (all of them while any is lent, up to a bound once none
// is), and never handed out holding a response.

#include "server/exchange_buffers.hpp"

#include <catch2/catch.hpp>

#include <vector>

using turnout::server::ExchangeBufferPool;
using turnout::server::ExchangeBuffers;

TEST_CASE("a returned buffer is lent again instead of a new one", "[server]") {
    ExchangeBufferPool pool;
    auto first = pool.take();
    const ExchangeBuffers* address = first.get();
    pool.give_back(std::move(first));
    CHECK(pool.free_count() == 1);
    auto again = pool.take();
    CHECK(again.get() == address);
    CHECK(pool.free_count() == 0);
}

TEST_CASE("the pool keeps at most max_free buffers after a burst", "[server]") {
    ExchangeBufferPool pool;
    std::vector<std::unique_ptr<ExchangeBuffers>> lent;
    for (std::size_t i = 0; i < ExchangeBufferPool::max_free + 10; ++i) {
        lent.push_back(pool.take());
    }
    for (auto& buffers : lent) {
        pool.give_back(std::move(buffers));
    }
    CHECK(pool.free_count() == ExchangeBufferPool::max_free);
}

TEST_CASE("the pool frees nothing while buffers are lent beyond max_free", "[server]") {
    ExchangeBufferPool pool;
    std::vector<std::unique_ptr<ExchangeBuffers>> lent;
    for (std::size_t i = 0; i < ExchangeBufferPool::max_free * 2; ++i) {
        lent.push_back(pool.take());
    }
    // A steady load: one exchange ends and the next one starts, again and
    // again, with max_free * 2 in flight. Each start gets a kept buffer.
    for (std::size_t round = 0; round < ExchangeBufferPool::max_free * 4; ++round) {
        auto& slot = lent[round % lent.size()];
        const ExchangeBuffers* returned = slot.get();
        pool.give_back(std::move(slot));
        slot = pool.take();
        CHECK(slot.get() == returned);
    }
    auto last = std::move(lent.back());
    lent.pop_back();
    for (auto& buffers : lent) {
        pool.give_back(std::move(buffers));
    }
    CHECK(pool.free_count() == ExchangeBufferPool::max_free * 2 - 1);
    pool.give_back(std::move(last));  // nothing lent any more: trimmed
    CHECK(pool.free_count() == ExchangeBufferPool::max_free);
}

TEST_CASE("a returned buffer holds no response", "[server]") {
    ExchangeBufferPool pool;
    auto buffers = pool.take();
    const turnout::server::ResponseHead response;
    buffers->response = &response;
    pool.give_back(std::move(buffers));
    CHECK(pool.take()->response == nullptr);
}

TEST_CASE("giving back nothing is harmless", "[server]") {
    ExchangeBufferPool pool;
    pool.give_back(nullptr);
    CHECK(pool.free_count() == 0);
}

TEST_CASE("the body buffer is borrowed on first use and goes back with the exchange", "[server]") {
    auto& bodies = turnout::server::worker_body_buffers();
    ExchangeBufferPool pool;
    auto buffers = pool.take();
    CHECK_FALSE(buffers->body_buffer);
    const auto before = bodies.free_count();

    const auto body = buffers->body();
    CHECK(body.size() == turnout::server::BodyBuffer::size);
    CHECK(buffers->body().data() == body.data());  // the same one for the whole exchange

    pool.give_back(std::move(buffers));
    CHECK(bodies.free_count() == before + 1);
    CHECK_FALSE(pool.take()->body_buffer);
}

// A connection's request state, lent from the worker's pool while a request
// is in flight: ready for the next request under the current limits, and
// returned holding nothing of the one it served.

#include "server/request_state.hpp"

#include <boost/asio/buffer.hpp>

#include <catch2/catch.hpp>

#include <string_view>

using turnout::server::RequestState;
using turnout::server::RequestStatePool;

namespace {

void put(RequestState& state, std::string_view bytes) {
    const auto room = state.input.prepare(bytes.size());
    boost::asio::buffer_copy(room, boost::asio::buffer(bytes.data(), bytes.size()));
    state.input.commit(bytes.size());
}

}  // namespace

TEST_CASE("a request state reads under the limits current when the request starts", "[server]") {
    RequestState state;
    turnout::config::Limits limits;
    limits.max_header_bytes = 100;
    state.start_request(limits);
    REQUIRE(state.parser.has_value());
    boost::system::error_code ec;
    const std::string_view head =
        "GET / HTTP/1.1\r\nHost: a\r\nX-Long: "
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "\r\n\r\n";
    state.parser->put(boost::asio::buffer(head.data(), head.size()), ec);
    CHECK(ec == boost::beast::http::error::header_limit);
}

TEST_CASE("bytes behind a request stay for the next one", "[server]") {
    RequestState state;
    put(state, "GET /next HTTP/1.1\r\n");
    state.start_request({});
    CHECK(state.input.size() == 20);
    CHECK(state.head_scanned == 0);
}

TEST_CASE("a returned request state holds nothing of its request", "[server]") {
    RequestStatePool pool;
    auto state = pool.take();
    state->start_request({});
    put(*state, std::string(3 * RequestState::max_kept_room, 'x'));
    state->error_response.emplace();
    state->body_handler = [](boost::system::error_code, std::size_t) {};
    const RequestState* address = state.get();
    pool.give_back(std::move(state));

    auto again = pool.take();
    CHECK(again.get() == address);
    CHECK_FALSE(again->parser.has_value());
    CHECK_FALSE(again->error_response.has_value());
    CHECK_FALSE(again->body_handler);
    CHECK(again->input.size() == 0);
    // A buffer grown past max_kept_room goes back to the usual size.
    CHECK(again->input.capacity() == RequestState::input_size);
}

TEST_CASE("a returned request state keeps the room a long head grew", "[server]") {
    RequestStatePool pool;
    auto state = pool.take();
    state->start_request({});
    put(*state, std::string(4 * RequestState::input_size, 'x'));
    const auto grown = state->input.capacity();
    REQUIRE(grown > RequestState::input_size);
    REQUIRE(grown <= RequestState::max_kept_room);
    pool.give_back(std::move(state));
    // The next request with a head as long needs no new buffer.
    CHECK(pool.take()->input.capacity() == grown);
}

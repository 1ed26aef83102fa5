#include "server/inline_handler.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <utility>

using turnout::server::InlineHandler;

namespace {

using Handler = InlineHandler<32, int, std::string>;

}  // namespace

TEST_CASE("an inline handler calls what it holds with its arguments", "[server][inline_handler]") {
    int got_number = 0;
    std::string got_text;
    Handler handler{[&](int number, std::string text) {
        got_number = number;
        got_text = std::move(text);
    }};
    REQUIRE(handler);
    handler(7, "seven");
    CHECK(got_number == 7);
    CHECK(got_text == "seven");
}

TEST_CASE("an inline handler owns its captures: moved, then destroyed once",
          "[server][inline_handler]") {
    auto owned = std::make_shared<int>(1);
    std::weak_ptr<int> watch = owned;
    int calls = 0;
    {
        Handler first{[owned = std::move(owned), &calls](int, const std::string&) { ++calls; }};
        CHECK(watch.use_count() == 1);
        Handler second{std::move(first)};
        CHECK_FALSE(first);  // NOLINT: checking the moved-from state is the point
        CHECK(watch.use_count() == 1);
        Handler third;
        CHECK_FALSE(third);
        third = std::move(second);
        CHECK(watch.use_count() == 1);
        third(1, "x");
        CHECK(calls == 1);
        CHECK_FALSE(watch.expired());
    }
    CHECK(watch.expired());
}

TEST_CASE("assigning over an inline handler destroys what it held", "[server][inline_handler]") {
    auto owned = std::make_shared<int>(1);
    std::weak_ptr<int> watch = owned;
    Handler handler{[owned = std::move(owned)](int, const std::string&) {}};
    handler = Handler{[](int, const std::string&) {}};
    CHECK(watch.expired());
    CHECK(handler);
}

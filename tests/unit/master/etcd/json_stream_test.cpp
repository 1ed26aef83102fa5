// The watch stream's JSON objects are found across any chunk boundary.

#include "master/etcd/json_stream.hpp"

#include <catch2/catch.hpp>

using turnout::master::etcd::JsonObjectSplitter;

namespace {

// Two objects as the gateway sends them, with the awkward parts: braces and
// brackets inside strings, escaped quotes, an escaped backslash before a
// quote, nested objects and arrays, a newline between objects.
const std::string first =
    R"({"result":{"header":{"revision":"7"},"events":[{"kv":{"key":"e30=","value":"a}\"{]["}}]}})";
const std::string second =
    R"({"result":{"note":"ends with a backslash \\","list":[[],{}],"canceled":true}})";
const std::string stream = first + "\n" + second + "\n";

std::vector<std::string> feed_in_pieces(const std::vector<std::size_t>& cuts) {
    JsonObjectSplitter splitter{1 << 20};
    std::vector<std::string> objects;
    std::size_t from = 0;
    for (std::size_t cut : cuts) {
        bool ok = false;
        for (auto& object : splitter.feed(std::string_view{stream}.substr(from, cut - from), ok)) {
            objects.push_back(std::move(object));
        }
        REQUIRE(ok);
        from = cut;
    }
    return objects;
}

}  // namespace

TEST_CASE("objects split at every single point come out whole and in order", "[etcd]") {
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
        INFO("split at " << cut);
        auto objects = feed_in_pieces({cut, stream.size()});
        REQUIRE(objects.size() == 2);
        CHECK(objects[0] == first);
        CHECK(objects[1] == second);
    }
}

TEST_CASE("objects split at every pair of points come out whole", "[etcd]") {
    for (std::size_t a = 0; a <= stream.size(); a += 3) {
        for (std::size_t b = a; b <= stream.size(); b += 7) {
            INFO("split at " << a << " and " << b);
            auto objects = feed_in_pieces({a, b, stream.size()});
            REQUIRE(objects.size() == 2);
            CHECK(objects[1] == second);
        }
    }
}

TEST_CASE("objects fed one byte at a time come out whole", "[etcd]") {
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i <= stream.size(); ++i) {
        cuts.push_back(i);
    }
    auto objects = feed_in_pieces(cuts);
    REQUIRE(objects.size() == 2);
    CHECK(objects[0] == first);
}

TEST_CASE("an object not yet complete is held back", "[etcd]") {
    JsonObjectSplitter splitter{1 << 20};
    bool ok = false;
    CHECK(splitter.feed(first.substr(0, 10), ok).empty());
    CHECK(ok);
    CHECK(splitter.pending() == 10);
}

TEST_CASE("bytes between objects other than whitespace break the stream", "[etcd]") {
    JsonObjectSplitter splitter{1 << 20};
    bool ok = true;
    auto objects = splitter.feed(first + " x", ok);
    CHECK(objects.size() == 1);
    CHECK_FALSE(ok);
}

TEST_CASE("an object over the limit breaks the stream", "[etcd]") {
    JsonObjectSplitter splitter{16};
    bool ok = true;
    CHECK(splitter.feed(first, ok).empty());
    CHECK_FALSE(ok);
}

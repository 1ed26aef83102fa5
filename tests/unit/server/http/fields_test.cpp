// Header fields take their blocks from per-thread free lists by size class:
// a block given back is the next one taken of its class, large blocks and
// other classes are not mixed up, and fields behave as Beast's own.

#include "server/http/fields.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

namespace http = boost::beast::http;
using turnout::server::Fields;
namespace field_blocks = turnout::server::field_blocks;

TEST_CASE("a block given back is the next one taken of its size", "[server][fields]") {
    if (!field_blocks::pooling) {
        WARN("not pooled under AddressSanitizer");
        return;
    }
    void* first = field_blocks::take(100);
    std::memset(first, 0xab, 100);
    field_blocks::give_back(first, 100);
    // 100 and 120 bytes are one 128-byte class.
    void* again = field_blocks::take(120);
    CHECK(again == first);
    std::memset(again, 0xcd, 120);
    void* other = field_blocks::take(200);
    CHECK(other != again);
    field_blocks::give_back(other, 200);
    field_blocks::give_back(again, 120);
}

TEST_CASE("blocks over 512 bytes come from operator new each time", "[server][fields]") {
    void* large = field_blocks::take(4096);
    std::memset(large, 0, 4096);
    field_blocks::give_back(large, 4096);
    void* small = field_blocks::take(512);
    std::memset(small, 0, 512);
    field_blocks::give_back(small, 512);
}

TEST_CASE("a thread keeps at most 256 free blocks of a size", "[server][fields]") {
    if (!field_blocks::pooling) {
        WARN("not pooled under AddressSanitizer");
        return;
    }
    std::vector<void*> blocks;
    for (int i = 0; i < 300; ++i) {
        blocks.push_back(field_blocks::take(64));
    }
    for (void* block : blocks) {
        field_blocks::give_back(block, 64);
    }
    // The 256 kept are handed out again first, newest first; the rest went
    // back to the heap.
    std::vector<void*> again;
    for (int i = 0; i < 256; ++i) {
        again.push_back(field_blocks::take(64));
    }
    CHECK(again.front() == blocks[255]);
    CHECK(again.back() == blocks[0]);
    for (void* block : again) {
        field_blocks::give_back(block, 64);
    }
}

TEST_CASE("fields on the free lists read, replace and erase as Beast's own", "[server][fields]") {
    const std::string long_value(2000, 'v');
    for (int round = 0; round < 3; ++round) {
        Fields fields;
        fields.insert(http::field::host, "example.com");
        fields.insert("X-Long", long_value);
        fields.insert("X-Many", "1");
        fields.insert("X-Many", "2");
        fields.set(http::field::host, "other.example.com");
        fields.erase("X-Many");
        CHECK(fields[http::field::host] == "other.example.com");
        CHECK(fields["X-Long"] == long_value);
        CHECK(fields.count("X-Many") == 0);
        Fields moved = std::move(fields);
        CHECK(moved[http::field::host] == "other.example.com");
    }
}

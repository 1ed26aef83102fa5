// Chunked request bodies through Beast's parser, set up as ClientSession
// sets it up (header and body limits) and read as ProxyExchange reads it
// (buffer_body through a fixed buffer). The input is two control bytes, then
// the bytes that follow a fixed chunked request header:
//
//   byte 0  how the stream is cut into pieces (each read gets 1 to 64 bytes)
//   byte 1  bits 0-1: body limit (none, 1, 64, 4096 bytes);
//           bits 2-5: body buffer size - 1 (1 to 16 bytes)
//
// The same stream is then parsed again in one piece through a large buffer:
// how the network cuts a body must never change what the proxy forwards,
// where it stops, or whether it fails.

#include "tests/fuzz/fuzz_check.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace beast = boost::beast;
namespace http = beast::http;

namespace {

using RequestParser = http::request_parser<http::buffer_body>;

constexpr std::string_view request_header =
    "POST /upload HTTP/1.1\r\nHost: api.example.com\r\nTransfer-Encoding: chunked\r\n\r\n";

// limits.max_header_bytes's default; trailers count against it.
constexpr std::uint32_t header_limit = 16 * 1024;

struct Outcome {
    std::string body;               // the bytes the proxy would forward
    beast::error_code error;        // the first error, if any
    bool done = false;              // the message ended
    std::size_t left_over = 0;      // bytes after the message (a pipelined request)
    std::uint64_t chunk_sizes = 0;  // sum of the chunk sizes announced

    bool operator==(const Outcome&) const = default;
};

struct Setup {
    std::optional<std::uint64_t> body_limit;
    std::size_t body_buffer_size;
};

// Cuts the stream into pieces of 1 to 64 bytes from a small generator
// seeded by `seed`, or into one piece when `seed` is empty.
class Pieces {
public:
    explicit Pieces(std::optional<std::uint8_t> seed) : state_(seed.value_or(0)), whole_(!seed) {}

    std::size_t next(std::size_t left) {
        if (whole_) {
            return left;
        }
        state_ = state_ * 1103515245u + 12345u;
        return std::min<std::size_t>(left, (state_ >> 16) % 64 + 1);
    }

private:
    std::uint32_t state_;
    bool whole_;
};

Outcome parse(std::string_view stream, const Setup& setup, Pieces pieces) {
    RequestParser parser;
    parser.header_limit(header_limit);
    if (setup.body_limit) {
        parser.body_limit(*setup.body_limit);
    } else {
        parser.body_limit(boost::none);
    }
    Outcome outcome;
    auto count_chunk = [&outcome](std::uint64_t size, std::string_view, beast::error_code&) {
        outcome.chunk_sizes += size;
    };
    parser.on_chunk_header(count_chunk);
    std::vector<char> body_buffer(setup.body_buffer_size);
    beast::flat_buffer buffer;
    // One put() per loop, as http::read_some does: a piece arrives only when
    // the parser asks for more.
    while (!outcome.done && !outcome.error) {
        auto& body = parser.get().body();
        body.data = body_buffer.data();
        body.size = body_buffer.size();
        beast::error_code ec;
        const std::size_t used = parser.put(buffer.data(), ec);
        buffer.consume(used);
        outcome.body.append(body_buffer.data(), body_buffer.size() - body.size);
        if (ec == http::error::need_more || (!ec && used == 0 && !parser.is_done())) {
            if (stream.empty()) {
                parser.put_eof(ec);  // the client closed its side
                outcome.error = ec;
                break;
            }
            const std::size_t size = pieces.next(stream.size());
            auto space = buffer.prepare(size);
            std::memcpy(space.data(), stream.data(), size);
            buffer.commit(size);
            stream.remove_prefix(size);
            continue;
        }
        if (ec == http::error::need_buffer) {
            continue;  // the body buffer was full: it went out, read on
        }
        outcome.error = ec;
        outcome.done = parser.is_done();
    }
    outcome.left_over = buffer.size() + stream.size();
    return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) {
        return 0;
    }
    static const std::optional<std::uint64_t> limits[] = {std::nullopt, 1, 64, 4096};
    const Setup setup{limits[data[1] & 3], static_cast<std::size_t>((data[1] >> 2) % 16) + 1};
    std::string stream(request_header);
    stream.append(reinterpret_cast<const char*>(data) + 2, size - 2);

    const Outcome in_pieces = parse(stream, setup, Pieces(data[0]));
    const Outcome at_once = parse(stream, Setup{setup.body_limit, stream.size() + 1}, Pieces({}));
    FUZZ_CHECK(in_pieces == at_once);

    FUZZ_CHECK(in_pieces.body.size() <= size - 2);
    FUZZ_CHECK(!setup.body_limit || in_pieces.body.size() <= *setup.body_limit);
    FUZZ_CHECK(in_pieces.body.size() <= in_pieces.chunk_sizes);
    if (in_pieces.done) {
        FUZZ_CHECK(in_pieces.body.size() == in_pieces.chunk_sizes);
    }
    return 0;
}

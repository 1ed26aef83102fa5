// Chunked request bodies the way turnout reads them: Beast's parser set up
// as ClientSession sets it up (header and body limits), ChunkedScanner
// looking at each new byte before Beast parses it, and the body read through
// a fixed buffer in a loop like ClientSession::parse_body. The input is two
// control bytes, then the bytes that follow a fixed chunked request header:
//
//   byte 0  how the stream is cut into reads (each 1 to 64 bytes)
//   byte 1  bits 0-1: body limit (none, 1, 64, 4096 bytes);
//           bits 2-5: body buffer size - 1 (1 to 16 bytes)
//
// Invariants: how the network cuts the stream never changes the outcome
// (the same stream in one read through a large buffer must give the same
// body and end, or fail too); and a body turnout takes whole is one a strict
// RFC 9112 reader (strict_chunked_body.hpp) takes too, with the same bytes
// and the same end, so no hop behind turnout can read it another way. A
// body read whole with its head (one read) and refused for its framing
// forwards nothing: ClientSession scans those bytes before the head goes
// upstream, so the scanner must find every framing error Beast would.

#include "server/http/chunked_scanner.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/fuzz/strict_chunked_body.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace beast = boost::beast;
namespace http = beast::http;
using turnout::server::ChunkedScanner;

namespace {

using RequestParser = http::request_parser<http::buffer_body>;

constexpr std::string_view request_header =
    "POST /upload HTTP/1.1\r\nHost: api.example.com\r\nTransfer-Encoding: chunked\r\n\r\n";

// limits.max_header_bytes's default; trailers count against it.
constexpr std::uint32_t header_limit = 16 * 1024;

struct Outcome {
    std::string body;               // the bytes the proxy would forward
    beast::error_code error;        // the first error, if any
    bool done = false;              // the body ended
    std::size_t left_over = 0;      // bytes after the body (a pipelined request)
    std::uint64_t chunk_sizes = 0;  // sum of the chunk sizes announced

    bool operator==(const Outcome&) const = default;
};

struct Setup {
    std::optional<std::uint64_t> body_limit;
    std::size_t body_buffer_size;
};

// Cuts the stream into reads of 1 to 64 bytes from a small generator seeded
// by `seed`, or into one read when `seed` is empty.
class Reads {
public:
    explicit Reads(std::optional<std::uint8_t> seed) : state_(seed.value_or(0)), whole_(!seed) {}

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

class BodyReader {
public:
    BodyReader(const Setup& setup, Outcome& outcome)
        : body_buffer_(setup.body_buffer_size), outcome_(outcome) {
        parser_.header_limit(header_limit);
        if (setup.body_limit) {
            parser_.body_limit(*setup.body_limit);
        } else {
            parser_.body_limit(boost::none);
        }
        parser_.on_chunk_header(count_chunk_);
        beast::error_code ec;
        parser_.put(boost::asio::buffer(request_header.data(), request_header.size()), ec);
        FUZZ_CHECK(!ec && parser_.is_header_done() && parser_.chunked());
    }

    void add(std::string_view bytes) {
        auto space = buffer_.prepare(bytes.size());
        std::memcpy(space.data(), bytes.data(), bytes.size());
        buffer_.commit(bytes.size());
    }

    // Parses what is buffered; true when the body ended or failed, false
    // when it needs more bytes.
    bool parse() {
        if (!scan_chunks()) {
            outcome_.error = http::error::bad_chunk;
            return true;
        }
        while (buffer_.size() > 0) {
            auto& body = parser_.get().body();
            body.data = body_buffer_.data();
            body.size = body_buffer_.size();
            beast::error_code ec;
            const std::size_t used = parser_.put(buffer_.data(), ec);
            buffer_.consume(used);
            scanned_ -= std::min(used, scanned_);
            outcome_.body.append(body_buffer_.data(), body_buffer_.size() - body.size);
            if (ec == http::error::need_more) {
                return false;
            }
            if (ec && ec != http::error::need_buffer) {
                outcome_.error = ec;
                return true;
            }
            if (parser_.is_done()) {
                outcome_.done = true;
                return true;
            }
            if (used == 0 && ec != http::error::need_buffer) {
                return false;
            }
        }
        return false;
    }

    // The client closed before the body ended.
    void eof() {
        beast::error_code ec;
        parser_.put_eof(ec);
        outcome_.error = ec ? ec : http::error::partial_message;
    }

    std::size_t buffered() const { return buffer_.size(); }

private:
    bool scan_chunks() {
        if (scanner_.done() || scanned_ >= buffer_.size()) {
            return true;
        }
        const auto* data = static_cast<const char*>(buffer_.data().data());
        const auto result = scanner_.scan({data + scanned_, buffer_.size() - scanned_});
        scanned_ += result.used;
        return !result.bad;
    }

    RequestParser parser_;
    ChunkedScanner scanner_;
    std::size_t scanned_ = 0;
    std::vector<char> body_buffer_;
    beast::flat_buffer buffer_;
    Outcome& outcome_;
    std::function<void(std::uint64_t, std::string_view, beast::error_code&)> count_chunk_ =
        [this](std::uint64_t size, std::string_view, beast::error_code&) {
            outcome_.chunk_sizes += size;
        };
};

Outcome read_body(std::string_view stream, const Setup& setup, Reads reads) {
    Outcome outcome;
    BodyReader reader(setup, outcome);
    while (!reader.parse()) {
        if (stream.empty()) {
            reader.eof();
            break;
        }
        const std::size_t size = reads.next(stream.size());
        reader.add(stream.substr(0, size));
        stream.remove_prefix(size);
    }
    outcome.left_over = reader.buffered() + stream.size();
    return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) {
        return 0;
    }
    static const std::optional<std::uint64_t> limits[] = {std::nullopt, 1, 64, 4096};
    const Setup setup{limits[data[1] & 3], static_cast<std::size_t>((data[1] >> 2) % 16) + 1};
    const std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);

    const Outcome in_reads = read_body(stream, setup, Reads(data[0]));
    const Outcome at_once =
        read_body(stream, Setup{setup.body_limit, stream.size() + 1}, Reads({}));
    // A framing error found in a later read stops a body that has partly
    // gone out already (the upstream sees it cut short, never complete), and
    // with two problems in a body which is met first depends on the reads
    // (413 or 400), so on an error only failing and a common prefix agree.
    FUZZ_CHECK(in_reads.done == at_once.done);
    FUZZ_CHECK(!in_reads.error == !at_once.error);
    if (in_reads.done) {
        FUZZ_CHECK(in_reads == at_once);
    } else {
        const auto& [shorter, longer] = std::minmax(
            in_reads.body, at_once.body,
            [](const std::string& a, const std::string& b) { return a.size() < b.size(); });
        FUZZ_CHECK(longer.starts_with(shorter));
    }

    const auto& error = at_once.error;
    if (error && error != http::error::body_limit && error != http::error::partial_message &&
        error != http::error::header_limit) {
        FUZZ_CHECK(at_once.body.empty());
    }

    FUZZ_CHECK(in_reads.body.size() <= stream.size());
    FUZZ_CHECK(!setup.body_limit || in_reads.body.size() <= *setup.body_limit);
    FUZZ_CHECK(in_reads.body.size() <= in_reads.chunk_sizes);
    if (in_reads.done) {
        FUZZ_CHECK(in_reads.body.size() == in_reads.chunk_sizes);
        const auto strict = turnout::test::read_chunked_strictly(stream);
        FUZZ_CHECK(strict.has_value());
        FUZZ_CHECK(strict->body == in_reads.body);
        FUZZ_CHECK(strict->end == stream.size() - in_reads.left_over);
    }
    return 0;
}

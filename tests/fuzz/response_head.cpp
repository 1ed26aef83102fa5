// ResponseHeadParser (server/http/head_parser.hpp) against Beast's own
// response parser, on whatever an upstream may send: the bytes are
// untrusted, and turnout relays what its parser read. For the same bytes,
// read in pieces cut where the input says:
//
//   - both parsers accept the head, or both refuse it with the same error;
//   - an accepted head has the same status, reason, version, keep-alive,
//     framing (chunked, content length, need_eof) and fields (same-named
//     fields in the same order: Beast's list groups them, ours keeps the
//     order received);
//   - the body (length-framed, chunked, or to the close) comes out the same,
//     or fails with the same error, and ends at the same byte;
//   - no field read after the head (a chunked body's trailer) joins the head.
//
// The first input byte picks HEAD (no body) and where reads are cut.

#include "server/http/head_parser.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/support/field_list.hpp"

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace http = boost::beast::http;
using error_code = boost::system::error_code;
using turnout::test::FieldList;
using turnout::test::sorted_fields;

namespace {

// UpstreamAttempt's limit for a response head.
constexpr std::size_t header_limit = 64 * 1024;
// turnout sets no body limit on responses; the reference reads its body
// into a string, which reserves a declared length up front, so both
// parsers get this one (over it, both fail with body_limit).
constexpr std::uint64_t body_limit = 1 << 20;

// What one parser made of the input.
struct Reading {
    error_code head_error;
    error_code body_error;
    std::size_t used = 0;  // bytes the parser took, head and body
    FieldList fields;      // at the end of the head
    std::string body;
    bool done = false;
};

// Feeds `bytes` to `parser` `piece` bytes more at a time, as reads bring
// them (a parser may leave bytes it cannot use yet for the next put).
// `on_head` is called once the head is read, `room` before each put of
// body bytes, `taken` after it.
template <class Parser, class OnHead, class Room, class Taken>
void feed(Parser& parser, std::string_view bytes, std::size_t piece, Reading& out, OnHead on_head,
          Room room, Taken taken) {
    std::size_t available = 0;
    bool head_seen = false;
    while (true) {
        available = std::min(bytes.size(), available + piece);
        if (head_seen) {
            room();
        }
        error_code ec;
        const auto took =
            parser.put(boost::asio::buffer(bytes.data() + out.used, available - out.used), ec);
        out.used += took;
        if (head_seen) {
            taken();
        }
        if (!head_seen && parser.is_header_done()) {
            head_seen = true;
            on_head();
        }
        if (ec == http::error::need_more || ec == http::error::need_buffer) {
            ec = {};
        }
        if (ec) {
            (head_seen ? out.body_error : out.head_error) = ec;
            return;
        }
        if (parser.is_done()) {
            out.done = true;
            return;
        }
        if (took == 0 && available == bytes.size()) {
            if (head_seen && parser.need_eof()) {
                parser.put_eof(ec);
                out.body_error = ec;
                out.done = !ec;
            } else {
                (head_seen ? out.body_error : out.head_error) = http::error::partial_message;
            }
            return;
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) {
        return 0;
    }
    const bool head_request = (data[0] & 0x80) != 0;
    const std::size_t piece = 1 + (data[0] & 0x7f);
    const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

    turnout::server::ResponseHead head;
    turnout::server::ResponseHeadParser ours{head};
    ours.header_limit(header_limit);
    ours.body_limit(body_limit);
    ours.skip(head_request);
    Reading our_reading;
    std::string room(bytes.size(), '\0');
    feed(
        ours, bytes, piece, our_reading, [&] { our_reading.fields = sorted_fields(head); },
        [&] {
            head.body().data = room.data();
            head.body().size = room.size();
        },
        [&] {
            our_reading.body.append(room.data(), room.size() - head.body().size);
            head.body().data = nullptr;
        });

    http::response_parser<http::string_body> beast;
    beast.header_limit(header_limit);
    beast.body_limit(body_limit);
    beast.skip(head_request);
    Reading beast_reading;
    feed(
        beast, bytes, piece, beast_reading,
        [&] { beast_reading.fields = sorted_fields(beast.get().base()); }, [] {}, [] {});

    FUZZ_CHECK(our_reading.head_error == beast_reading.head_error);
    if (our_reading.head_error || !ours.is_header_done()) {
        return 0;
    }
    FUZZ_CHECK(beast.is_header_done());
    const auto& message = beast.get();
    FUZZ_CHECK(head.result_int() == message.result_int());
    FUZZ_CHECK(head.version() == message.version());
    FUZZ_CHECK(head.reason() == std::string_view(message.reason()));
    FUZZ_CHECK(ours.keep_alive() == beast.keep_alive());
    FUZZ_CHECK(ours.chunked() == beast.chunked());
    FUZZ_CHECK(ours.content_length() == beast.content_length());
    FUZZ_CHECK(our_reading.fields == beast_reading.fields);
    // A trailer never joins the head, however the reads were cut.
    FUZZ_CHECK(sorted_fields(head) == our_reading.fields);
    FUZZ_CHECK(our_reading.body_error == beast_reading.body_error);
    FUZZ_CHECK(our_reading.done == beast_reading.done);
    FUZZ_CHECK(our_reading.used == beast_reading.used);
    if (our_reading.done) {
        FUZZ_CHECK(our_reading.body == message.body());
    }
    return 0;
}

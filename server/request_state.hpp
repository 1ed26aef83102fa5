#pragma once

// What an HTTP/1.1 connection needs from the first byte of a request until
// it is idle again: the bytes read from the client, the request parser, the
// chunked-body check and turnout's own error response. A ClientSession
// borrows one from its worker's pool once the client's next request starts
// to arrive and gives it back when nothing of it is left, so an idle
// keep-alive connection holds only its socket, its deadline and a few
// hundred bytes (nginx's idle connection holds about that much).

#include "config/config.hpp"
#include "server/downstream.hpp"
#include "server/http/chunked_scanner.hpp"
#include "server/http/error_response.hpp"
#include "server/http/head_parser.hpp"
#include "server/lending_pool.hpp"

#include <boost/beast/core/flat_buffer.hpp>

#include <cstddef>
#include <optional>

namespace turnout::server {

struct RequestState {
    using Parser = RequestHeadParser;

    // What `input` holds when first lent: 1 KiB, as nginx's
    // client_header_buffer_size, which holds most request heads whole.
    // Small, because the pool keeps one for every request that ran at once
    // and the pages a burst touched stay resident (with 16 KiB, each of 64
    // requests at once kept 3 kB more). A longer head grows it
    // long_head_read at a time, up to max_header_bytes (nginx's large
    // header buffers are 8 KiB). A body is read into it body_read_size at
    // a time only while it still holds bytes (a chunk size line a read
    // cut); once it is empty, straight into the body buffer.
    static constexpr std::size_t input_size = 1024;
    static constexpr std::size_t long_head_read = 8 * 1024;
    static constexpr std::size_t body_read_size = 16 * 1024;
    // What a returned state keeps of the room its request grew (input and
    // head): clients that send long heads (cookies) or bodies do not grow
    // it again for every request, and clients that do not cost no more.
    static constexpr std::size_t max_kept_room = 16 * 1024;

    RequestState() { input.reserve(input_size); }

    // Ready to read the next request, under `current` limits; bytes the
    // client already sent behind the last request stay in `input`.
    void start_request(const config::Limits& current);
    // For the pool: holds nothing of the request it served.
    void reset();

    config::Limits limits;
    boost::beast::flat_buffer input;  // read from the client, not parsed yet
    RequestHead head;                 // what `parser` reads; kept for its room
    std::optional<Parser> parser;
    std::size_t head_scanned = 0;  // bytes of input find_head_end has looked at
    std::size_t body_scanned = 0;  // bytes at the front of input ChunkedScanner has seen
    ChunkedScanner chunked_scanner;
    Downstream::BodyHandler body_handler;
    std::optional<ErrorResponse> error_response;
};

using RequestStatePool = LendingPool<RequestState>;

}  // namespace turnout::server

#include "server/request_state.hpp"

#include "server/exchange_buffers.hpp"

#include <algorithm>
#include <cstdint>

namespace turnout::server {

void RequestState::start_request(const config::Limits& current) {
    limits = current;
    // Nothing of the last request shows before this one's request line is
    // read (a pipelined request reuses the state without a reset).
    head.start(boost::beast::http::verb::unknown, {}, {}, 11);
    parser.emplace(head);
    parser->header_limit(
        static_cast<std::uint32_t>(std::min<std::uint64_t>(limits.max_header_bytes, UINT32_MAX)));
    if (limits.max_body_bytes > 0) {
        parser->body_limit(limits.max_body_bytes);
    } else {
        parser->body_limit(boost::none);
    }
    input.max_size(std::max<std::size_t>(limits.max_header_bytes + 1024, BodyBuffer::size));
    head_scanned = 0;
}

void RequestState::reset() {
    parser.reset();
    head.release_room_over(max_kept_room);
    error_response.reset();
    body_handler = {};
    input.clear();
    if (input.capacity() > max_kept_room) {
        input.shrink_to_fit();
        input.reserve(input_size);
    }
}

}  // namespace turnout::server

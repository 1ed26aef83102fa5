#pragma once

// The nghttp2 server session every HTTP/2 connection runs on: its options
// (abuse limits, manual window updates) and the SETTINGS it announces. Apart
// from Http2Session so its memory can be measured as it runs (tests).

#include "config/config.hpp"

#include <nghttp2/nghttp2.h>

#include <cstdint>

namespace turnout::server {

// What an idle connection keeps of nghttp2, 26 KiB (measured by
// tests/unit/server/h2/nghttp2_server_test.cpp, libnghttp2 1.52): the
// session (2.9 KiB), its stream map (4 KiB), HPACK ring buffers (2 KiB) and
// outbound frame buffer (16 KiB), all allocated with the session, kept for
// its life and not sizeable; then the HPACK dynamic tables. Those are what
// is tunable:
// - responses are compressed with the static table and Huffman codes only
//   (a dynamic table of 0, as nginx does): an entry would save a few bytes
//   per response on a header the upstream repeats, while the table holds up
//   to 4 KiB for the connection's whole life;
// - requests keep RFC 7541's 4 KiB table (what clients expect and use for
//   cookies and user agents: a smaller one costs the client's upload
//   bandwidth, which on mobile links is the scarce one).
constexpr std::size_t response_header_table_size = 0;

// `mem`: the allocator nghttp2 uses, or nullptr for malloc.
nghttp2_session* new_nghttp2_server(const nghttp2_session_callbacks* callbacks, void* user,
                                    const config::Http2Settings& settings,
                                    std::uint32_t max_header_list_size, nghttp2_mem* mem);

}  // namespace turnout::server

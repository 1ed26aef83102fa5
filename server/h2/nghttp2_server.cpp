#include "server/h2/nghttp2_server.hpp"

#include <algorithm>
#include <iterator>

namespace turnout::server {

namespace {

// The connection's receive window, over all streams' request bodies: a few
// uploads at full speed, and the bound on what the connection buffers.
constexpr std::uint64_t streams_at_full_window = 16;
constexpr std::uint64_t max_window = 0x7fffffff;

// Rapid reset (CVE-2023-44487) is counted by Http2Session, so the answer is
// GOAWAY ENHANCE_YOUR_CALM; nghttp2's own limit stays behind it and answers
// INTERNAL_ERROR.
constexpr std::uint64_t library_reset_burst = 1000;
constexpr std::uint64_t library_resets_per_second = 33;
// CONTINUATION frames after one HEADERS (CVE-2024-27316 class).
constexpr std::size_t max_continuations = 8;

}  // namespace

nghttp2_session* new_nghttp2_server(const nghttp2_session_callbacks* callbacks, void* user,
                                    const config::Http2Settings& settings,
                                    std::uint32_t max_header_list_size, nghttp2_mem* mem) {
    nghttp2_option* options = nullptr;
    nghttp2_option_new(&options);
    // Window is given back as the upstream takes the bytes (H2Stream).
    nghttp2_option_set_no_auto_window_update(options, 1);
    nghttp2_option_set_no_closed_streams(options, 1);
    nghttp2_option_set_stream_reset_rate_limit(options, library_reset_burst,
                                               library_resets_per_second);
    nghttp2_option_set_max_continuations(options, max_continuations);
    nghttp2_option_set_max_deflate_dynamic_table_size(options, response_header_table_size);
    nghttp2_session* session = nullptr;
    nghttp2_session_server_new3(&session, callbacks, user, options, mem);
    nghttp2_option_del(options);

    const nghttp2_settings_entry entries[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, settings.max_concurrent_streams},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, settings.initial_window_size},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, max_header_list_size},
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
    };
    nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, entries, std::size(entries));
    const auto window =
        std::min<std::uint64_t>(max_window, settings.initial_window_size * streams_at_full_window);
    nghttp2_session_set_local_window_size(session, NGHTTP2_FLAG_NONE, 0,
                                          static_cast<std::int32_t>(window));
    return session;
}

}  // namespace turnout::server

// What nghttp2 keeps for one connection, counted by an allocator of our
// own: a client (nghttp2's) sends browser-like requests, the server session
// turnout runs answers them with upstream-like response heads, and what the
// server still holds once its streams are gone is the idle connection's
// share of nghttp2. The figures are in nghttp2_server.hpp and docs.

#include "server/h2/nghttp2_server.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

using turnout::server::new_nghttp2_server;

namespace {

// Live bytes, each allocation prefixed with its size.
struct CountingMemory {
    static constexpr std::size_t prefix = 16;
    std::size_t live = 0;
    nghttp2_mem mem{this, allocate, release, zeroed, resize};

    static CountingMemory& of(void* user) { return *static_cast<CountingMemory*>(user); }
    static void* allocate(std::size_t size, void* user) {
        auto* block = static_cast<char*>(std::malloc(size + prefix));
        std::memcpy(block, &size, sizeof size);
        of(user).live += size;
        return block + prefix;
    }
    static void release(void* ptr, void* user) {
        if (!ptr) {
            return;
        }
        auto* block = static_cast<char*>(ptr) - prefix;
        std::size_t size = 0;
        std::memcpy(&size, block, sizeof size);
        of(user).live -= size;
        std::free(block);
    }
    static void* zeroed(std::size_t count, std::size_t size, void* user) {
        void* ptr = allocate(count * size, user);
        std::memset(ptr, 0, count * size);
        return ptr;
    }
    static void* resize(void* ptr, std::size_t size, void* user) {
        void* fresh = allocate(size, user);
        if (ptr) {
            auto* block = static_cast<char*>(ptr) - prefix;
            std::size_t old = 0;
            std::memcpy(&old, block, sizeof old);
            std::memcpy(fresh, ptr, std::min(old, size));
            release(ptr, user);
        }
        return fresh;
    }
};

nghttp2_nv field(std::string_view name, std::string_view value) {
    return {reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
            reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
            value.size(), NGHTTP2_NV_FLAG_NONE};
}

// Moves what each side has to send to the other until both are quiet.
void exchange(nghttp2_session* client, nghttp2_session* server) {
    for (bool moved = true; moved;) {
        moved = false;
        for (auto [from, to] : {std::pair{client, server}, std::pair{server, client}}) {
            const std::uint8_t* data = nullptr;
            for (auto size = nghttp2_session_mem_send(from, &data); size > 0;
                 size = nghttp2_session_mem_send(from, &data)) {
                REQUIRE(nghttp2_session_mem_recv(to, data, static_cast<std::size_t>(size)) == size);
                moved = true;
            }
        }
    }
}

// Live bytes of the server session after `requests` request/response pairs.
std::size_t idle_bytes_after(int requests) {
    CountingMemory memory;
    nghttp2_session_callbacks* callbacks = nullptr;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session* server = new_nghttp2_server(
        callbacks, nullptr, turnout::config::Http2Settings{}, 64 * 1024, &memory.mem);
    nghttp2_session* client = nullptr;
    nghttp2_session_client_new(&client, callbacks, nullptr);
    nghttp2_session_callbacks_del(callbacks);
    nghttp2_submit_settings(client, NGHTTP2_FLAG_NONE, nullptr, 0);

    const std::string cookie(300, 'c');
    for (int i = 0; i < requests; ++i) {
        const std::string path = "/assets/app-" + std::to_string(i) + ".js";
        const nghttp2_nv request[] = {
            field(":method", "GET"),
            field(":scheme", "https"),
            field(":authority", "example.com"),
            field(":path", path),
            field("user-agent", "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101"),
            field("accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
            field("accept-language", "en-US,en;q=0.5"),
            field("accept-encoding", "gzip, br"),
            field("cookie", cookie)};
        const auto id =
            nghttp2_submit_request(client, nullptr, request, std::size(request), nullptr, nullptr);
        exchange(client, server);
        const std::string etag = "\"" + path + "\"";
        const nghttp2_nv response[] = {field(":status", "200"),
                                       field("content-type", "application/javascript"),
                                       field("content-length", "0"),
                                       field("date", "Sun, 06 Dec 2026 00:00:00 GMT"),
                                       field("server", "upstream/1.0"),
                                       field("cache-control", "public, max-age=3600"),
                                       field("etag", etag)};
        REQUIRE(nghttp2_submit_response(server, id, response, std::size(response), nullptr) == 0);
        exchange(client, server);
    }
    const auto live = memory.live;
    nghttp2_session_del(client);
    nghttp2_session_del(server);
    CHECK(memory.live == 0);
    return live;
}

}  // namespace

TEST_CASE("an idle HTTP/2 connection keeps about 26 KiB of nghttp2 state", "[h2]") {
    const auto fresh = idle_bytes_after(0);
    const auto used = idle_bytes_after(20);
    WARN("nghttp2 live bytes: new session " << fresh << ", idle after 20 requests " << used);
    // The session (2.9 KiB), its stream map (4 KiB), HPACK ring buffers
    // (2 KiB) and 16 KiB frame buffer, none of which libnghttp2 1.52 lets
    // us size; then the request side's HPACK table, at most 4 KiB. The
    // response side keeps no table: 20 responses add nothing to it.
    CHECK(fresh < 27 * 1024);
    CHECK(used < fresh + 4096);
}

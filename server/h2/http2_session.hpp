#pragma once

// One HTTP/2 client connection (h2 by ALPN, or prior-knowledge h2c): drives
// an nghttp2 server session from the worker's Asio loop. Bytes read go to
// nghttp2_session_mem_recv; what nghttp2 has to send is gathered with
// nghttp2_session_mem_send into one buffer and written with one write in
// flight, so frames of many streams share a syscall. Each request stream
// is an H2Stream, a Downstream for its own ProxyExchange.
//
// Bounded memory: a stream's unread request body is at most its window
// (initial_window_size), all streams' together at most the connection
// window; the write buffer stops growing at write_batch bytes, and what
// nghttp2 holds for a stream is one DATA frame. Idle (no stream open), the
// connection keeps nghttp2's state and neither a read nor a write buffer:
// it waits for the socket to turn readable before it borrows one.
//
// Abuse: rapid reset (CVE-2023-44487), SETTINGS, PING and empty DATA
// floods by a FrameBudget each, which ends the connection with GOAWAY
// ENHANCE_YOUR_CALM; CONTINUATION floods (CVE-2024-27316 class) by
// nghttp2's max_continuations.

#include "config/config.hpp"
#include "server/deadline.hpp"
#include "server/exchange_buffers.hpp"
#include "server/h2/frame_budget.hpp"
#include "server/session_registry.hpp"
#include "server/transport_stream.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

namespace turnout::server {

class H2Stream;
class ServingState;
struct ListenerContext;

class Http2Session final : public ClientConnection,
                           public std::enable_shared_from_this<Http2Session> {
public:
    Http2Session(TransportStream socket, ServingState& state, SessionRegistry& registry,
                 std::shared_ptr<const ListenerContext> listener, std::string client_ip);
    ~Http2Session();
    Http2Session(const Http2Session&) = delete;
    Http2Session& operator=(const Http2Session&) = delete;

    // `early`: what the HTTP/1.1 session read before it handed over (the
    // start of the preface, for h2c); empty after an ALPN h2 handshake.
    void start(std::string_view early);

    // Graceful stop: GOAWAY notice, then GOAWAY with the last stream id
    // once in-flight requests had time to arrive; open streams finish.
    void drain() override;
    void close() override;
    // The listener's certificates changed: GOAWAY as in drain(), so the
    // client's next requests come on a new connection, under the new
    // certificate; open streams finish within drain_timeout.
    void tls_changed(std::string_view listener) override;

    // For the streams.
    ServingState& state() { return state_; }
    const config::Limits& limits() const { return limits_; }
    const std::string& client_ip() const { return client_ip_; }
    bool is_tls() { return socket_.is_tls(); }
    bool draining() const { return draining_; }
    boost::asio::io_context::executor_type get_executor() { return socket_.get_executor(); }
    std::uint32_t max_header_list_size() const { return max_header_list_size_; }
    bool open() const { return session_ != nullptr && !closed_; }
    nghttp2_session* native() { return session_; }
    // Sends what nghttp2 has queued, if no write is in flight.
    void flush();
    // Runs `handler` from the event loop, never inside an nghttp2 callback.
    // A template, not a std::function: Asio recycles the memory of a posted
    // handler, a std::function around it would allocate per post.
    template <class Handler>
    void post(Handler&& handler) {
        boost::asio::post(socket_.get_executor(), std::forward<Handler>(handler));
    }
    // Gives back window for `size` request body bytes taken off a stream.
    void consume(std::int32_t stream_id, std::size_t size);
    void reset_stream(std::int32_t stream_id, std::uint32_t error_code);

private:
    friend struct Http2Callbacks;

    void configure();
    void read();
    void on_readable(boost::system::error_code ec);
    void read_some();
    void return_read_buffer();
    void on_read(boost::system::error_code ec, std::size_t size);
    bool receive(const std::uint8_t* data, std::size_t size);
    void on_written(boost::system::error_code ec);
    void close_if_done();
    void arm_idle();
    void send_last_goaway();
    void close_at_drain_timeout();
    // Ends the connection after a flood: GOAWAY ENHANCE_YOUR_CALM.
    void calm_down(const char* what);
    H2Stream* stream(std::int32_t id);

    static constexpr std::size_t write_batch = 64 * 1024;

    TransportStream socket_;
    ServingState& state_;
    SessionRegistry& registry_;
    std::shared_ptr<const ListenerContext> listener_;
    std::string client_ip_;
    config::Limits limits_;
    std::uint32_t max_header_list_size_ = 0;
    Deadline deadline_;
    boost::asio::steady_timer goaway_timer_;
    nghttp2_session* session_ = nullptr;
    std::unordered_map<std::int32_t, std::shared_ptr<H2Stream>> streams_;
    std::unique_ptr<BodyBuffer> read_buffers_;  // lent while streams are open or bytes come
    std::string out_;
    FrameBudget settings_budget_;
    FrameBudget ping_budget_;
    FrameBudget reset_budget_;
    FrameBudget empty_data_budget_;
    bool writing_ = false;
    bool reading_ = false;
    bool draining_ = false;
    bool closed_ = false;
    bool failed_ = false;  // the client broke the protocol: close once written
};

}  // namespace turnout::server

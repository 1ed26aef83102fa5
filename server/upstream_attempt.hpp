#pragma once

// One try of a request at one target (Envoy's UpstreamRequest): a
// connection, taken from the target's pool or connected (with TLS when the
// upstream has it), the request head and body sent on it, the response head
// and body read from it, and at the end the connection parked for reuse or
// closed. It decides nothing about retries: each step reports an
// AttemptError, and ProxyExchange, which owns the retry loop, decides. A
// ProxyExchange holds one UpstreamAttempt and starts it again for each try
// and, lent with its exchange, for each request: neither allocates.

#include "server/deadline.hpp"
#include "server/http/chunk_framing.hpp"
#include "server/http/head_parser.hpp"
#include "server/http/request_head.hpp"
#include "server/inline_handler.hpp"
#include "server/transport_stream.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/fields.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace turnout::config {
struct Upstream;
}

namespace turnout::server {

class ActiveUpstream;
class TargetPool;

enum class AttemptError : std::uint8_t {
    none,
    connect_failed,   // refused, unreachable: the request never left
    connect_timeout,  // connect or TLS handshake past the connect timeout
    tls_failed,       // the TLS handshake failed: the request never left
    no_tls_context,   // the upstream's TLS settings could not be loaded: no target will do
    timeout,          // the target went silent past the response timeout
    send_failed,      // the target stopped reading the request (it may have answered)
    reset,            // the connection closed before any response byte
    bad_response,     // the response head did not parse
};

class UpstreamAttempt {
public:
    using error_code = boost::system::error_code;
    using Request = RequestHead;
    using Response = ResponseHead;
    // Room for a shared_ptr to the exchange and a little more.
    static constexpr std::size_t handler_size = 32;
    using Handler = InlineHandler<handler_size, AttemptError>;
    // Called with how many bytes of response body were read; an error is a
    // connection cut mid-body.
    using BodyHandler = InlineHandler<handler_size, error_code, std::size_t>;

    explicit UpstreamAttempt(const TransportStream::executor_type& executor);
    UpstreamAttempt(const UpstreamAttempt&) = delete;
    UpstreamAttempt& operator=(const UpstreamAttempt&) = delete;

    // Starts a try at `target` on a connection parked in its pool, if one
    // is (see TargetPool::checkout for `peek`); false when none is.
    bool take_pooled(ActiveUpstream& upstream, std::size_t target, bool peek);
    // Starts a try at `target` on a new connection; `done` once it is
    // connected (and TLS is up), or with connect_failed, connect_timeout,
    // tls_failed or no_tls_context.
    void connect(ActiveUpstream& upstream, std::size_t target, Handler done);
    // Whether this try runs on a pooled connection, which the target may
    // have closed while it was parked.
    bool reused() const { return reused_; }

    // Sends the request head; whole: with the body piece its body() points
    // at, else the body follows with send_body. A chunked request's pieces
    // go out framed as chunks, and the last chunk once body().more is
    // false. `request` stays alive and in place until the request is sent.
    // `done` with none, timeout or send_failed.
    void send_head(Request& request, bool whole, Handler done);
    // Sends the body piece the request's body() now points at.
    void send_body(Handler done);
    // Ends a chunked body whose last piece went out with body().more still
    // true: the last chunk with `trailers` (RFC 9112 §7.1.2).
    void send_trailers(const boost::beast::http::fields& trailers, Handler done);
    // The request went out whole (on this try or, before the next one
    // sends, on the last).
    bool request_sent() const { return request_sent_; }

    // Reads the final response head (informational ones are skipped).
    // skip_body: the request was HEAD. `done` with none, timeout,
    // bad_response, or, when no response byte came: send_failed after a
    // failed send (the target may have answered early, or not), else reset.
    void read_response_head(bool skip_body, Handler done);
    Response& response() { return response_; }
    bool response_complete() const { return response_parser_->is_done(); }
    bool response_length_known() const { return response_parser_->content_length().has_value(); }
    // Parses the response body bytes that arrived with the head into
    // `into`: how many, or nullopt when they do not parse.
    std::optional<std::size_t> take_buffered_body(std::span<char> into);
    // Bytes read behind the head: at most what they parse into.
    std::size_t buffered_bytes() const { return buffer_.size(); }
    // Reads more response body into `into`.
    void read_body(std::span<char> into, BodyHandler done);

    // The try is over and its exchange complete: the connection goes back
    // to `pool` when it can carry another request, else it is closed.
    void release(TargetPool& pool);
    // The connection and what the upstream sent behind its 101, for a tunnel.
    TransportStream take_connection();
    boost::beast::flat_buffer take_early_bytes() { return std::move(buffer_); }
    // Ends the try at once, the connection closed.
    void close();
    // Ready for the next request its exchange serves: closed if a try was
    // still open, holding no message of the last one (the read buffer and
    // the response head keep their room, up to max_kept_buffer).
    void reset();

private:
    static constexpr std::size_t max_kept_buffer = 16 * 1024;

    enum class Phase : std::uint8_t {
        idle,
        connecting,   // TCP connect, then the TLS handshake
        sending,      // the request head and body go out
        send_failed,  // the target stopped reading; its answer may still be read
        receiving,    // the final response head arrived; its body follows
        closed,       // closed, released or handed to a tunnel
    };

    void begin(ActiveUpstream& upstream, std::size_t target);
    void on_connect(error_code ec, Handler done);
    void start_tls(Handler done);
    void on_handshake(error_code ec, Handler done);
    void send_piece(bool with_head, Handler done);
    void on_sent(error_code ec, Handler done);
    void read_head(Handler done);
    void on_head(error_code ec, std::size_t head_bytes, Handler done);
    void read_body_in_place(std::span<char> into, BodyHandler done);
    const std::string& target_text() const;

    TransportStream socket_;
    Deadline deadline_;
    boost::beast::flat_buffer buffer_;
    Request* request_ = nullptr;  // while it is sent
    // Kept across responses (and requests): its buffers keep their room.
    ResponseHead response_;
    std::optional<ResponseHeadParser> response_parser_;
    ActiveUpstream* upstream_ = nullptr;
    const config::Upstream* config_ = nullptr;
    std::size_t target_ = 0;
    Phase phase_ = Phase::idle;
    bool reused_ = false;
    bool skip_body_ = false;   // the request was HEAD
    bool keep_alive_ = false;  // the response head allows another request on the connection
    bool request_sent_ = false;
    std::string head_text_;  // the request head, while it is written
    ChunkSizeLine chunk_size_{};
    std::string last_chunk_;  // with trailers, while it is written
};

}  // namespace turnout::server

#pragma once

// The client side of one exchange, as ProxyExchange sees it: the request
// head, the request body read piece by piece into one fixed buffer, the
// response head and body written back, and the ways an exchange ends. An
// HTTP/1.1 connection (ClientSession) is a Downstream for one exchange at a
// time; an HTTP/2 stream (H2Stream) is another, one per stream.
//
// Flow control is the caller's and follows from the calls: at most one read
// or write is pending at a time, and the exchange asks for the next request
// body piece only once the previous one went upstream, and reads the next
// response piece only once the previous one was written here. Memory stays
// one buffer whatever the body size; a slow side slows the other.
//
// Bodies move as Beast's buffer_body moves them: a write sends what the
// head's body().data/size/more point at, and a read fills body_buffer().

#include "server/http/request_head.hpp"
#include "server/http/response_head.hpp"
#include "server/inline_handler.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace turnout::server {

class TransportStream;

class Downstream {
public:
    using error_code = boost::system::error_code;
    using Request = RequestHead;
    using Response = ResponseHead;
    // An HTTP/2 request's trailer fields (an HTTP/1.1 request's are not passed on).
    using Trailers = boost::beast::http::fields;
    // Room for a pointer to the exchange and a little more: the handlers
    // are kept inline, so a step of a request allocates nothing.
    static constexpr std::size_t handler_size = 32;
    // Called once the write completed, or with why it failed.
    using WriteHandler = InlineHandler<handler_size, error_code>;
    // Called with how many bytes of body_buffer() now hold request body.
    using BodyHandler = InlineHandler<handler_size, error_code, std::size_t>;

    virtual boost::asio::io_context::executor_type get_executor() = 0;

    // What the client asked: the head is complete, the body is read with
    // read_body. The exchange rewrites it in place into the upstream's request.
    virtual Request& request() = 0;
    // The body has no declared length (HTTP/1.1 chunked): it goes upstream chunked.
    virtual bool request_chunked() const = 0;
    // The client may send another request after this one (HTTP/1.1 without
    // "Connection: close", HTTP/1.0 with "keep-alive").
    virtual bool request_keep_alive() const = 0;
    // The whole request, body included, has been read.
    virtual bool request_complete() const = 0;
    // Trailer fields to send upstream after a chunked body, once the
    // request is complete; nullptr when there are none to forward.
    virtual const Trailers* request_trailers() const = 0;
    virtual const std::string& client_ip() const = 0;
    // The client reached turnout over TLS (X-Forwarded-Proto: https).
    virtual bool is_tls() const = 0;
    // The connection is going away: the response must not promise another request.
    virtual bool draining() const = 0;
    // As the access log names it: "HTTP/1.0", "HTTP/1.1" or "HTTP/2".
    virtual std::string_view protocol() const = 0;
    // Where read_body puts request body and where response body is read
    // into before it is written here; fixed for the exchange's life.
    virtual std::span<char> body_buffer() = 0;
    // Where the response body bytes that came with the head are parsed
    // into, to go out with the head: body_buffer() unless the downstream
    // keeps a smaller room for them, so a small response borrows no body
    // buffer.
    virtual std::span<char> head_body_room() { return body_buffer(); }

    // Tells a client that sent `Expect: 100-continue` to send its body.
    virtual void send_continue(WriteHandler handler) = 0;
    // Reads more request body into body_buffer(). A malformed chunked body
    // fails with an http::error (bad_chunk), one over max_body_bytes with
    // http::error::body_limit, a client gone mid-body with any other error.
    virtual void read_body(BodyHandler handler) = 0;
    // The response head, with whatever body it points at. `response` must
    // stay alive and in place until the last write completed.
    virtual void send_response(Response& response, WriteHandler handler) = 0;
    // The next piece of the response body, as the response's body() points
    // at it; the response is complete once a piece with body().more false
    // has been written.
    virtual void send_response_body(WriteHandler handler) = 0;

    // The exchange is over. keep_alive: the request was read whole and the
    // response written whole, so the connection may carry the next request.
    virtual void end_exchange(bool keep_alive) = 0;
    // Answers with turnout's own error instead of an upstream response;
    // only before send_response.
    virtual void send_error(boost::beast::http::status status, std::string_view reason,
                            bool keep_alive) = 0;
    // The upstream accepted a protocol upgrade (WebSocket) and its 101 went
    // out whole: from now on `upstream` and the client exchange raw bytes.
    // `upstream_early` holds what the upstream sent right behind its 101.
    virtual void upgrade(TransportStream upstream, boost::beast::flat_buffer upstream_early) = 0;
    // The response cannot be completed: the client must see it cut off,
    // never complete-looking (HTTP/1.1: the connection closes).
    virtual void abort() = 0;

protected:
    Downstream() = default;
    ~Downstream() = default;
    Downstream(const Downstream&) = default;
    Downstream& operator=(const Downstream&) = default;
};

}  // namespace turnout::server

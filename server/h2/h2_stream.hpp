#pragma once

// One HTTP/2 request stream as a ProxyExchange's Downstream, so every
// stream takes the path an HTTP/1.1 request takes (route, split, balancer,
// pooled HTTP/1.1 upstreams, retries, header rules, metrics, access log).
//
// The request head arrives as header fields from nghttp2 and becomes a
// RequestHead (`:authority` as Host, cookie crumbs joined). Request body
// bytes wait in a buffer no larger than the stream's flow-control window:
// the window is given back (nghttp2_session_consume) only as the exchange
// takes bytes for the upstream, so a slow upstream stalls the client's
// stream instead of growing memory. The response body is handed to
// nghttp2's data source one piece at a time; the exchange's write completes
// once nghttp2 took the piece, which it does only as the client's window
// and the socket allow.

#include "config/config.hpp"
#include "server/downstream.hpp"
#include "server/exchange_buffers.hpp"
#include "server/http/error_response.hpp"
#include "server/queued_timer.hpp"

#include <nghttp2/nghttp2.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace turnout::server {

class Http2Session;

class H2Stream final : public Downstream, public std::enable_shared_from_this<H2Stream> {
public:
    H2Stream(std::shared_ptr<Http2Session> session, std::int32_t id);
    ~H2Stream();
    H2Stream(const H2Stream&) = delete;
    H2Stream& operator=(const H2Stream&) = delete;

    // The request, as the session's nghttp2 callbacks deliver it.
    // nghttp2 has already checked each field against RFC 9113 §8.2 (names
    // lowercase, no connection-specific fields, pseudo-headers once and
    // first); what is left here are turnout's own limits.
    void add_header(std::string_view name, std::string_view value);
    // A trailer field (a HEADERS frame after the body, checked by nghttp2
    // as the head's fields are: no pseudo-headers, no connection-specific
    // fields). False when the fields are over the header limits: the
    // stream is reset.
    bool add_trailer(std::string_view name, std::string_view value);
    // The head is complete: answer a refusal or start the exchange.
    void start_request();
    // Request body bytes (a DATA frame's payload).
    void receive_body(const std::uint8_t* data, std::size_t size);
    // END_STREAM from the client.
    void end_request();
    // The stream is gone (either side reset it, or it ended): pending
    // handlers fail, later calls are ignored. Returns the request body bytes
    // that were never taken, whose window the session gives back.
    std::size_t on_close();
    // nghttp2's data source: the next response body bytes.
    ssize_t produce(std::uint8_t* into, std::size_t length, std::uint32_t* flags);
    bool request_complete() const override { return request_ended_ && received_.empty(); }

    // Downstream.
    boost::asio::io_context::executor_type get_executor() override;
    Request& request() override { return request_; }
    bool request_chunked() const override { return chunked_; }
    // HTTP/2 has no Connection field (nghttp2 refuses one): a stream's end
    // never ends its connection.
    bool request_keep_alive() const override { return true; }
    const Trailers* request_trailers() const override { return trailers_ ? &*trailers_ : nullptr; }
    const std::string& client_ip() const override;
    bool is_tls() const override;
    bool draining() const override;
    std::string_view protocol() const override { return "HTTP/2"; }
    // Borrowed from the worker's pool the first time the exchange asks for
    // it, when a body starts to move: a stream waiting for its upstream's
    // answer, or whose request has no body, holds none until the response
    // body comes. Given back once the exchange is over.
    std::span<char> body_buffer() override;
    // The body bytes that came with the response head, as an HTTP/1.1
    // exchange keeps them: a small response borrows no body buffer.
    std::span<char> head_body_room() override { return head_body_; }
    void send_continue(WriteHandler handler) override;
    void read_body(BodyHandler handler) override;
    void send_response(Response& response, WriteHandler handler) override;
    void send_response_body(WriteHandler handler) override;
    void end_exchange(bool keep_alive) override;
    void send_error(boost::beast::http::status status, std::string_view reason,
                    bool keep_alive) override;
    void upgrade(TransportStream upstream, boost::beast::flat_buffer upstream_early) override;
    void abort() override;

private:
    void route();
    // Counts a field against limits.max_headers and max_header_list_size.
    bool within_header_limits(std::string_view name, std::string_view value);
    void refuse(boost::beast::http::status status, std::string_view reason);
    // FieldList: a proxied ResponseHead, or the fields of turnout's own error.
    template <class FieldList>
    void submit(const FieldList& fields, unsigned status, bool with_body);
    void deliver_body();
    void complete_read(boost::system::error_code ec, std::size_t size);
    void complete_write(boost::system::error_code ec);
    // The client sent no body, or took no response body, for as long as
    // the limits allow: the exchange's pending read or write fails with
    // timed_out (it answers 408, or resets the stream if the response
    // started), so a stalled stream does not hold its upstream connection.
    void on_timeout();
    // Only once nothing reads into the buffer any more: the exchange ended,
    // or closed its upstream connection before it aborted or answered.
    void return_body_buffer();

    std::shared_ptr<Http2Session> session_;
    std::int32_t id_;
    Request request_;
    std::string authority_;
    std::string cookies_;       // crumbs joined with "; " (RFC 9113 §8.2.3)
    std::string_view refused_;  // a limit the head broke: answered at start_request
    std::size_t header_bytes_ = 0;
    std::uint32_t header_count_ = 0;
    bool chunked_ = false;
    bool request_ended_ = false;
    bool closed_ = false;
    std::uint64_t body_received_ = 0;
    std::string received_;  // request body not yet taken, at most the stream's window
    std::optional<Trailers> trailers_;
    BodyHandler body_handler_;
    std::unique_ptr<BodyBuffer> buffers_;  // lent while the body moves
    // Calls on_timeout(); armed while the exchange waits on the client.
    class Timer final : public QueuedTimer {
    public:
        Timer(const boost::asio::any_io_executor& executor, H2Stream& stream)
            : QueuedTimer{executor}, stream_{stream} {}

    private:
        void on_expired() override { stream_.on_timeout(); }
        H2Stream& stream_;
    };
    Timer timer_;
    // The response piece nghttp2 reads next, and whether more follow.
    Response* response_ = nullptr;
    std::string_view piece_;
    bool more_ = false;
    WriteHandler write_handler_;
    std::optional<ErrorResponse> error_response_;
    std::array<char, ExchangeBuffers::head_body_size> head_body_;
};

}  // namespace turnout::server

#pragma once

// One client connection: reads requests one after another (keep-alive),
// enforces the limits of SPEC §3, routes each request and hands it to a
// ProxyExchange, and answers with turnout's own errors when it cannot. The
// exchange sees it only as its Downstream.

#include "config/config.hpp"
#include "server/deadline.hpp"
#include "server/downstream.hpp"
#include "server/exchange_buffers.hpp"
#include "server/request_state.hpp"
#include "server/session_registry.hpp"
#include "server/transport_stream.hpp"

#include <boost/beast/core/flat_buffer.hpp>

#include <memory>
#include <optional>
#include <string>

namespace turnout::server {

class ServingState;

// What a session knows about the listener that accepted it. Whether it is
// TLS (https) is the connection's own: see TransportStream::is_tls().
struct ListenerContext {
    std::string name;
    // HTTP/2 on: h2 by ALPN under TLS, prior-knowledge h2c on plain TCP.
    std::optional<config::Http2Settings> http2;
};

class ClientSession final : public Downstream,
                            public ClientConnection,
                            public std::enable_shared_from_this<ClientSession> {
public:
    // `socket` is plain, or TLS not yet handshaken.
    ClientSession(TransportStream socket, ServingState& state, SessionRegistry& registry,
                  std::shared_ptr<const ListenerContext> listener);
    ~ClientSession();

    void start();

    // Graceful stop: close now if idle, else after the current response.
    void drain() override;
    // Immediate stop.
    void close() override;

    // For the Tunnel that takes the connection over after an upgrade.
    TransportStream& socket() { return socket_; }
    boost::beast::flat_buffer& buffer() { return request_->input; }
    const config::Limits& limits() const { return request_->limits; }

    // Downstream, for the ProxyExchange serving the current request.
    boost::asio::io_context::executor_type get_executor() override {
        return socket_.get_executor();
    }
    Request& request() override { return request_->parser->get(); }
    bool request_chunked() const override { return request_->parser->chunked(); }
    // The parser's reading of Connection, kept as it parsed the field:
    // asking the message parses the field's token list again.
    bool request_keep_alive() const override { return request_->parser->keep_alive(); }
    bool request_complete() const override { return request_->parser->is_done(); }
    // An HTTP/1.1 body's trailers are read and dropped (HeadParser): they
    // are not forwarded (SPEC).
    const Trailers* request_trailers() const override { return nullptr; }
    const std::string& client_ip() const override { return client_ip_; }
    bool is_tls() const override { return socket_.is_tls(); }
    bool draining() const override { return draining_; }
    std::string_view protocol() const override {
        return request_->parser->get().version() == 10 ? "HTTP/1.0" : "HTTP/1.1";
    }
    std::span<char> body_buffer() override { return exchange_buffers_->body(); }
    std::span<char> head_body_room() override { return exchange_buffers_->head_body; }
    void send_continue(WriteHandler handler) override;
    // A chunked body is checked by ChunkedScanner before Beast parses it.
    void read_body(BodyHandler handler) override;
    void send_response(Response& response, WriteHandler handler) override;
    void send_response_body(WriteHandler handler) override;
    void end_exchange(bool keep_alive) override;
    // Also for the session's own refusals; then reads the next request or closes.
    void send_error(boost::beast::http::status status, std::string_view reason,
                    bool keep_alive) override;
    void upgrade(TransportStream upstream, boost::beast::flat_buffer upstream_early) override;
    void abort() override { close(); }

private:
    enum class Phase { idle, header, exchange, closing };

    void wait_for_request();
    void read_first_bytes();
    void read_header();
    void parse_head();
    void on_header(boost::system::error_code ec);
    void on_header_error(boost::system::error_code ec);
    void route_request();
    void finish_exchange(bool keep_alive);
    void parse_body();
    void read_body_in_place();
    void parse_body_in_place(boost::system::error_code ec, std::span<char> read, std::size_t room);
    void finish_body_read(boost::system::error_code ec);
    bool scan_chunks();
    std::size_t head_read_room() const;
    std::size_t read_room(std::size_t at_least) const;
    void close_gracefully();
    void discard_input();
    // The client speaks HTTP/2: an Http2Session takes the connection over,
    // with `early`, the bytes already read.
    void hand_over_to_h2(std::string_view early);
    void return_request_state();
    // Writes a response's head text (if not sent yet) and body `pieces`.
    template <class Pieces>
    void write_response(const Pieces& pieces, WriteHandler handler);
    void return_exchange_buffers();

    // TLS (client_session_tls.cpp).
    void handshake();
    void on_handshake(boost::system::error_code ec);
    void send_close_notify();

    void arm_deadline(std::chrono::milliseconds after) { deadline_.arm(socket_, after); }

    TransportStream socket_;
    ServingState& state_;
    SessionRegistry& registry_;
    std::shared_ptr<const ListenerContext> listener_;
    std::string client_ip_;
    Deadline deadline_;
    // Borrowed from the worker's pool from the first byte of a request
    // until the connection is idle again (bytes of a pipelined request
    // keep it): an idle connection holds none.
    std::unique_ptr<RequestState> request_;
    // Borrowed from the worker's pool from routing a request until its
    // exchange is over: a connection that only gets turnout's own errors
    // holds none either.
    std::unique_ptr<ExchangeBuffers> exchange_buffers_;
    Phase phase_ = Phase::idle;
    bool draining_ = false;
};

}  // namespace turnout::server

#pragma once

// One client connection: reads requests one after another (keep-alive),
// enforces the limits of SPEC §3, routes each request and hands it to a
// ProxyExchange, and answers with turnout's own errors when it cannot.

#include "config/config.hpp"
#include "server/http/chunked_scanner.hpp"
#include "server/deadline.hpp"
#include "server/http/error_response.hpp"
#include "server/transport_stream.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace turnout::server {

class ServingState;
class SessionRegistry;

// What a session knows about the listener that accepted it. Whether it is
// TLS (https) is the connection's own: see TransportStream::is_tls().
struct ListenerContext {
    std::string name;
};

class ClientSession : public std::enable_shared_from_this<ClientSession> {
public:
    using RequestParser = boost::beast::http::request_parser<boost::beast::http::buffer_body>;
    static constexpr std::size_t body_buffer_size = 64 * 1024;

    // `socket` is plain, or TLS not yet handshaken.
    ClientSession(TransportStream socket, ServingState& state, SessionRegistry& registry,
                  std::shared_ptr<const ListenerContext> listener);
    ~ClientSession();

    void start();

    // Graceful stop: close now if idle, else after the current response.
    void drain();
    // Immediate stop.
    void close();

    // For the ProxyExchange serving the current request.
    TransportStream& socket() { return socket_; }
    boost::beast::flat_buffer& buffer() { return buffer_; }
    RequestParser& parser() { return *parser_; }
    char* body_buffer() { return body_buffer_.get(); }
    const std::string& client_ip() const { return client_ip_; }
    const ListenerContext& listener() const { return *listener_; }
    const config::Limits& limits() const { return limits_; }
    bool draining() const { return draining_; }
    void arm_deadline(std::chrono::milliseconds after) { deadline_.arm(socket_, after); }
    void disarm_deadline() { deadline_.disarm(); }
    bool deadline_expired() const { return deadline_.expired(); }

    // Reads more of the request body into the parser's body buffer (set by
    // the caller), and calls back once some arrived, the buffer is full, or
    // the body ended. A chunked body is checked by ChunkedScanner before
    // Beast parses it; a bad one fails with http::error::bad_chunk.
    using BodyHandler = std::function<void(boost::system::error_code)>;
    void read_body(BodyHandler handler);

    // The exchange is over. keep_alive: the request was read whole and the
    // response written whole, so the connection may carry the next request.
    void finish_exchange(bool keep_alive);

    // Answers the current request with turnout's own error, then reads the
    // next request or closes.
    void send_error(boost::beast::http::status status, std::string_view reason, bool keep_alive);

private:
    enum class Phase { idle, header, exchange, closing };

    void wait_for_request();
    void read_header();
    void parse_head();
    void on_header(boost::system::error_code ec);
    void on_header_error(boost::system::error_code ec);
    void route_request();
    void parse_body();
    void finish_body_read(boost::system::error_code ec);
    bool scan_chunks();
    std::size_t read_room() const;
    void close_gracefully();
    void discard_input();

    // TLS (client_session_tls.cpp).
    void handshake();
    void on_handshake(boost::system::error_code ec);
    void send_close_notify();

    TransportStream socket_;
    ServingState& state_;
    SessionRegistry& registry_;
    std::shared_ptr<const ListenerContext> listener_;
    std::string client_ip_;
    Deadline deadline_;
    boost::beast::flat_buffer buffer_;
    std::optional<RequestParser> parser_;
    std::size_t head_scanned_ = 0;  // bytes of buffer_ find_head_end has looked at
    std::size_t body_scanned_ = 0;  // bytes at the front of buffer_ ChunkedScanner has seen
    ChunkedScanner chunked_scanner_;
    BodyHandler body_handler_;
    std::unique_ptr<char[]> body_buffer_;
    std::optional<ErrorResponse> error_response_;
    config::Limits limits_;
    Phase phase_ = Phase::idle;
    bool draining_ = false;
};

}  // namespace turnout::server

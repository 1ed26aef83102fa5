#include "server/client_session.hpp"

#include "server/h2/h2_preface.hpp"
#include "server/h2/http2_session.hpp"
#include "server/exchange_pool.hpp"
#include "server/match_route.hpp"
#include "server/http/head_text.hpp"
#include "server/http/request_head_check.hpp"
#include "server/idle_wait.hpp"
#include "server/serving_state.hpp"
#include "server/session_registry.hpp"
#include "server/tunnel.hpp"

#include <boost/asio/write.hpp>
#include <boost/assert.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <array>

namespace turnout::server {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

// How long a closing connection keeps reading (and discarding) what the
// client still sends, so the kernel does not answer it with a reset that
// destroys the error response we just wrote.
constexpr std::chrono::seconds linger_timeout{2};
// How long an idle keep-alive connection may still send one request once
// its worker drains.
constexpr std::chrono::seconds drain_idle_grace{1};

// A keep-alive client that was not told `Connection: close` may be sending
// its next request this very moment, and closing would reset it (a failed
// request at every graceful stop or upgrade). While draining it gets a short
// grace instead: a request that comes is served with `Connection: close`,
// a client that stays idle is closed.
std::chrono::milliseconds idle_deadline(const config::Limits& limits, bool draining) {
    return draining ? std::min<std::chrono::milliseconds>(limits.idle_timeout, drain_idle_grace)
                    : limits.idle_timeout;
}

constexpr std::string_view continue_100 = "HTTP/1.1 100 Continue\r\n\r\n";

// One per worker process, as worker_exchange_buffers(): a worker serves on
// one thread, and the master, which starts the workers, serves no request.
RequestStatePool& request_state_pool() {
    static RequestStatePool pool;
    return pool;
}

bool is_http_error(const error_code& ec) {
    return ec.category() == http::make_error_code(http::error::bad_method).category();
}

}  // namespace

ClientSession::ClientSession(TransportStream socket, ServingState& state, SessionRegistry& registry,
                             std::shared_ptr<const ListenerContext> listener)
    : socket_{std::move(socket)}, state_{state}, registry_{registry},
      listener_{std::move(listener)}, deadline_{socket_.get_executor()} {}

ClientSession::~ClientSession() {
    return_exchange_buffers();
    return_request_state();
    state_.metrics().connection_closed();
    registry_.remove(this);
}

void ClientSession::start() {
    registry_.add(this);
    state_.metrics().connection_opened();
    error_code ec;
    socket_.socket().set_option(tcp::no_delay{true}, ec);
    const auto remote = socket_.socket().remote_endpoint(ec);
    if (ec) {
        return;  // the client is already gone
    }
    client_ip_ = remote.address().to_string();
    if (socket_.is_tls()) {
        handshake();
        return;
    }
    wait_for_request();
}

void ClientSession::drain() {
    draining_ = true;
    if (phase_ == Phase::idle) {
        arm_deadline(idle_deadline(state_.limits(), draining_));
    }
}

void ClientSession::close() {
    phase_ = Phase::closing;
    deadline_.disarm();
    error_code ignored;
    socket_.close(ignored);
}

// Waits for the first byte of the next request under idle_timeout; the
// header deadline starts only once the client has begun a request. Bytes
// of a pipelined request already read go to parsing at once.
void ClientSession::wait_for_request() {
    BOOST_ASSERT_MSG(phase_ == Phase::idle, "a request starts once the last one ended");
    if (request_ && request_->input.size() > 0) {
        read_header();
        return;
    }
    return_request_state();
    arm_deadline(idle_deadline(state_.limits(), draining_));
    if (socket_.has_buffered_input()) {
        read_first_bytes();
        return;
    }
    // A readiness wait, not a read: a pending read pins its buffer for as
    // long as the client stays idle. After a read that emptied the socket
    // the wait makes no system call (server/socket_readiness.hpp).
    wait_while_idle(socket_.socket(), [self = shared_from_this()](error_code ec) {
        if (ec) {
            self->close();
            return;
        }
        self->read_first_bytes();
    });
}

// The client is sending: borrows a request state and reads what came.
void ClientSession::read_first_bytes() {
    if (phase_ == Phase::closing) {
        return;
    }
    request_ = request_state_pool().take();
    socket_.async_read_some(request_->input.prepare(head_read_room()),
                            [self = shared_from_this()](error_code ec, std::size_t read) {
                                self->request_->input.commit(read);
                                if (ec) {
                                    self->close();
                                    return;
                                }
                                self->read_header();
                            });
}

// header_timeout is an absolute deadline for the whole header, not a gap
// between reads: a client dripping one byte at a time is still cut off.
void ClientSession::read_header() {
    phase_ = Phase::header;
    request_->start_request(state_.limits());
    arm_deadline(request_->limits.header_timeout);
    parse_head();
}

// The head is read whole and checked by check_request_head before Beast
// sees any of it, so an ambiguous request is refused before it is parsed,
// let alone forwarded.
void ClientSession::parse_head() {
    auto& request = *request_;
    if (const auto skip = leading_empty_lines(
            {static_cast<const char*>(request.input.data().data()), request.input.size()})) {
        request.input.consume(skip);
        request.head_scanned = 0;
    }
    const std::string_view bytes{static_cast<const char*>(request.input.data().data()),
                                 request.input.size()};
    const auto head = find_head_end(bytes, request.head_scanned);
    if (head.bare_lf) {
        send_error(http::status::bad_request, "bad_line_ending", false);
        return;
    }
    if (head.end == 0 || head.end > request.limits.max_header_bytes) {
        if (bytes.size() > request.limits.max_header_bytes) {
            send_error(http::status::request_header_fields_too_large, "header_too_large", false);
            return;
        }
        request.head_scanned = bytes.size();
        socket_.async_read_some(request.input.prepare(head_read_room()),
                                [self = shared_from_this()](error_code ec, std::size_t read) {
                                    self->request_->input.commit(read);
                                    if (ec) {
                                        self->on_header(ec);
                                        return;
                                    }
                                    self->parse_head();
                                });
        return;
    }
    if (listener_->http2 && !socket_.is_tls() && is_h2_preface_head(bytes.substr(0, head.end))) {
        hand_over_to_h2(bytes);
        return;
    }
    if (const auto rejected =
            check_request_head(bytes.substr(0, head.end), request.limits.max_headers)) {
        send_error(rejected->status, rejected->reason, false);
        return;
    }
    error_code ec;
    request.parser->put(asio::buffer(bytes.data(), head.end), ec);
    request.input.consume(head.end);
    if (!ec && !request.parser->is_header_done()) {
        ec = http::error::partial_message;
    }
    request.body_scanned = 0;
    request.chunked_scanner.reset();
    on_header(ec);
}

// A head read fills what the lent input buffer has free, so a head split
// over reads, or bytes behind a request, do not grow it; a full buffer
// grows by long_head_read at once, not doubling from 1 KiB read by read.
std::size_t ClientSession::head_read_room() const {
    const auto& input = request_->input;
    const auto free = input.capacity() - input.size();
    return read_room(free > 0 ? free : RequestState::long_head_read);
}

// At least `at_least` bytes of room for the next read, up to max_size.
std::size_t ClientSession::read_room(std::size_t at_least) const {
    const auto& input = request_->input;
    return std::min(std::max(input.capacity() - input.size(), at_least),
                    input.max_size() - input.size());
}

void ClientSession::on_header(error_code ec) {
    if (ec) {
        on_header_error(ec);
        return;
    }
    deadline_.disarm();
    // The body bytes that came with the head are checked before the head
    // goes anywhere: a request already known to be malformed sends no byte
    // upstream. Bytes that come later are checked in parse_body.
    if (request_->parser->chunked() && !scan_chunks()) {
        send_error(http::status::bad_request, "bad_request_body", false);
        return;
    }
    route_request();
}

void ClientSession::on_header_error(error_code ec) {
    if (phase_ == Phase::closing) {
        return;
    }
    if (ec == asio::error::operation_aborted && deadline_.expired()) {
        send_error(http::status::request_timeout, "header_timeout", false);
    } else if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
        send_error(http::status::request_header_fields_too_large, "header_too_large", false);
    } else if (ec == http::error::body_limit) {
        send_error(http::status::payload_too_large, "body_too_large", false);
    } else if (ec != http::error::end_of_stream && ec != http::error::partial_message &&
               is_http_error(ec)) {
        send_error(http::status::bad_request, "bad_request", false);
    } else {
        close();  // the client went away or reset: nothing to answer
    }
}

void ClientSession::send_continue(WriteHandler handler) {
    arm_deadline(request_->limits.send_timeout);
    asio::async_write(socket_, asio::buffer(continue_100),
                      [self = shared_from_this(), handler = std::move(handler)](
                          error_code ec, std::size_t) mutable { handler(ec); });
}

// Reads under idle_timeout: a client may pause between body pieces, but
// not forever.
void ClientSession::read_body(BodyHandler handler) {
    auto& request = *request_;
    BOOST_ASSERT_MSG(!request.body_handler, "one body read at a time");
    auto& body = request.parser->get().body();
    const auto room = exchange_buffers_->body();
    body.data = room.data();
    body.size = room.size();
    arm_deadline(request.limits.idle_timeout);
    request.body_handler = std::move(handler);
    parse_body();
}

void ClientSession::parse_body() {
    auto& request = *request_;
    auto& parser = *request.parser;
    if (parser.chunked() && !scan_chunks()) {
        finish_body_read(http::error::bad_chunk);
        return;
    }
    // Beast parses one piece per put (a chunk header, or data): go on until
    // some body arrived, the buffer is full, the body ended or input ran out.
    const auto room = parser.get().body().size;
    while (request.input.size() > 0) {
        error_code ec;
        const auto used = parser.put(request.input.data(), ec);
        request.input.consume(used);
        request.body_scanned -= std::min(used, request.body_scanned);
        if (ec == http::error::need_more) {
            break;
        }
        if (ec || parser.is_done() || parser.get().body().size != room) {
            finish_body_read(ec == http::error::need_buffer ? error_code{} : ec);
            return;
        }
        if (used == 0) {
            break;
        }
    }
    if (request.input.size() == 0) {
        read_body_in_place();
        return;
    }
    socket_.async_read_some(request.input.prepare(read_room(RequestState::body_read_size)),
                            [self = shared_from_this()](error_code ec, std::size_t read) {
                                self->request_->input.commit(read);
                                if (ec == asio::error::eof) {
                                    self->request_->parser->put_eof(ec);
                                    self->finish_body_read(ec ? ec : http::error::partial_message);
                                } else if (ec) {
                                    self->finish_body_read(ec);
                                } else {
                                    self->parse_body();
                                }
                            });
}

// With nothing buffered, the client's bytes are read straight into the
// body room, a body buffer at a time, and parsed where they landed (as
// UpstreamAttempt reads response bodies): not read into `input` 16 KiB at
// a time and copied from there by the parser. The room is empty here:
// parse_body ends a read as soon as any body bytes reach it.
void ClientSession::read_body_in_place() {
    auto& body = request_->parser->get().body();
    const std::span<char> into{static_cast<char*>(body.data), body.size};
    socket_.async_read_some(asio::buffer(into.data(), into.size()),
                            [self = shared_from_this(), into](error_code ec, std::size_t read) {
                                self->parse_body_in_place(ec, into.first(read), into.size());
                            });
}

// The bytes were checked by the chunked scanner before Beast parses them,
// as those in `input` are. What the parser leaves (a chunk header cut by
// the read, a pipelined request behind the body) goes to `input`, which
// is empty and holds a body buffer's worth.
void ClientSession::parse_body_in_place(error_code ec, std::span<char> read, std::size_t room) {
    auto& request = *request_;
    auto& parser = *request.parser;
    if (ec == asio::error::eof) {
        parser.put_eof(ec);
        finish_body_read(ec ? ec : http::error::partial_message);
        return;
    }
    if (ec) {
        finish_body_read(ec);
        return;
    }
    std::size_t scanned = 0;  // bytes of `read` the chunked scanner has seen
    if (parser.chunked() && !request.chunked_scanner.done()) {
        const auto result = request.chunked_scanner.scan({read.data(), read.size()});
        if (result.bad) {
            finish_body_read(http::error::bad_chunk);
            return;
        }
        scanned = result.used;
    }
    const auto parsed = parser.put_in_place(read, ec);
    if (ec) {
        finish_body_read(ec);
        return;
    }
    const asio::const_buffer rest{read.data() + parsed, read.size() - parsed};
    request.input.commit(asio::buffer_copy(request.input.prepare(rest.size()), rest));
    request.body_scanned = scanned - std::min(parsed, scanned);
    if (parser.is_done() || parser.get().body().size != room) {
        finish_body_read({});
        return;
    }
    parse_body();  // no body bytes yet: only chunk framing came
}

// Whether every byte of the chunked body buffered so far is well framed.
bool ClientSession::scan_chunks() {
    auto& request = *request_;
    if (request.chunked_scanner.done() || request.body_scanned >= request.input.size()) {
        return true;
    }
    const std::string_view fresh{static_cast<const char*>(request.input.data().data()) +
                                     request.body_scanned,
                                 request.input.size() - request.body_scanned};
    const auto result = request.chunked_scanner.scan(fresh);
    request.body_scanned += result.used;
    return !result.bad;
}

void ClientSession::finish_body_read(error_code ec) {
    if (ec == asio::error::operation_aborted && deadline_.expired()) {
        ec = asio::error::timed_out;  // idle_timeout: the exchange answers 408
    }
    auto handler = std::move(request_->body_handler);  // leaves it empty for the next read
    handler(ec, ec ? 0 : BodyBuffer::size - request_->parser->get().body().size);
}

void ClientSession::route_request() {
    BOOST_ASSERT(phase_ == Phase::header);
    auto& request = request_->parser->get();
    const bool no_body = request_->parser->is_done();
    const auto host = request[http::field::host];
    if (request.version() >= 11 && host.empty()) {
        send_error(http::status::bad_request, "missing_host", false);
        return;
    }
    auto route = match_route(state_, request, host, client_ip_, protocol());
    if (!route) {
        send_error(http::status::not_found, "no_route", request_keep_alive() && no_body);
        return;
    }
    if (!exchange_buffers_) {
        exchange_buffers_ = worker_exchange_buffers().take();
    }
    phase_ = Phase::exchange;
    state_.exchanges().take()->begin(shared_from_this(), std::move(route), state_);
}

void ClientSession::send_response(Response& response, WriteHandler handler) {
    auto& buffers = *exchange_buffers_;
    BOOST_ASSERT_MSG(!buffers.response, "one response per exchange");
    buffers.response = &response;
    buffers.head_text.clear();
    append_head_text(buffers.head_text, response);
    send_response_body(std::move(handler));
}

// The response's next body piece, behind the head text on the first write:
// as it is, or as a chunk. Two buffers when there is no chunk to frame,
// since the write walks every buffer it is given.
void ClientSession::send_response_body(WriteHandler handler) {
    auto& buffers = *exchange_buffers_;
    arm_deadline(request_->limits.send_timeout);
    const asio::const_buffer head = asio::buffer(buffers.head_text);
    const auto& body = buffers.response->body();
    if (!buffers.response->chunked()) {
        write_response(std::array{head, asio::const_buffer{body.data, body.data ? body.size : 0}},
                       std::move(handler));
        return;
    }
    const auto chunk = as_chunk(body, buffers.chunk_size);
    write_response(std::array{head, chunk[0], chunk[1], chunk[2], chunk[3]}, std::move(handler));
}

template <class Pieces>
void ClientSession::write_response(const Pieces& pieces, WriteHandler handler) {
    asio::async_write(socket_, pieces,
                      [self = shared_from_this(),
                       handler = std::move(handler)](error_code ec, std::size_t) mutable {
                          // Sent: the pieces after it are body alone.
                          self->exchange_buffers_->head_text.clear();
                          if (ec == asio::error::operation_aborted && self->deadline_.expired()) {
                              ec = asio::error::timed_out;  // send_timeout
                          }
                          handler(ec);
                      });
}

void ClientSession::end_exchange(bool keep_alive) {
    deadline_.disarm();
    exchange_buffers_->reset();
    finish_exchange(keep_alive);
}

// The session stays in its exchange phase while the tunnel runs: drain()
// leaves it alone, and the tunnel closes the session when it ends.
void ClientSession::upgrade(TransportStream upstream, boost::beast::flat_buffer upstream_early) {
    deadline_.disarm();
    exchange_buffers_->reset();
    std::make_shared<Tunnel>(shared_from_this(), std::move(upstream), std::move(upstream_early))
        ->start();
}

void ClientSession::finish_exchange(bool keep_alive) {
    if (phase_ == Phase::closing) {
        return;
    }
    phase_ = Phase::idle;
    if (keep_alive) {
        // The request is over, its body read whole: nothing of the
        // exchange reads or writes these buffers any more.
        return_exchange_buffers();
        wait_for_request();
    } else {
        close_gracefully();
    }
}

void ClientSession::send_error(http::status status, std::string_view reason, bool keep_alive) {
    if (phase_ == Phase::closing) {
        return;
    }
    auto& request = *request_;
    BOOST_ASSERT_MSG(!request.error_response, "one error response at a time");
    BOOST_ASSERT_MSG(!exchange_buffers_ || !exchange_buffers_->response,
                     "an error answers only before the response head");
    keep_alive = keep_alive && !draining_;
    const unsigned version =
        request.parser && request.parser->is_header_done() ? request.parser->get().version() : 11;
    request.error_response.emplace(make_error_response(status, reason, version, keep_alive));
    arm_deadline(request.limits.send_timeout);
    http::async_write(socket_, *request.error_response,
                      [self = shared_from_this(), keep_alive](error_code ec, std::size_t) {
                          self->request_->error_response.reset();
                          if (ec) {
                              self->close();
                          } else {
                              self->finish_exchange(keep_alive);
                          }
                      });
}

// The session ends here (its destructor counts it closed); the
// Http2Session now owns the socket and counts as the open connection.
void ClientSession::hand_over_to_h2(std::string_view early) {
    deadline_.disarm();
    phase_ = Phase::closing;
    auto h2 = std::make_shared<Http2Session>(std::move(socket_), state_, registry_, listener_,
                                             client_ip_);
    h2->start(early);
    return_request_state();
}

void ClientSession::return_request_state() {
    if (request_) {
        request_state_pool().give_back(std::move(request_));
    }
}

void ClientSession::return_exchange_buffers() {
    if (exchange_buffers_) {
        worker_exchange_buffers().give_back(std::move(exchange_buffers_));
    }
}

// Half-closes, then reads until the client closes too (or a short deadline),
// so our last response is not lost to a reset caused by unread input.
void ClientSession::close_gracefully() {
    phase_ = Phase::closing;
    request_->input.clear();
    arm_deadline(linger_timeout);
    if (socket_.is_tls()) {
        send_close_notify();
        return;
    }
    error_code ignored;
    socket_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    discard_input();
}

// Reads the TCP connection itself: under TLS this runs once the TLS session
// is over, and what still arrives is only to be drained.
void ClientSession::discard_input() {
    auto& tcp_socket = socket_.socket();
    tcp_socket.async_read_some(request_->input.prepare(4096),
                               [self = shared_from_this()](error_code ec, std::size_t) {
                                   self->request_->input.clear();
                                   if (ec) {
                                       self->close();
                                       return;
                                   }
                                   self->discard_input();
                               });
}

}  // namespace turnout::server

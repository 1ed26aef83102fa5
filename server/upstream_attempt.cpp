#include "server/upstream_attempt.hpp"

#include "server/http/head_text.hpp"
#include "server/logfmt.hpp"
#include "server/upstream/active_upstream.hpp"
#include "server/upstream/target_pool.hpp"
#include "server/upstream/upstream_tls.hpp"

#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/write.hpp>
#include <boost/assert.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <spdlog/spdlog.h>

#include <array>

namespace turnout::server {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

constexpr std::uint32_t max_response_header_bytes = 64 * 1024;

}  // namespace

UpstreamAttempt::UpstreamAttempt(const TransportStream::executor_type& executor)
    : socket_{executor}, deadline_{executor} {}

// The phases run idle or closed → (connecting →) sending (→ send_failed) →
// receiving → closed; the asserts below hold each step to them.
void UpstreamAttempt::begin(ActiveUpstream& upstream, std::size_t target) {
    BOOST_ASSERT_MSG(phase_ == Phase::idle || phase_ == Phase::closed,
                     "a try starts once the last one is over");
    upstream_ = &upstream;
    config_ = &upstream.config();
    target_ = target;
    buffer_.clear();
}

bool UpstreamAttempt::take_pooled(ActiveUpstream& upstream, std::size_t target, bool peek) {
    auto pooled = upstream.pool(target).checkout(peek);
    if (!pooled) {
        return false;
    }
    begin(upstream, target);
    socket_ = std::move(*pooled);
    reused_ = true;
    phase_ = Phase::sending;
    return true;
}

void UpstreamAttempt::connect(ActiveUpstream& upstream, std::size_t target, Handler done) {
    begin(upstream, target);
    reused_ = false;
    phase_ = Phase::connecting;
    socket_ = TransportStream{socket_.get_executor()};  // a fresh, plain one
    deadline_.arm(socket_, config_->timeouts.connect);
    socket_.socket().async_connect(
        config_->targets[target].address.endpoint,
        [this, done = std::move(done)](error_code ec) mutable { on_connect(ec, std::move(done)); });
}

void UpstreamAttempt::on_connect(error_code ec, Handler done) {
    if (!ec) {
        socket_.socket().set_option(asio::ip::tcp::no_delay{true}, ec);
        if (config_->tls) {
            start_tls(std::move(done));
            return;
        }
        phase_ = Phase::sending;
        done(AttemptError::none);
        return;
    }
    const bool timed_out = deadline_.expired();
    spdlog::warn("msg=\"upstream connect failed\" upstream={} target={} error={}",
                 log_value(config_->name), log_value(target_text()),
                 log_value(timed_out ? "timeout" : ec.message()));
    done(timed_out ? AttemptError::connect_timeout : AttemptError::connect_failed);
}

// The handshake is part of connecting: it runs under the connect timeout,
// and a failure means the request never left.
void UpstreamAttempt::start_tls(Handler done) {
    const auto& context = upstream_->tls_context();
    if (!context) {
        done(AttemptError::no_tls_context);
        return;
    }
    socket_.start_tls(context);
    prepare_upstream_tls(socket_.tls().native_handle(), *config_->tls,
                         config_->targets[target_].address);
    deadline_.arm(socket_, config_->timeouts.connect);
    socket_.tls().async_handshake(asio::ssl::stream_base::client,
                                  [this, done = std::move(done)](error_code ec) mutable {
                                      on_handshake(ec, std::move(done));
                                  });
}

void UpstreamAttempt::on_handshake(error_code ec, Handler done) {
    if (!ec) {
        phase_ = Phase::sending;
        done(AttemptError::none);
        return;
    }
    const bool timed_out = deadline_.expired();
    spdlog::warn(
        "msg=\"upstream TLS handshake failed\" upstream={} target={} error={}",
        log_value(config_->name), log_value(target_text()),
        log_value(timed_out ? "timeout" : upstream_tls_failure(socket_.tls().native_handle(), ec)));
    done(timed_out ? AttemptError::connect_timeout : AttemptError::tls_failed);
}

void UpstreamAttempt::send_head(Request& request, bool whole, Handler done) {
    BOOST_ASSERT(phase_ == Phase::sending);
    request_ = &request;
    request_sent_ = false;
    head_text_.clear();
    append_head_text(head_text_, request);
    if (whole) {
        send_piece(true, std::move(done));
        return;
    }
    deadline_.arm(socket_, config_->timeouts.response);
    asio::async_write(socket_, asio::buffer(head_text_),
                      [this, done = std::move(done)](error_code ec, std::size_t) mutable {
                          on_sent(ec, std::move(done));
                      });
}

void UpstreamAttempt::send_body(Handler done) {
    BOOST_ASSERT(phase_ == Phase::sending);
    send_piece(false, std::move(done));
}

// The body piece the request points at, behind the head text when it has
// not gone yet: as it is (its length was declared), or as a chunk. The
// request is sent once a piece with body().more false is.
void UpstreamAttempt::send_piece(bool with_head, Handler done) {
    deadline_.arm(socket_, config_->timeouts.response);
    const auto head = with_head ? asio::buffer(head_text_) : asio::const_buffer{};
    const auto& body = request_->body();
    auto on_written = [this, last = !body.more, done = std::move(done)](error_code ec,
                                                                        std::size_t) mutable {
        request_sent_ = !ec && last;
        on_sent(ec, std::move(done));
    };
    const std::size_t size = body.data ? body.size : 0;
    if (!request_->chunked()) {
        // One buffer for a head alone (a GET): a write walks every buffer
        // it is given.
        if (size == 0) {
            asio::async_write(socket_, head, std::move(on_written));
        } else {
            asio::async_write(socket_, std::array{head, asio::const_buffer{body.data, size}},
                              std::move(on_written));
        }
        return;
    }
    const auto chunk = as_chunk(body, chunk_size_);
    asio::async_write(socket_, std::array{head, chunk[0], chunk[1], chunk[2], chunk[3]},
                      std::move(on_written));
}

void UpstreamAttempt::send_trailers(const http::fields& trailers, Handler done) {
    BOOST_ASSERT(phase_ == Phase::sending);
    last_chunk_ = "0\r\n";
    for (const auto& field : trailers) {
        last_chunk_.append(field.name_string()).append(": ").append(field.value()).append("\r\n");
    }
    last_chunk_ += "\r\n";
    deadline_.arm(socket_, config_->timeouts.response);
    asio::async_write(socket_, asio::buffer(last_chunk_),
                      [this, done = std::move(done)](error_code ec, std::size_t) mutable {
                          request_sent_ = !ec;
                          std::string{}.swap(last_chunk_);
                          on_sent(ec, std::move(done));
                      });
}

void UpstreamAttempt::on_sent(error_code ec, Handler done) {
    if (!ec) {
        done(AttemptError::none);
    } else if (deadline_.expired()) {
        done(AttemptError::timeout);
    } else {
        phase_ = Phase::send_failed;
        done(AttemptError::send_failed);
    }
}

void UpstreamAttempt::read_response_head(bool skip_body, Handler done) {
    BOOST_ASSERT(phase_ == Phase::sending || phase_ == Phase::send_failed);
    skip_body_ = skip_body;
    read_head(std::move(done));
}

void UpstreamAttempt::read_head(Handler done) {
    response_parser_.emplace(response_);
    response_parser_->body_limit(boost::none);
    response_parser_->header_limit(max_response_header_bytes);
    response_parser_->skip(skip_body_);
    deadline_.arm(socket_, config_->timeouts.response);
    // A 2 kB response read 512 bytes at a time took two reads, and two
    // writes to the client, where nginx makes one of each.
    buffer_.reserve(upstream_->head_read_size());
    http::async_read_header(
        socket_, buffer_, *response_parser_,
        [this, done = std::move(done)](error_code ec, std::size_t head_bytes) mutable {
            on_head(ec, head_bytes, std::move(done));
        });
}

// A head that fails before any byte is a reset (or, when the request could
// not be written whole, the write's failure), since the target may have
// acted on the request; one that fails after some is a bad response.
void UpstreamAttempt::on_head(error_code ec, std::size_t head_bytes, Handler done) {
    if (ec) {
        if (deadline_.expired()) {
            done(AttemptError::timeout);
        } else if (response_parser_->got_some()) {
            done(AttemptError::bad_response);
        } else {
            done(phase_ == Phase::send_failed ? AttemptError::send_failed : AttemptError::reset);
        }
        return;
    }
    const auto code = response_parser_->get().result_int();
    if (code >= 100 && code < 200 && code != 101) {
        read_head(std::move(done));  // informational: the final response follows
        return;
    }
    if (head_bytes + buffer_.size() >= buffer_.capacity()) {
        upstream_->head_read_filled();  // more may have been waiting
    }
    phase_ = Phase::receiving;
    // The parser's own verdict, from the Connection tokens it already read
    // (the message's keep_alive() reads them again); it also says no for a
    // body that ends at the close, after which the connection is done.
    keep_alive_ = response_parser_->keep_alive();
    done(AttemptError::none);
}

// The start of the body often arrives with the head (a small body whole):
// parsing it now lets head and body go out to the client in one write.
std::optional<std::size_t> UpstreamAttempt::take_buffered_body(std::span<char> into) {
    BOOST_ASSERT(phase_ == Phase::receiving);
    auto& parser = *response_parser_;
    auto& body = parser.get().body();
    body.data = into.data();
    body.size = into.size();
    while (buffer_.size() > 0 && body.size > 0 && !parser.is_done()) {
        error_code ec;
        const auto used = parser.put(buffer_.data(), ec);
        buffer_.consume(used);
        if (ec == http::error::need_buffer || ec == http::error::need_more) {
            break;
        }
        if (ec) {
            return std::nullopt;
        }
        if (used == 0) {
            break;
        }
    }
    return into.size() - body.size;
}

void UpstreamAttempt::read_body(std::span<char> into, BodyHandler done) {
    BOOST_ASSERT(phase_ == Phase::receiving);
    auto& body = response_parser_->get().body();
    body.data = into.data();
    body.size = into.size();
    deadline_.arm(socket_, config_->timeouts.response);
    if (buffer_.size() == 0) {
        read_body_in_place(into, std::move(done));
        return;
    }
    http::async_read_some(
        socket_, buffer_, *response_parser_,
        [this, room = into.size(), done = std::move(done)](error_code ec, std::size_t) mutable {
            if (ec == http::error::need_buffer) {
                ec = {};
            }
            done(ec, ec ? 0 : room - response_parser_->get().body().size);
        });
}

// Beast's own read goes through buffer_: a read takes at most its free
// room (512 bytes, or a page, while it has held only heads), then every
// byte is copied into the body. With nothing buffered, the socket is read
// straight into `into`, up to its size, and the bytes are parsed where
// they landed (HeadParser::put_in_place). What a read leaves unparsed, a
// chunk header cut in two, waits in buffer_.
void UpstreamAttempt::read_body_in_place(std::span<char> into, BodyHandler done) {
    socket_.async_read_some(
        asio::buffer(into.data(), into.size()),
        [this, into, done = std::move(done)](error_code ec, std::size_t read) mutable {
            auto& parser = *response_parser_;
            if (ec == asio::error::eof) {
                // A body that ends at the close is complete now; any other ended early.
                ec = {};
                parser.put_eof(ec);
                done(ec, 0);
                return;
            }
            if (ec) {
                done(ec, 0);
                return;
            }
            const auto parsed = parser.put_in_place(into.first(read), ec);
            if (ec) {
                done(ec, 0);
                return;
            }
            const asio::const_buffer rest{into.data() + parsed, read - parsed};
            buffer_.commit(asio::buffer_copy(buffer_.prepare(rest.size()), rest));
            done(ec, into.size() - parser.get().body().size);
        });
}

void UpstreamAttempt::release(TargetPool& pool) {
    BOOST_ASSERT(phase_ == Phase::receiving);
    deadline_.disarm();
    const bool reusable =
        keep_alive_ && response_parser_->is_done() && request_sent() && buffer_.size() == 0;
    phase_ = Phase::closed;
    if (reusable) {
        pool.checkin(std::move(socket_));
    } else {
        socket_.close();
    }
}

TransportStream UpstreamAttempt::take_connection() {
    BOOST_ASSERT(phase_ == Phase::receiving);
    deadline_.disarm();
    phase_ = Phase::closed;
    return std::move(socket_);
}

void UpstreamAttempt::close() {
    deadline_.disarm();
    phase_ = Phase::closed;
    socket_.close();
}

void UpstreamAttempt::reset() {
    if (phase_ != Phase::idle && phase_ != Phase::closed) {
        close();
    }
    buffer_.clear();
    if (buffer_.capacity() > max_kept_buffer) {
        buffer_.shrink_to_fit();
    }
    response_.release_room_over(max_kept_buffer);
    request_ = nullptr;
    response_parser_.reset();
    upstream_ = nullptr;
    config_ = nullptr;
    target_ = 0;
    phase_ = Phase::idle;
    reused_ = false;
    skip_body_ = false;
    keep_alive_ = false;
    request_sent_ = false;
    head_text_.clear();
    std::string{}.swap(last_chunk_);
}

const std::string& UpstreamAttempt::target_text() const {
    return config_->targets[target_].address.text;
}

}  // namespace turnout::server

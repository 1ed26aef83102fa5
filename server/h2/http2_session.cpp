#include "server/h2/http2_session.hpp"

#include "server/client_session.hpp"
#include "server/h2/h2_stream.hpp"
#include "server/h2/nghttp2_server.hpp"
#include "server/idle_wait.hpp"
#include "server/logfmt.hpp"
#include "server/serving_state.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace turnout::server {

namespace asio = boost::asio;
using error_code = boost::system::error_code;

namespace {

// How long the GOAWAY notice stands before the final GOAWAY names the last
// stream: requests the client sent before it saw the notice still arrive.
constexpr std::chrono::seconds goaway_notice_time{1};

// Floods, per connection (FrameBudget): a client sends a few SETTINGS and
// PINGs per connection and empty DATA frames hardly ever.
constexpr std::uint32_t settings_burst = 100;
constexpr std::uint32_t settings_per_second = 10;
constexpr std::uint32_t ping_burst = 100;
constexpr std::uint32_t ping_per_second = 10;
constexpr std::uint32_t empty_data_burst = 100;
constexpr std::uint32_t empty_data_per_second = 10;
// Rapid reset (CVE-2023-44487): counted here, so the answer is GOAWAY
// ENHANCE_YOUR_CALM (nghttp2's own limit stays behind it: nghttp2_server.cpp).
constexpr std::uint32_t reset_burst = 500;
constexpr std::uint32_t resets_per_second = 33;

}  // namespace

// nghttp2's callbacks, each forwarding to the session or one of its streams.
struct Http2Callbacks {
    static Http2Session& of(void* user) { return *static_cast<Http2Session*>(user); }

    static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user) {
        auto& self = of(user);
        if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
            return 0;
        }
        self.deadline_.disarm();
        self.streams_.emplace(
            frame->hd.stream_id,
            std::make_shared<H2Stream>(self.shared_from_this(), frame->hd.stream_id));
        return 0;
    }

    static int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                         std::size_t name_size, const std::uint8_t* value, std::size_t value_size,
                         std::uint8_t, void* user) {
        auto* stream =
            frame->hd.type == NGHTTP2_HEADERS ? of(user).stream(frame->hd.stream_id) : nullptr;
        if (!stream) {
            return 0;
        }
        const std::string_view field_name{reinterpret_cast<const char*>(name), name_size};
        const std::string_view field_value{reinterpret_cast<const char*>(value), value_size};
        if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
            stream->add_header(field_name, field_value);
        } else if (!stream->add_trailer(field_name, field_value)) {
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // RST_STREAM INTERNAL_ERROR
        }
        return 0;
    }

    static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
        auto& self = of(user);
        const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
        const bool ack = (frame->hd.flags & NGHTTP2_FLAG_ACK) != 0;
        const auto now = FrameBudget::clock::now();
        switch (frame->hd.type) {
        case NGHTTP2_SETTINGS:
            if (!ack && !self.settings_budget_.take(now)) {
                self.calm_down("SETTINGS flood");
            }
            return 0;
        case NGHTTP2_PING:
            if (!ack && !self.ping_budget_.take(now)) {
                self.calm_down("PING flood");
            }
            return 0;
        case NGHTTP2_RST_STREAM:
            if (!self.reset_budget_.take(now)) {
                self.calm_down("rapid reset");
            }
            return 0;
        case NGHTTP2_DATA:
            if (frame->hd.length == 0 && !end_stream && !self.empty_data_budget_.take(now)) {
                self.calm_down("empty DATA flood");
                return 0;
            }
            break;
        case NGHTTP2_HEADERS:
            break;
        default:
            return 0;
        }
        auto* stream = self.stream(frame->hd.stream_id);
        if (!stream) {
            return 0;
        }
        if (end_stream) {
            stream->end_request();
        }
        if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
            stream->start_request();
        }
        return 0;
    }

    static int on_data_chunk(nghttp2_session* session, std::uint8_t, std::int32_t stream_id,
                             const std::uint8_t* data, std::size_t size, void* user) {
        if (auto* stream = of(user).stream(stream_id)) {
            stream->receive_body(data, size);
        } else {
            nghttp2_session_consume_connection(session, size);
        }
        return 0;
    }

    static int on_stream_close(nghttp2_session* session, std::int32_t stream_id, std::uint32_t,
                               void* user) {
        auto& self = of(user);
        const auto found = self.streams_.find(stream_id);
        if (found == self.streams_.end()) {
            return 0;
        }
        const auto unread = found->second->on_close();
        if (unread > 0) {
            nghttp2_session_consume_connection(session, unread);
        }
        self.streams_.erase(found);
        if (self.streams_.empty() && !self.draining_) {
            self.arm_idle();
        }
        return 0;
    }

    // The response ended while the client still sends its body: RFC 9113
    // §8.1 lets the server stop it with RST_STREAM NO_ERROR, after the
    // response went out whole.
    static int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user) {
        auto& self = of(user);
        if ((frame->hd.type == NGHTTP2_DATA || frame->hd.type == NGHTTP2_HEADERS) &&
            (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
            auto* stream = self.stream(frame->hd.stream_id);
            if (stream && !stream->request_complete()) {
                self.reset_stream(frame->hd.stream_id, NGHTTP2_NO_ERROR);
            }
        }
        return 0;
    }
};

Http2Session::Http2Session(TransportStream socket, ServingState& state, SessionRegistry& registry,
                           std::shared_ptr<const ListenerContext> listener, std::string client_ip)
    : socket_{std::move(socket)}, state_{state}, registry_{registry}, listener_{std::move(
                                                                          listener)},
      client_ip_{std::move(client_ip)}, limits_{state.limits()}, deadline_{socket_.get_executor()},
      goaway_timer_{socket_.get_executor()}, settings_budget_{settings_burst, settings_per_second},
      ping_budget_{ping_burst, ping_per_second}, reset_budget_{reset_burst, resets_per_second},
      empty_data_budget_{empty_data_burst, empty_data_per_second} {}

Http2Session::~Http2Session() {
    return_read_buffer();
    if (session_) {
        nghttp2_session_del(session_);
    }
    state_.metrics().connection_closed();
    registry_.remove(this);
}

void Http2Session::start(std::string_view early) {
    registry_.add(this);
    state_.metrics().connection_opened();
    configure();
    if (!early.empty() &&
        !receive(reinterpret_cast<const std::uint8_t*>(early.data()), early.size())) {
        return;
    }
    flush();
    arm_idle();
    read();
}

void Http2Session::configure() {
    const auto& settings = listener_->http2 ? *listener_->http2 : config::Http2Settings{};
    max_header_list_size_ = settings.max_header_list_size != 0
                                ? settings.max_header_list_size
                                : static_cast<std::uint32_t>(std::min<std::uint64_t>(
                                      limits_.max_header_bytes, UINT32_MAX));
    nghttp2_session_callbacks* callbacks = nullptr;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks,
                                                            Http2Callbacks::on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, Http2Callbacks::on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, Http2Callbacks::on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks,
                                                              Http2Callbacks::on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks,
                                                           Http2Callbacks::on_stream_close);
    nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, Http2Callbacks::on_frame_send);
    session_ = new_nghttp2_server(callbacks, this, settings, max_header_list_size_, nullptr);
    nghttp2_session_callbacks_del(callbacks);
}

void Http2Session::drain() {
    if (draining_ || closed_) {
        return;
    }
    draining_ = true;
    if (streams_.empty()) {
        send_last_goaway();
        return;
    }
    nghttp2_submit_shutdown_notice(session_);
    flush();
    goaway_timer_.expires_after(goaway_notice_time);
    goaway_timer_.async_wait([self = shared_from_this()](error_code ec) {
        if (!ec && !self->closed_) {
            self->send_last_goaway();
            self->close_at_drain_timeout();
        }
    });
}

// A worker's drain closes what is left at drain_timeout itself; a
// connection drained alone (tls_changed) must do it on its own.
void Http2Session::close_at_drain_timeout() {
    goaway_timer_.expires_after(std::max<std::chrono::milliseconds>(
        limits_.drain_timeout - goaway_notice_time, std::chrono::milliseconds{0}));
    goaway_timer_.async_wait([self = shared_from_this()](error_code ec) {
        if (!ec && !self->closed_) {
            self->close();
        }
    });
}

void Http2Session::tls_changed(std::string_view listener) {
    if (listener == listener_->name) {
        drain();
    }
}

void Http2Session::send_last_goaway() {
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                          nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                          nullptr, 0);
    flush();
}

void Http2Session::close() {
    if (closed_) {
        return;
    }
    closed_ = true;
    deadline_.disarm();
    goaway_timer_.cancel();
    socket_.close();
    auto streams = std::move(streams_);
    streams_.clear();
    for (auto& [id, stream] : streams) {
        stream->on_close();
    }
}

void Http2Session::calm_down(const char* what) {
    spdlog::warn("msg=\"HTTP/2 client flooding, closing\" client={} flood={}",
                 log_value(client_ip_), log_value(what));
    nghttp2_session_terminate_session(session_, NGHTTP2_ENHANCE_YOUR_CALM);
}

H2Stream* Http2Session::stream(std::int32_t id) {
    const auto found = streams_.find(id);
    return found == streams_.end() ? nullptr : found->second.get();
}

// With streams open, reads follow each other into a buffer the connection
// keeps. With none, the connection holds no buffer: it waits until the
// client sends, then borrows one from the worker's pool.
void Http2Session::read() {
    if (reading_ || closed_ || !nghttp2_session_want_read(session_)) {
        return;
    }
    reading_ = true;
    if (streams_.empty() && !socket_.has_buffered_input()) {
        return_read_buffer();
        wait_while_idle(socket_.socket(),
                        [self = shared_from_this()](error_code ec) { self->on_readable(ec); });
        return;
    }
    read_some();
}

void Http2Session::on_readable(error_code ec) {
    if (closed_) {
        reading_ = false;
        return;
    }
    if (ec) {
        reading_ = false;
        close();
        return;
    }
    read_some();
}

void Http2Session::read_some() {
    if (!read_buffers_) {
        read_buffers_ = worker_body_buffers().take();
    }
    socket_.async_read_some(
        asio::buffer(read_buffers_->bytes),
        [self = shared_from_this()](error_code ec, std::size_t size) { self->on_read(ec, size); });
}

void Http2Session::return_read_buffer() {
    if (read_buffers_) {
        worker_body_buffers().give_back(std::move(read_buffers_));
    }
}

void Http2Session::on_read(error_code ec, std::size_t size) {
    reading_ = false;
    if (closed_) {
        return;
    }
    if (ec) {
        close();
        return;
    }
    if (!receive(reinterpret_cast<const std::uint8_t*>(read_buffers_->bytes.data()), size)) {
        return;
    }
    flush();
    read();
}

// False when the bytes broke the protocol: nghttp2 queued its GOAWAY,
// which goes out before the connection closes.
bool Http2Session::receive(const std::uint8_t* data, std::size_t size) {
    const auto used = nghttp2_session_mem_recv(session_, data, size);
    if (used < 0) {
        spdlog::debug("msg=\"HTTP/2 connection error\" client={} error={}", log_value(client_ip_),
                      log_value(nghttp2_strerror(static_cast<int>(used))));
        if (used != NGHTTP2_ERR_BAD_CLIENT_MAGIC) {
            nghttp2_session_terminate_session(session_, NGHTTP2_PROTOCOL_ERROR);
        }
        failed_ = true;
        flush();
        if (!writing_) {
            close();
        }
        return false;
    }
    return true;
}

void Http2Session::flush() {
    if (writing_ || closed_) {
        return;
    }
    while (out_.size() < write_batch) {
        const std::uint8_t* data = nullptr;
        const auto size = nghttp2_session_mem_send(session_, &data);
        if (size < 0) {
            close();
            return;
        }
        if (size == 0) {
            break;
        }
        out_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
    }
    if (out_.empty()) {
        close_if_done();
        return;
    }
    writing_ = true;
    deadline_.arm(socket_, limits_.send_timeout);
    asio::async_write(
        socket_, asio::buffer(out_),
        [self = shared_from_this()](error_code ec, std::size_t) { self->on_written(ec); });
}

void Http2Session::on_written(error_code ec) {
    writing_ = false;
    if (closed_) {
        return;
    }
    if (ec) {
        close();
        return;
    }
    out_.clear();
    if (failed_) {
        close();  // what nghttp2 had to say went out; nothing more is read
        return;
    }
    if (streams_.empty()) {
        // An idle connection keeps no write buffer.
        std::string{}.swap(out_);
        arm_idle();
    } else {
        deadline_.disarm();
    }
    flush();
    read();
}

// Both sides are done (GOAWAY sent or received, no stream left): close.
void Http2Session::close_if_done() {
    if (!closed_ && !writing_ && !nghttp2_session_want_read(session_) &&
        !nghttp2_session_want_write(session_)) {
        close();
    }
}

void Http2Session::arm_idle() {
    if (!closed_) {
        deadline_.arm(socket_, limits_.idle_timeout);
    }
}

void Http2Session::consume(std::int32_t stream_id, std::size_t size) {
    if (open()) {
        nghttp2_session_consume(session_, stream_id, size);
    }
}

void Http2Session::reset_stream(std::int32_t stream_id, std::uint32_t error_code) {
    if (open()) {
        nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id, error_code);
    }
}

}  // namespace turnout::server

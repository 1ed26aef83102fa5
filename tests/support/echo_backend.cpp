// echo_backend: the upstream that turnout's integration tests put behind the
// proxy. It answers every request with a JSON report of what it received
// (method, target, headers in order, body length and SHA-256), or, driven by
// query parameters, with a status, a delay, a large streamed body, or a close.
//
//   echo_backend [--port N] [--host 127.0.0.1] [--name NAME]
//
// Once listening it prints `PORT <n>` on stdout. Single-threaded, async,
// bounded memory: bodies in both directions move in 64 KiB pieces.
//
// Query parameters: status=N, delay_ms=N (before the response headers),
// bytes=N (a body of N pattern bytes, byte i = 'a' + i % 26), chunked=1 (with
// bytes: chunked instead of Content-Length), drip_ms=N (with bytes: pause
// between 64 KiB writes), close=1 (Connection: close, then close), reset=1
// (read the request, then reset the connection without answering),
// reset_on=NAME (the same, only on the backend started with --name NAME).
// GET /__stats -> {"connections": accepted, "requests": headers read,
//                  "completed": requests read whole, body included,
//                  "health_checks": GETs of /healthz};
// GET /healthz -> "ok", with the status last set by GET /__health?status=N
// (200 until then), so tests can make a target fail its health checks.

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <openssl/evp.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t piece_size = 64 * 1024;

struct ServerState {
    std::string name = "echo";
    std::uint64_t connections = 0;
    std::uint64_t requests = 0;
    std::uint64_t completed = 0;
    std::uint64_t health_checks = 0;
    unsigned health_status = 200;
};

// Errors that only mean the peer went away or we are shutting down.
bool harmless(beast::error_code ec) {
    return ec == asio::error::operation_aborted || ec == asio::error::eof ||
           ec == http::error::end_of_stream || ec == http::error::partial_message ||
           ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
           ec == beast::error::timeout;
}

// Incremental SHA-256 over OpenSSL's EVP interface.
class Sha256 {
public:
    Sha256() : ctx_(EVP_MD_CTX_new()) { reset(); }
    ~Sha256() { EVP_MD_CTX_free(ctx_); }
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void reset() { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
    void update(const void* data, std::size_t size) { EVP_DigestUpdate(ctx_, data, size); }

    // Returns the lower-case hex digest and starts a fresh hash.
    std::string hex_digest() {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        EVP_DigestFinal_ex(ctx_, md, &len);
        static constexpr char digits[] = "0123456789abcdef";
        std::string out;
        for (unsigned int i = 0; i < len; ++i) {
            out += digits[md[i] >> 4];
            out += digits[md[i] & 0xf];
        }
        reset();
        return out;
    }

private:
    EVP_MD_CTX* ctx_;
};

// A JSON string literal. Bytes >= 0x80 are escaped as \u00XX (read as
// Latin-1) so the output is always valid UTF-8 whatever a client sent.
std::string json_string(std::string_view s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c >= 0x7f) {
            char esc[8];
            std::snprintf(esc, sizeof esc, "\\u%04x", c);
            out += esc;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

std::optional<std::uint64_t> parse_number(std::string_view s) {
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size()) {
        return std::nullopt;
    }
    return v;
}

// What the query string asks of one response.
struct Options {
    unsigned status = 200;
    std::uint64_t delay_ms = 0;
    std::optional<std::uint64_t> bytes;
    bool chunked = false;
    bool close = false;
    bool reset = false;
    std::string reset_on;  // reset only on the backend of this --name
    std::uint64_t drip_ms = 0;
};

Options parse_options(std::string_view query) {
    Options o;
    while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        auto eq = pair.find('=');
        std::string_view key = pair.substr(0, eq);
        if (key == "reset_on" && eq != std::string_view::npos) {
            o.reset_on = pair.substr(eq + 1);
            continue;
        }
        auto value = parse_number(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
        if (!value) {
            continue;
        }
        if (key == "status" && *value >= 100 && *value <= 999) {
            o.status = static_cast<unsigned>(*value);
        } else if (key == "delay_ms") {
            o.delay_ms = *value;
        } else if (key == "bytes") {
            o.bytes = *value;
        } else if (key == "chunked") {
            o.chunked = *value != 0;
        } else if (key == "close") {
            o.close = *value != 0;
        } else if (key == "drip_ms") {
            o.drip_ms = *value;
        } else if (key == "reset") {
            o.reset = *value != 0;
        }
    }
    return o;
}

// Fills `buf` with the pattern bytes starting at stream offset `offset`.
void fill_pattern(char* buf, std::size_t size, std::uint64_t offset) {
    for (std::size_t i = 0; i < size; ++i) {
        buf[i] = static_cast<char>('a' + (offset + i) % 26);
    }
}

// One accepted connection: read a request (streaming its body through the
// hash), answer it, repeat while keep-alive holds.
class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket socket, ServerState& state, std::uint64_t id)
        : stream_(std::move(socket)), timer_(stream_.get_executor()), state_(state), id_(id) {}

    // Beast reads at most the buffer's free capacity (and at least 512 bytes)
    // per call: without room reserved, a large body arrives 512 bytes a read.
    void start() {
        buffer_.reserve(piece_size);
        do_read_header();
    }

private:
    void do_read_header() {
        parser_.emplace();
        parser_->header_limit(64 * 1024);
        parser_->body_limit(boost::none);
        body_length_ = 0;
        http::async_read_header(stream_, buffer_, *parser_,
                                [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                    self->on_read_header(ec);
                                });
    }

    void on_read_header(beast::error_code ec) {
        if (ec) {
            return fail(ec, "read header");
        }
        ++state_.requests;
        ++request_on_connection_;
        auto& req = parser_->get();
        if (beast::iequals(req[http::field::expect], "100-continue")) {
            continue_.emplace(http::status::continue_, req.version());
            http::async_write(stream_, *continue_,
                              [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                  if (ec) {
                                      return self->fail(ec, "write 100-continue");
                                  }
                                  self->do_read_body();
                              });
            return;
        }
        do_read_body();
    }

    void do_read_body() {
        if (parser_->is_done()) {
            return on_request_complete();
        }
        parser_->get().body().data = io_buf_.data();
        parser_->get().body().size = io_buf_.size();
        http::async_read(stream_, buffer_, *parser_,
                         [self = shared_from_this()](beast::error_code ec, std::size_t) {
                             self->on_read_body(ec);
                         });
    }

    void on_read_body(beast::error_code ec) {
        if (ec == http::error::need_buffer) {
            ec = {};
        }
        if (ec) {
            return fail(ec, "read body");
        }
        std::size_t got = io_buf_.size() - parser_->get().body().size;
        hash_.update(io_buf_.data(), got);
        body_length_ += got;
        do_read_body();
    }

    void on_request_complete() {
        ++state_.completed;
        auto& req = parser_->get();
        std::string_view target = req.target();
        auto q = target.find('?');
        options_ = parse_options(q == std::string_view::npos ? "" : target.substr(q + 1));
        keep_alive_ = req.keep_alive() && !options_.close;
        if (options_.delay_ms == 0) {
            return respond();
        }
        timer_.expires_after(std::chrono::milliseconds(options_.delay_ms));
        timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
            if (ec) {
                return self->fail(ec, "delay");
            }
            self->respond();
        });
    }

    void respond() {
        if (options_.reset || (!options_.reset_on.empty() && options_.reset_on == state_.name)) {
            // The request was read whole (and counted); the answer never comes.
            beast::error_code ignored;
            stream_.socket().set_option(asio::socket_base::linger(true, 0), ignored);
            stream_.socket().close(ignored);
            return;
        }
        auto& req = parser_->get();
        std::string_view target = req.target();
        std::string_view path = target.substr(0, target.find('?'));
        std::string body_hash = hash_.hex_digest();
        if (path == "/__stats") {
            return send_string("application/json",
                               "{\"connections\":" + std::to_string(state_.connections) +
                                   ",\"requests\":" + std::to_string(state_.requests) +
                                   ",\"completed\":" + std::to_string(state_.completed) +
                                   ",\"health_checks\":" + std::to_string(state_.health_checks) +
                                   "}\n");
        }
        if (path == "/__health") {
            state_.health_status = options_.status;
            options_.status = 200;
            return send_string("text/plain", "ok");
        }
        if (path == "/healthz") {
            ++state_.health_checks;
            options_.status = state_.health_status;
            return send_string("text/plain", "ok");
        }
        if (options_.bytes) {
            return start_stream();
        }
        send_string("application/json", report(req, path, body_hash));
    }

    std::string report(const http::request<http::buffer_body>& req, std::string_view path,
                       const std::string& body_hash) const {
        std::string headers;
        for (const auto& field : req) {
            headers += headers.empty() ? "[" : ",";
            headers +=
                "[" + json_string(field.name_string()) + "," + json_string(field.value()) + "]";
        }
        unsigned v = req.version();
        return "{\"server\":" + json_string(state_.name) +
               ",\"method\":" + json_string(req.method_string()) +
               ",\"target\":" + json_string(req.target()) + ",\"path\":" + json_string(path) +
               ",\"version\":\"" + std::to_string(v / 10) + "." + std::to_string(v % 10) + "\"" +
               ",\"headers\":" + (headers.empty() ? "[]" : headers + "]") +
               ",\"body_length\":" + std::to_string(body_length_) + ",\"body_sha256\":\"" +
               body_hash + "\"" + ",\"connection_id\":" + std::to_string(id_) +
               ",\"request_on_connection\":" + std::to_string(request_on_connection_) + "}\n";
    }

    // Headers every response carries.
    template <class Body>
    void prepare_headers(http::response<Body>& res) const {
        res.version(parser_->get().version());
        res.result(options_.status);
        if (http::int_to_status(options_.status) == http::status::unknown) {
            res.reason("Unknown");
        }
        res.set(http::field::server, "echo_backend");
        res.set("X-Echo-Server", state_.name);
        res.keep_alive(keep_alive_);
    }

    // 1xx, 204 and 304 carry no body; neither does a response to HEAD.
    bool no_body() const {
        return options_.status < 200 || options_.status == 204 || options_.status == 304;
    }

    void send_string(std::string_view content_type, std::string body) {
        res_.emplace();
        prepare_headers(*res_);
        res_->set(http::field::content_type, content_type);
        if (!no_body()) {
            res_->content_length(body.size());
            if (parser_->get().method() != http::verb::head) {
                res_->body() = std::move(body);
            }
        }
        http::async_write(stream_, *res_,
                          [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              self->on_response_sent(ec);
                          });
    }

    // Streams `bytes=N` pattern bytes in 64 KiB writes, the head with the
    // first, as servers send a small response: in one write.
    void start_stream() {
        stream_res_.emplace();
        prepare_headers(*stream_res_);
        stream_res_->set(http::field::content_type, "application/octet-stream");
        remaining_ = no_body() ? 0 : *options_.bytes;
        if (options_.chunked && stream_res_->version() >= 11 && !no_body()) {
            stream_res_->chunked(true);
        } else if (!no_body()) {
            stream_res_->content_length(remaining_);
        }
        if (parser_->get().method() == http::verb::head) {
            remaining_ = 0;
        }
        sent_ = 0;
        stream_res_->body().data = nullptr;
        stream_res_->body().more = true;
        serializer_.emplace(*stream_res_);
        do_write_piece();
    }

    void do_write_piece() {
        auto& body = stream_res_->body();
        if (remaining_ == 0) {
            body.data = nullptr;
            body.size = 0;
            body.more = false;
        } else {
            std::size_t n =
                static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, io_buf_.size()));
            fill_pattern(io_buf_.data(), n, sent_);
            body.data = io_buf_.data();
            body.size = n;
            body.more = true;
            remaining_ -= n;
            sent_ += n;
        }
        http::async_write(stream_, *serializer_,
                          [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              self->on_write_piece(ec);
                          });
    }

    void on_write_piece(beast::error_code ec) {
        if (ec == http::error::need_buffer) {
            ec = {};
        }
        if (ec) {
            return fail(ec, "write body");
        }
        if (serializer_->is_done()) {
            return on_response_sent({});
        }
        if (options_.drip_ms == 0 || remaining_ == 0) {
            return do_write_piece();
        }
        timer_.expires_after(std::chrono::milliseconds(options_.drip_ms));
        timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
            if (ec) {
                return self->fail(ec, "drip");
            }
            self->do_write_piece();
        });
    }

    void on_response_sent(beast::error_code ec) {
        if (ec) {
            return fail(ec, "write");
        }
        res_.reset();
        serializer_.reset();
        stream_res_.reset();
        if (!keep_alive_) {
            beast::error_code ignored;
            stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
            return;
        }
        do_read_header();
    }

    void fail(beast::error_code ec, const char* what) {
        if (!harmless(ec)) {
            std::cerr << "echo_backend[" << state_.name << "] connection " << id_ << ": " << what
                      << ": " << ec.message() << "\n";
        }
        beast::error_code ignored;
        stream_.socket().close(ignored);
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    asio::steady_timer timer_;
    ServerState& state_;
    std::uint64_t id_;
    std::uint64_t request_on_connection_ = 0;

    std::optional<http::request_parser<http::buffer_body>> parser_;
    std::optional<http::response<http::empty_body>> continue_;
    std::array<char, piece_size> io_buf_{};  // request body in, pattern bytes out
    Sha256 hash_;
    std::uint64_t body_length_ = 0;

    Options options_;
    bool keep_alive_ = true;
    std::optional<http::response<http::string_body>> res_;
    std::optional<http::response<http::buffer_body>> stream_res_;
    std::optional<http::response_serializer<http::buffer_body>> serializer_;
    std::uint64_t remaining_ = 0;
    std::uint64_t sent_ = 0;
};

class Listener {
public:
    Listener(asio::io_context& ioc, tcp::endpoint endpoint, ServerState& state)
        : acceptor_(ioc, endpoint), state_(state) {}

    unsigned short port() const { return acceptor_.local_endpoint().port(); }
    void start() { do_accept(); }
    void stop() {
        beast::error_code ignored;
        acceptor_.close(ignored);
    }

private:
    void do_accept() {
        acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
            if (ec == asio::error::operation_aborted) {
                return;
            }
            if (ec) {
                std::cerr << "echo_backend[" << state_.name << "] accept: " << ec.message() << "\n";
            } else {
                ++state_.connections;
                std::make_shared<Session>(std::move(socket), state_, state_.connections)->start();
            }
            do_accept();
        });
    }

    tcp::acceptor acceptor_;
    ServerState& state_;
};

int usage(const char* argv0) {
    std::cerr << "usage: " << argv0 << " [--port N] [--host ADDRESS] [--name NAME]\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    ServerState state;
    std::string host = "127.0.0.1";
    unsigned short port = 0;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (i + 1 >= argc) {
            return usage(argv[0]);
        }
        std::string_view value = argv[++i];
        if (arg == "--port") {
            auto p = parse_number(value);
            if (!p || *p > 65535) {
                return usage(argv[0]);
            }
            port = static_cast<unsigned short>(*p);
        } else if (arg == "--host") {
            host = value;
        } else if (arg == "--name") {
            state.name = value;
        } else {
            return usage(argv[0]);
        }
    }

    try {
        asio::io_context ioc{1};
        Listener listener(ioc, tcp::endpoint(asio::ip::make_address(host), port), state);
        listener.start();

        asio::signal_set signals(ioc, SIGINT, SIGTERM);
        signals.async_wait([&](beast::error_code, int) {
            listener.stop();
            ioc.stop();
        });

        std::cout << "PORT " << listener.port() << "\n" << std::flush;
        ioc.run();
    } catch (const std::exception& e) {
        std::cerr << "echo_backend: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

#include "master/etcd/watch_stream.hpp"

#include "master/etcd/gateway_stream.hpp"
#include "master/etcd/http_call.hpp"
#include "master/etcd/json_stream.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/serialize.hpp>

namespace turnout::master::etcd {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// A watch response holds the events of whole transactions: a large one
// (fleet apply of a big config) can be tens of MiB.
constexpr std::size_t max_message_bytes = 128 * 1024 * 1024;
// Connecting and the response's header get this long; the body has no
// deadline (a quiet prefix is quiet), but TCP keep-alive notices a member
// that vanished without closing.
constexpr std::chrono::seconds connect_timeout{3};

template <typename Stream>
class GatewayWatch final : public WatchStream,
                           public std::enable_shared_from_this<GatewayWatch<Stream>> {
public:
    GatewayWatch(asio::io_context& io, asio::ssl::context* tls, Endpoint endpoint,
                 OnResponse on_response, OnEnd on_end)
        : resolver_{io}, stream_{make_stream<Stream>(io, tls)}, endpoint_{std::move(endpoint)},
          on_response_{std::move(on_response)}, on_end_{std::move(on_end)} {}

    void begin(const std::string& token, const std::string& prefix, std::int64_t start_revision) {
        request_ =
            gateway_request(endpoint_, "/v3/watch",
                            boost::json::serialize(watch_request(prefix, start_revision)), token);
        parser_.body_limit(boost::none);
        chunk_callback_ = [this](std::uint64_t, std::string_view data, beast::error_code&) {
            on_data(data);
            return data.size();
        };
        parser_.on_chunk_body(chunk_callback_);
        tcp().expires_after(connect_timeout);
        resolver_.async_resolve(endpoint_.host, endpoint_.port,
                                [self = this->shared_from_this()](
                                    beast::error_code ec, tcp::resolver::results_type found) {
                                    if (ec) {
                                        self->end("cannot resolve: " + ec.message());
                                        return;
                                    }
                                    self->connect(found);
                                });
    }

    void stop() override {
        if (stopped_) {
            return;
        }
        stopped_ = true;
        resolver_.cancel();
        beast::error_code ignored;
        tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
        tcp().close();
    }

private:
    beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }

    void connect(const tcp::resolver::results_type& found) {
        tcp().async_connect(
            found, [self = this->shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
                if (ec) {
                    self->end("cannot connect: " + ec.message());
                    return;
                }
                self->tcp().socket().set_option(asio::socket_base::keep_alive{true});
                secure(self->stream_, self->endpoint_.host,
                       [self](beast::error_code ec) { self->send(ec); });
            });
    }

    void send(beast::error_code ec) {
        if (ec) {
            end("TLS handshake failed: " + ec.message());
            return;
        }
        http::async_write(stream_, request_,
                          [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) {
                                  self->end("cannot send the watch: " + ec.message());
                                  return;
                              }
                              self->read_header();
                          });
    }

    void read_header() {
        http::async_read_header(
            stream_, buffer_, parser_,
            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                if (ec) {
                    self->end("no answer to the watch: " + ec.message());
                    return;
                }
                const auto status = self->parser_.get().result_int();
                if (status != 200) {
                    self->end("the watch was answered " + std::to_string(status));
                    return;
                }
                self->tcp().expires_never();
                self->read_body();
            });
    }

    void read_body() {
        http::async_read(stream_, buffer_, parser_,
                         [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                             self->end(ec ? "the watch broke: " + ec.message()
                                          : "the member ended the watch");
                         });
    }

    // Called by the parser inside read_body, for each piece of chunk data.
    void on_data(std::string_view data) {
        bool ok = true;
        for (auto& text : splitter_.feed(data, ok)) {
            std::string error;
            auto response = parse_watch(text, error);
            if (!response) {
                fail_later(error);
                return;
            }
            asio::post(tcp().get_executor(), [self = this->shared_from_this(),
                                              response = std::move(*response)]() mutable {
                if (!self->stopped_) {
                    self->on_response_(std::move(response));
                }
            });
        }
        if (!ok) {
            fail_later("the watch stream is not a sequence of JSON objects");
        }
    }

    void fail_later(std::string error) {
        asio::post(tcp().get_executor(),
                   [self = this->shared_from_this(), error = std::move(error)] {
                       self->end(error);
                       self->stop();
                   });
    }

    void end(const std::string& error) {
        if (ended_) {
            return;
        }
        ended_ = true;
        const bool stopped = stopped_;
        stop();
        auto on_end = std::move(on_end_);
        if (!stopped) {
            on_end(endpoint_.url + ": " + error);
        }
    }

    tcp::resolver resolver_;
    Stream stream_;
    Endpoint endpoint_;
    OnResponse on_response_;
    OnEnd on_end_;
    http::request<http::string_body> request_;
    http::response_parser<http::string_body> parser_;
    std::function<std::size_t(std::uint64_t, std::string_view, beast::error_code&)> chunk_callback_;
    beast::flat_buffer buffer_;
    JsonObjectSplitter splitter_{max_message_bytes};
    bool stopped_ = false;
    bool ended_ = false;
};

}  // namespace

std::shared_ptr<WatchStream> WatchStream::start(asio::io_context& io, asio::ssl::context* tls,
                                                const Endpoint& endpoint, const std::string& token,
                                                const std::string& prefix,
                                                std::int64_t start_revision, OnResponse on_response,
                                                OnEnd on_end) {
    if (endpoint.tls) {
        auto watch = std::make_shared<GatewayWatch<TlsStream>>(
            io, tls, endpoint, std::move(on_response), std::move(on_end));
        watch->begin(token, prefix, start_revision);
        return watch;
    }
    auto watch = std::make_shared<GatewayWatch<PlainStream>>(
        io, tls, endpoint, std::move(on_response), std::move(on_end));
    watch->begin(token, prefix, start_revision);
    return watch;
}

}  // namespace turnout::master::etcd

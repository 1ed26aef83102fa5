#include "master/etcd/http_call.hpp"

#include "master/etcd/gateway_stream.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <memory>

namespace turnout::master::etcd {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// etcd answers range pages of 1,000 keys of up to a few KiB each.
constexpr std::uint64_t max_answer_bytes = 64 * 1024 * 1024;

template <typename Stream>
class HttpCall : public std::enable_shared_from_this<HttpCall<Stream>> {
public:
    HttpCall(asio::io_context& io, asio::ssl::context* tls, Endpoint endpoint,
             std::chrono::milliseconds timeout, HttpDone done)
        : resolver_{io}, stream_{make_stream<Stream>(io, tls)}, endpoint_{std::move(endpoint)},
          timeout_{timeout}, done_{std::move(done)} {}

    void start(std::string path, std::string body, const std::string& authorization) {
        request_ = gateway_request(endpoint_, path, std::move(body), authorization);
        parser_.body_limit(max_answer_bytes);
        beast::get_lowest_layer(stream_).expires_after(timeout_);
        resolver_.async_resolve(endpoint_.host, endpoint_.port,
                                [self = this->shared_from_this()](
                                    beast::error_code ec, tcp::resolver::results_type found) {
                                    self->on_resolve(ec, std::move(found));
                                });
    }

private:
    void on_resolve(beast::error_code ec, const tcp::resolver::results_type& found) {
        if (ec) {
            fail("cannot resolve: " + ec.message());
            return;
        }
        beast::get_lowest_layer(stream_).async_connect(
            found, [self = this->shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
                if (ec) {
                    self->fail("cannot connect: " + ec.message());
                    return;
                }
                secure(self->stream_, self->endpoint_.host,
                       [self](beast::error_code ec) { self->on_connect(ec); });
            });
    }

    void on_connect(beast::error_code ec) {
        if (ec) {
            fail("TLS handshake failed: " + ec.message());
            return;
        }
        http::async_write(stream_, request_,
                          [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              self->on_write(ec);
                          });
    }

    void on_write(beast::error_code ec) {
        if (ec) {
            fail("cannot send: " + ec.message());
            return;
        }
        http::async_read(stream_, buffer_, parser_,
                         [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                             self->on_read(ec);
                         });
    }

    void on_read(beast::error_code ec) {
        if (ec) {
            fail("no answer: " + ec.message());
            return;
        }
        beast::error_code ignored;
        beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
        auto& response = parser_.get();
        done_({{}, response.result_int(), std::move(response.body())});
    }

    void fail(const std::string& what) { done_({endpoint_.url + ": " + what, 0, {}}); }

    tcp::resolver resolver_;
    Stream stream_;
    Endpoint endpoint_;
    std::chrono::milliseconds timeout_;
    HttpDone done_;
    http::request<http::string_body> request_;
    http::response_parser<http::string_body> parser_;
    beast::flat_buffer buffer_;
};

}  // namespace

http::request<http::string_body> gateway_request(const Endpoint& endpoint, const std::string& path,
                                                 std::string body,
                                                 const std::string& authorization) {
    http::request<http::string_body> request{http::verb::post, path, 11};
    request.set(http::field::host, endpoint.host + ":" + endpoint.port);
    request.set(http::field::content_type, "application/json");
    if (!authorization.empty()) {
        request.set(http::field::authorization, authorization);
    }
    request.body() = std::move(body);
    request.prepare_payload();
    return request;
}

void http_post(asio::io_context& io, asio::ssl::context* tls, const Endpoint& endpoint,
               std::string path, std::string body, std::string authorization,
               std::chrono::milliseconds timeout, HttpDone done) {
    if (endpoint.tls) {
        auto call =
            std::make_shared<HttpCall<TlsStream>>(io, tls, endpoint, timeout, std::move(done));
        call->start(std::move(path), std::move(body), authorization);
    } else {
        auto call =
            std::make_shared<HttpCall<PlainStream>>(io, tls, endpoint, timeout, std::move(done));
        call->start(std::move(path), std::move(body), authorization);
    }
}

}  // namespace turnout::master::etcd

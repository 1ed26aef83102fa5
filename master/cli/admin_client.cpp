#include "master/cli/admin_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <limits>
#include <optional>

namespace turnout::master {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using stream_protocol = asio::local::stream_protocol;

// Async operations driven by run_for(), so every request has a deadline
// even though the caller blocks.
struct AdminClient::Connection {
    asio::io_context io;
    stream_protocol::socket socket{io};
    beast::flat_buffer buffer;
    bool used = false;  // has carried a request: the server may have closed it since

    // Runs the loop until `done` or the deadline; false on timeout.
    bool run(std::chrono::milliseconds timeout, const bool& done) {
        io.restart();
        io.run_for(timeout);
        if (!done) {
            boost::system::error_code ignored;
            socket.close(ignored);
            io.restart();
            io.run();  // lets the cancelled handlers finish
        }
        return done;
    }
};

namespace {

std::string connect_advice(const std::string& path, const boost::system::error_code& ec) {
    if (ec == boost::system::errc::no_such_file_or_directory) {
        return "no admin socket at " + path +
               ": is turnout running? Start it with `turnout run -c FILE`, or pass --socket PATH";
    }
    if (ec == boost::system::errc::connection_refused) {
        return "nothing is listening on " + path +
               " (a stale socket?): is turnout running? Start it with `turnout run -c FILE`";
    }
    if (ec == boost::system::errc::permission_denied) {
        return "permission denied on " + path +
               ": run as the user that runs turnout, or widen admin.mode and list your uid in "
               "admin.allow_uids";
    }
    return "cannot reach the master at " + path + ": " + ec.message();
}

}  // namespace

AdminClient::AdminClient(std::string socket_path, std::chrono::milliseconds timeout)
    : socket_path_(std::move(socket_path)), timeout_(timeout) {}

AdminClient::~AdminClient() = default;

void AdminClient::connect() {
    connection_ = std::make_unique<Connection>();
    std::optional<stream_protocol::endpoint> endpoint;
    try {
        endpoint.emplace(socket_path_);
    } catch (const boost::system::system_error&) {
        throw AdminUnreachable{"the admin socket path " + socket_path_ +
                               " is too long for a Unix socket; use a shorter path"};
    }
    boost::system::error_code ec;
    bool done = false;
    connection_->socket.async_connect(*endpoint, [&](boost::system::error_code result) {
        ec = result;
        done = true;
    });
    if (!connection_->run(timeout_, done)) {
        connection_.reset();
        throw AdminUnreachable{"connecting to " + socket_path_ +
                               " timed out: is the master stuck?"};
    }
    if (ec) {
        connection_.reset();
        throw AdminUnreachable{connect_advice(socket_path_, ec)};
    }
}

AdminHttpResponse AdminClient::request(http::verb method, std::string_view target, std::string body,
                                       std::string_view content_type, const Headers& headers) {
    if (connection_ && connection_->used) {
        // A kept-alive connection the server may have closed while idle:
        // one retry on a fresh one, only when no answer came at all.
        try {
            return exchange(method, target, body, content_type, headers);
        } catch (const AdminUnreachable&) {
            connection_.reset();
        }
    }
    if (!connection_) {
        connect();
    }
    return exchange(method, target, body, content_type, headers);
}

AdminHttpResponse AdminClient::exchange(http::verb method, std::string_view target,
                                        const std::string& body, std::string_view content_type,
                                        const Headers& headers) {
    auto& connection = *connection_;
    connection.used = true;
    http::request<http::string_body> request{method, std::string{target}, 11};
    request.set(http::field::host, "turnout");
    request.set(http::field::user_agent, "turnout-cli");
    if (!content_type.empty()) {
        request.set(http::field::content_type, content_type);
    }
    for (const auto& [name, value] : headers) {
        request.set(name, value);
    }
    request.body() = body;
    request.prepare_payload();

    http::response_parser<http::string_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    boost::system::error_code ec;
    bool done = false;
    http::async_write(connection.socket, request,
                      [&](boost::system::error_code result, std::size_t) {
                          if (result) {
                              ec = result;
                              done = true;
                              return;
                          }
                          http::async_read(connection.socket, connection.buffer, parser,
                                           [&](boost::system::error_code read_result, std::size_t) {
                                               ec = read_result;
                                               done = true;
                                           });
                      });
    const bool in_time = connection.run(timeout_, done);
    if (!in_time || ec) {
        connection_.reset();
        throw AdminUnreachable{in_time
                                   ? "the master at " + socket_path_ +
                                         " closed the connection without an answer (" +
                                         ec.message() + "): see its log"
                                   : "the master at " + socket_path_ + " did not answer within " +
                                         std::to_string(timeout_.count() / 1000) + "s"};
    }
    auto& message = parser.get();
    AdminHttpResponse response;
    response.status = message.result_int();
    response.content_type = std::string{message[http::field::content_type]};
    response.etag = std::string{message[http::field::etag]};
    response.allow = std::string{message[http::field::allow]};
    response.body = std::move(message.body());
    if (!message.keep_alive()) {
        connection_.reset();
    }
    return response;
}

}  // namespace turnout::master

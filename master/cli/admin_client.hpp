#pragma once

// A small blocking HTTP/1.1 client for the admin socket, used by the CLI
// (SPEC §2) and by tests. One connection, kept alive across requests.

#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace turnout::master {

struct AdminHttpResponse {
    unsigned status = 0;
    std::string body;
    std::string content_type;
    std::string etag;
    std::string allow;
};

// The master cannot be reached: no socket file, nobody listening, no
// permission, no answer in time, or an answer that is not HTTP. what() is
// one line saying so and what to do.
class AdminUnreachable : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class AdminClient {
public:
    using Headers = std::vector<std::pair<std::string, std::string>>;

    // `timeout` bounds each request, connect to last byte (an apply waits
    // for every worker's ack, so it is generous by default).
    explicit AdminClient(std::string socket_path,
                         std::chrono::milliseconds timeout = std::chrono::minutes(2));
    ~AdminClient();
    AdminClient(const AdminClient&) = delete;
    AdminClient& operator=(const AdminClient&) = delete;

    // Sends one request and returns the answer, whatever its status. Throws
    // AdminUnreachable.
    AdminHttpResponse request(boost::beast::http::verb method, std::string_view target,
                              std::string body = {}, std::string_view content_type = {},
                              const Headers& headers = {});

    const std::string& socket_path() const { return socket_path_; }

private:
    struct Connection;

    AdminHttpResponse exchange(boost::beast::http::verb method, std::string_view target,
                               const std::string& body, std::string_view content_type,
                               const Headers& headers);
    void connect();

    std::string socket_path_;
    std::chrono::milliseconds timeout_;
    std::unique_ptr<Connection> connection_;
};

}  // namespace turnout::master

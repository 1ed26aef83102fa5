#pragma once

// One POST of a JSON body to an etcd member's gateway and its whole answer,
// on a connection of its own, within a deadline. The master's event loop
// runs it; nothing blocks.

#include "master/etcd/endpoint.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <functional>
#include <string>

namespace turnout::master::etcd {

struct HttpAnswer {
    // Empty when an answer came; otherwise why not (connect refused, timed
    // out, …), naming the endpoint.
    std::string transport_error;
    unsigned status = 0;
    std::string body;
};

using HttpDone = std::function<void(HttpAnswer)>;

// A POST of a JSON body to `path` on `endpoint`; `authorization` (etcd's
// auth token) goes in its header when not empty. A watch sends one too.
boost::beast::http::request<boost::beast::http::string_body> gateway_request(
    const Endpoint& endpoint, const std::string& path, std::string body,
    const std::string& authorization);

// Calls `done` exactly once, from the event loop. `authorization`, when not
// empty, goes in the Authorization header (etcd's auth token). `tls` is
// used for an https endpoint (and must then be set).
void http_post(boost::asio::io_context& io, boost::asio::ssl::context* tls,
               const Endpoint& endpoint, std::string path, std::string body,
               std::string authorization, std::chrono::milliseconds timeout, HttpDone done);

}  // namespace turnout::master::etcd

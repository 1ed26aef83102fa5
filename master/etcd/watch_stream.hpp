#pragma once

// One etcd watch over the JSON gateway: POST /v3/watch with a create
// request, then one long chunked response whose body is a sequence of JSON
// objects, each a WatchResponse. The objects are split out of the chunks as
// they come (json_stream.hpp) and handed over in order. The stream ends
// when the member closes it, the connection breaks, or stop() is called;
// `on_end` then runs once with the reason (empty after stop()).

#include "master/etcd/endpoint.hpp"
#include "master/etcd/messages.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include <functional>
#include <memory>
#include <string>

namespace turnout::master::etcd {

class WatchStream {
public:
    using OnResponse = std::function<void(WatchResponse)>;
    using OnEnd = std::function<void(std::string error)>;

    // Starts watching every key under `prefix` from `start_revision` on
    // `endpoint`. Callbacks run from the event loop, never from inside this
    // call; none runs after stop().
    // `tls` is used for an https endpoint (and must then be set).
    static std::shared_ptr<WatchStream> start(boost::asio::io_context& io,
                                              boost::asio::ssl::context* tls,
                                              const Endpoint& endpoint, const std::string& token,
                                              const std::string& prefix,
                                              std::int64_t start_revision, OnResponse on_response,
                                              OnEnd on_end);

    virtual ~WatchStream() = default;
    virtual void stop() = 0;
};

}  // namespace turnout::master::etcd

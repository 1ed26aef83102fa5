#pragma once

// The worker runtime: one single-threaded event loop that accepts on the
// listening sockets it is given and proxies with the live config. It knows
// nothing of processes; the master decides where it runs.

#include "config/config.hpp"
#include "server/listener.hpp"
#include "server/serving_state.hpp"
#include "server/session_registry.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <string>
#include <vector>

namespace turnout::worker {

// A listening socket handed to the worker, and which listener it serves.
struct ListenerSocket {
    std::string name;
    int fd = -1;
};

class Worker {
public:
    Worker(std::shared_ptr<const config::Config> config, const std::vector<ListenerSocket>& sockets);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    boost::asio::io_context& io() { return io_; }

    // Runs the event loop until the worker has stopped.
    void run();

    // Makes a new config live; requests already in flight finish on theirs.
    void apply(std::shared_ptr<const config::Config> config);

    // Graceful stop in stages: stop accepting, let in-flight requests finish
    // and close idle connections, and after drain_timeout cancel the rest.
    void begin_drain();
    // Immediate stop.
    void stop_now();

private:
    // Declared before io_ so it outlives the sessions io_ destroys.
    server::SessionRegistry registry_;
    boost::asio::io_context io_{1};
    server::ServingState state_;
    std::vector<std::shared_ptr<server::Listener>> listeners_;
    boost::asio::steady_timer drain_timer_;
    bool draining_ = false;
};

}  // namespace turnout::worker

#pragma once

// The worker runtime: one single-threaded event loop that accepts on the
// listening sockets it is handed and proxies with the live config. It knows
// nothing of processes or channels; worker_process.cpp feeds it.

#include "config/config.hpp"
#include "server/listener.hpp"
#include "server/serving_state.hpp"
#include "server/session_registry.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <map>
#include <memory>
#include <string>

namespace turnout::worker {

class Worker {
public:
    Worker();
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    boost::asio::io_context& io() { return io_; }
    server::ServingState& state() { return state_; }

    // Adopts a bound, listening socket for listener `name`; it starts
    // accepting once a config names that listener. Replaces (and closes) an
    // earlier socket of the same name.
    void add_listener_socket(const std::string& name, int fd);

    // Makes a whole config live: starts accepting on the listeners it names,
    // stops those it no longer names. Requests in flight finish on theirs.
    // Returns the replaced route table (see ServingState::apply).
    [[nodiscard]] server::RouteTable apply(config::Config config);

    // Runs the event loop until the worker has stopped.
    void run();

    // Graceful stop in stages: stop accepting, let in-flight requests finish
    // and close idle connections, and after drain_timeout cancel the rest.
    void begin_drain();
    // Immediate stop.
    void stop_now();

    // `listener`'s certificates changed: its HTTP/2 connections send GOAWAY
    // and finish their open streams within drain_timeout, so their clients
    // come back on the new certificate.
    void tls_changed(const std::string& listener);

private:
    struct ListenerSlot {
        int fd = -1;  // adopted, not yet accepting
        std::shared_ptr<server::Listener> listener;
    };

    void start_listeners(const std::vector<config::Listener>& wanted);

    // Declared before io_ so it outlives the sessions io_ destroys.
    server::SessionRegistry registry_;
    // One thread runs the worker and every socket it owns, and no other
    // thread posts to it (the access log's writer thread has a queue of its
    // own), so the scheduler's lock and the reactor's per-socket locks guard
    // nothing: without the reactor's, about 500 fewer instructions per
    // proxied request; without the scheduler's (taken about ten times per
    // request), about 600 fewer. The hint's other limits hold here: the
    // worker resolves no names (targets are addresses), and its signal_set
    // is the only one of its process (a worker is an exec'd process of its
    // own, not a fork of the master's io_context).
    boost::asio::io_context io_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE};
    server::ServingState state_;
    std::map<std::string, ListenerSlot> listeners_;
    boost::asio::steady_timer drain_timer_;
    bool draining_ = false;
};

}  // namespace turnout::worker

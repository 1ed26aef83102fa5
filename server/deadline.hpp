#pragma once

// A timer that cancels a socket's pending operations when it expires, and
// remembers that it did, so the cancelled handler can tell "timed out" from
// "closed". Re-arming replaces the previous deadline; an expiry that raced
// with a re-arm is ignored.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <memory>

namespace turnout::server {

class Deadline {
public:
    explicit Deadline(const boost::asio::any_io_executor& executor);
    ~Deadline();
    Deadline(const Deadline&) = delete;
    Deadline& operator=(const Deadline&) = delete;

    // From now on, `socket`'s pending operations are cancelled after `after`.
    void arm(boost::asio::ip::tcp::socket& socket, std::chrono::milliseconds after);
    void disarm();
    bool expired() const { return state_->expired; }

private:
    // Shared with the timer's handler through a weak_ptr, so an owner
    // destroyed while the handler is queued is never touched.
    struct State {
        explicit State(const boost::asio::any_io_executor& executor) : timer{executor} {}
        boost::asio::steady_timer timer;
        boost::asio::ip::tcp::socket* socket = nullptr;
        std::uint64_t generation = 0;
        bool expired = false;
    };
    std::shared_ptr<State> state_;
};

}  // namespace turnout::server

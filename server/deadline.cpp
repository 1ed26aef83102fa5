#include "server/deadline.hpp"

namespace turnout::server {

Deadline::Deadline(const boost::asio::any_io_executor& executor)
    : state_{std::make_shared<State>(executor)} {}

Deadline::~Deadline() { state_->timer.cancel(); }

void Deadline::arm(boost::asio::ip::tcp::socket& socket, std::chrono::milliseconds after) {
    auto& state = *state_;
    state.socket = &socket;
    state.expired = false;
    const auto generation = ++state.generation;
    state.timer.expires_after(after);
    state.timer.async_wait(
        [weak = std::weak_ptr<State>{state_}, generation](boost::system::error_code ec) {
            auto state = weak.lock();
            if (!state || ec || state->generation != generation) {
                return;
            }
            state->expired = true;
            boost::system::error_code ignored;
            state->socket->cancel(ignored);
        });
}

void Deadline::disarm() {
    ++state_->generation;
    state_->timer.cancel();
}

}  // namespace turnout::server

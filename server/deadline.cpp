#include "server/deadline.hpp"

namespace turnout::server {

using clock = std::chrono::steady_clock;

Deadline::Deadline(const boost::asio::any_io_executor& executor)
    : state_{std::make_shared<State>(executor)} {}

Deadline::~Deadline() {
    state_->timer.cancel();
}

void Deadline::arm(TransportStream& stream, std::chrono::milliseconds after) {
    auto& state = *state_;
    state.stream = &stream;
    state.expired = false;
    state.armed = true;
    state.deadline = clock::now() + after;
    if (!state.waiting || state.timer.expiry() > state.deadline) {
        state.timer.expires_at(state.deadline);
        wait(state_);
    }
}

void Deadline::disarm() {
    state_->armed = false;
}

void Deadline::wait(const std::shared_ptr<State>& state) {
    state->waiting = true;
    const auto generation = ++state->generation;
    state->timer.async_wait(
        [weak = std::weak_ptr<State>{state}, generation](boost::system::error_code ec) {
            auto state = weak.lock();
            if (!state || state->generation != generation) {
                return;  // replaced by a wait for an earlier deadline
            }
            state->waiting = false;
            if (ec || !state->armed) {
                return;
            }
            if (clock::now() < state->deadline) {
                state->timer.expires_at(state->deadline);
                wait(state);
                return;
            }
            state->armed = false;
            state->expired = true;
            boost::system::error_code ignored;
            state->stream->socket().cancel(ignored);
        });
}

}  // namespace turnout::server

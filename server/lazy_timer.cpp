#include "server/lazy_timer.hpp"

namespace turnout::server {

using clock = std::chrono::steady_clock;

LazyTimer::LazyTimer(const boost::asio::any_io_executor& executor, std::function<void()> on_expired)
    : state_{std::make_shared<State>(executor, std::move(on_expired))} {}

LazyTimer::~LazyTimer() {
    state_->timer.cancel();
}

void LazyTimer::arm(std::chrono::milliseconds after) {
    auto& state = *state_;
    state.armed = true;
    state.deadline = clock::now() + after;
    if (!state.waiting || state.timer.expiry() > state.deadline) {
        state.timer.expires_at(state.deadline);
        wait(state_);
    }
}

void LazyTimer::wait(const std::shared_ptr<State>& state) {
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
            state->on_expired();
        });
}

}  // namespace turnout::server

#include "master/etcd/backoff.hpp"

#include <algorithm>
#include <memory>
#include <random>

namespace turnout::master::etcd {

Backoff::Backoff(Duration initial, Duration cap, Random random)
    : initial_{initial}, cap_{std::max(cap, initial)}, step_{initial}, random_{std::move(random)} {}

Backoff::Duration Backoff::next() {
    const auto step = step_;
    step_ = std::min(cap_, step_ * 2);
    const double fraction = 0.5 + 0.5 * std::clamp(random_(), 0.0, 1.0);
    return std::max(Duration{1}, Duration{static_cast<Duration::rep>(step.count() * fraction)});
}

Backoff::Random system_random() {
    auto engine = std::make_shared<std::mt19937>(std::random_device{}());
    return [engine] { return std::uniform_real_distribution<double>{0.0, 1.0}(*engine); };
}

}  // namespace turnout::master::etcd

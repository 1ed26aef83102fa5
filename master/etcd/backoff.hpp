#pragma once

// How long to wait before trying etcd again: exponential from `initial`,
// capped at `cap`, with "full jitter" (a uniform pick between half the step
// and the step) so that a fleet that lost etcd together does not come back
// in lockstep. The random source is injected so tests can pin it.

#include <chrono>
#include <functional>

namespace turnout::master::etcd {

class Backoff {
public:
    using Duration = std::chrono::milliseconds;
    // Returns a number in [0, 1).
    using Random = std::function<double()>;

    Backoff(Duration initial, Duration cap, Random random);

    // The wait before the next try; each call doubles the step up to the cap.
    Duration next();
    // After a success: the next failure starts from `initial` again.
    void reset() { step_ = initial_; }

private:
    Duration initial_;
    Duration cap_;
    Duration step_;
    Random random_;
};

// A Random drawing from a std::mt19937 seeded from std::random_device.
Backoff::Random system_random();

}  // namespace turnout::master::etcd

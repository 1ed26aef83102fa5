#pragma once

// A token bucket for one kind of frame a peer may send without asking for
// anything (SETTINGS, PING, empty DATA): `burst` at once, then `per_second`
// on average. A client over budget is flooding us (the CVE-2019-9512/9518
// class) and gets GOAWAY ENHANCE_YOUR_CALM.

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace turnout::server {

class FrameBudget {
public:
    using clock = std::chrono::steady_clock;

    FrameBudget(std::uint32_t burst, std::uint32_t per_second)
        : burst_{burst}, per_second_{per_second}, tokens_{static_cast<double>(burst)} {}

    // Takes one frame's token; false when none is left.
    bool take(clock::time_point now) {
        if (last_ != clock::time_point{}) {
            const std::chrono::duration<double> elapsed = now - last_;
            tokens_ = std::min<double>(burst_, tokens_ + elapsed.count() * per_second_);
        }
        last_ = now;
        if (tokens_ < 1.0) {
            return false;
        }
        tokens_ -= 1.0;
        return true;
    }

private:
    std::uint32_t burst_;
    std::uint32_t per_second_;
    double tokens_;
    clock::time_point last_{};
};

}  // namespace turnout::server

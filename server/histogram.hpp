#pragma once

// A Prometheus-style histogram with fixed bucket bounds: counts per bucket,
// a sum and a count. Cheap to record into on a hot path (a short linear
// scan over the bounds, no allocation).

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace turnout::server {

class Histogram {
public:
    // Seconds, from 1 ms to 10 s: request durations and apply times.
    static constexpr std::array<double, 13> default_bounds{
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    explicit Histogram(std::span<const double> bounds = default_bounds)
        : bounds_{bounds.begin(), bounds.end()}, counts_(bounds.size() + 1, 0) {}

    void record(double value) {
        std::size_t bucket = 0;
        while (bucket < bounds_.size() && value > bounds_[bucket]) {
            ++bucket;
        }
        ++counts_[bucket];
        sum_ += value;
        ++count_;
    }

    const std::vector<double>& bounds() const { return bounds_; }
    // Not cumulative; the last entry is the +Inf bucket.
    const std::vector<std::uint64_t>& counts() const { return counts_; }
    double sum() const { return sum_; }
    std::uint64_t count() const { return count_; }

private:
    std::vector<double> bounds_;
    std::vector<std::uint64_t> counts_;
    double sum_ = 0;
    std::uint64_t count_ = 0;
};

}  // namespace turnout::server

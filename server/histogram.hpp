#pragma once

// A Prometheus-style histogram with fixed bucket bounds: counts per bucket,
// a sum and a count. Cheap to record into on a hot path (a short linear
// scan over the bounds, no allocation).

#include <array>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace turnout::server {

class Histogram {
public:
    // Seconds, from 1 ms to 10 s: request durations and apply times.
    static constexpr std::array<double, 13> default_bounds{
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    explicit Histogram(std::span<const double> bounds = default_bounds)
        : bounds_{bounds.begin(), bounds.end()}, counts_(bounds.size() + 1, 0) {}

    // Restores a histogram from its parts, as a metrics snapshot carries
    // them: `counts` per bucket, not cumulative, the +Inf bucket last (one
    // more than `bounds`; padded or cut to that size otherwise).
    Histogram(std::span<const double> bounds, std::vector<std::uint64_t> counts, double sum)
        : bounds_{bounds.begin(), bounds.end()}, counts_(std::move(counts)), sum_(sum) {
        counts_.resize(bounds_.size() + 1, 0);
        for (std::uint64_t n : counts_) {
            count_ += n;
        }
    }

    void record(double value) {
        std::size_t bucket = 0;
        while (bucket < bounds_.size() && value > bounds_[bucket]) {
            ++bucket;
        }
        ++counts_[bucket];
        sum_ += value;
        ++count_;
    }

    // Adds `other`'s observations to these. Returns false, changing
    // nothing, when the bounds differ.
    bool merge(const Histogram& other) {
        if (other.bounds_ != bounds_) {
            return false;
        }
        for (std::size_t i = 0; i < counts_.size(); ++i) {
            counts_[i] += other.counts_[i];
        }
        sum_ += other.sum_;
        count_ += other.count_;
        return true;
    }

    // The q-quantile (q in [0, 1]) estimated as Prometheus's
    // histogram_quantile() does: linear interpolation inside the bucket
    // that holds the rank q * count (the first bucket starts at 0); the
    // highest finite bound when the rank falls in the +Inf bucket; 0 when
    // the histogram is empty.
    double quantile(double q) const {
        if (count_ == 0 || bounds_.empty()) {
            return 0;
        }
        const double rank = q * static_cast<double>(count_);
        std::uint64_t below = 0;  // observations in the buckets before
        for (std::size_t i = 0; i < bounds_.size(); ++i) {
            const std::uint64_t through = below + counts_[i];
            if (static_cast<double>(through) >= rank && counts_[i] > 0) {
                const double start = i == 0 ? 0 : bounds_[i - 1];
                const double fraction =
                    (rank - static_cast<double>(below)) / static_cast<double>(counts_[i]);
                return start + (bounds_[i] - start) * fraction;
            }
            below = through;
        }
        return bounds_.back();
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

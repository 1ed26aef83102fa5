#pragma once

// Chooses which side of a route's split a request goes to (SPEC §7).

#include "config/config.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace turnout::server {

class SplitPicker {
public:
    static constexpr std::uint32_t bucket_count = 10000;

    explicit SplitPicker(std::vector<config::SplitEntry> entries);

    // Not sticky: smooth weighted round robin, so any 1,000 consecutive
    // picks meet the weights to within a pick or two. A side of weight 0 is
    // never picked. Returns an index into entries().
    std::size_t pick();

    // Sticky: the key's bucket in [0, bucket_count), with the buckets laid
    // out in split order, so as the last side's weight grows no key moves off
    // it. Returns an index into entries().
    std::size_t pick_sticky(std::string_view key) const;

    // Stable across processes and runs (not std::hash).
    static std::uint32_t bucket(std::string_view key);

    const std::vector<config::SplitEntry>& entries() const { return entries_; }

private:
    std::vector<config::SplitEntry> entries_;
    std::vector<std::int64_t> current_;      // smooth round robin state
    std::vector<std::uint32_t> bucket_end_;  // exclusive upper bucket per side
    std::int64_t total_ = 0;
};

}  // namespace turnout::server

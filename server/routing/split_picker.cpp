#include "server/routing/split_picker.hpp"

#include "server/routing/stable_hash.hpp"

#include <boost/assert.hpp>

#include <utility>

namespace turnout::server {

SplitPicker::SplitPicker(std::vector<config::SplitEntry> entries)
    : entries_(std::move(entries)), current_(entries_.size(), 0) {
    // The config loader refuses a split with no side, or whose weights add
    // up to 0: pick() always has a side of weight above 0 to return.
    BOOST_ASSERT_MSG(!entries_.empty(), "a split has at least one side");
    for (const config::SplitEntry& entry : entries_) {
        total_ += entry.weight;
    }
    BOOST_ASSERT_MSG(total_ > 0, "a split's weights add up to more than 0");
    // Side i covers [end of side i-1, bucket_end_[i]). Each end is the floor
    // of the cumulative share, so the last side's start only moves down as
    // its share grows: its keys stay on it.
    bucket_end_.reserve(entries_.size());
    std::int64_t cumulative = 0;
    for (const config::SplitEntry& entry : entries_) {
        cumulative += entry.weight;
        std::int64_t end = total_ > 0 ? bucket_count * cumulative / total_ : bucket_count;
        bucket_end_.push_back(static_cast<std::uint32_t>(end));
    }
}

std::size_t SplitPicker::pick() {
    // Smooth weighted round robin (nginx's): every side gains its weight, the
    // richest is picked and pays the total. Weight 0 never gains, so never
    // leads while another side has weight.
    std::size_t best = 0;
    bool found = false;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        if (entries_[i].weight == 0) {
            continue;
        }
        current_[i] += entries_[i].weight;
        if (!found || current_[i] > current_[best]) {
            best = i;
            found = true;
        }
    }
    if (found) {
        current_[best] -= total_;
    }
    BOOST_ASSERT(found);
    return best;
}

std::size_t SplitPicker::pick_sticky(std::string_view key) const {
    std::uint32_t b = bucket(key);
    for (std::size_t i = 0; i < bucket_end_.size(); ++i) {
        if (b < bucket_end_[i]) {
            return i;
        }
    }
    BOOST_ASSERT_MSG(false, "the last side's buckets end at bucket_count");
    return 0;
}

std::uint32_t SplitPicker::bucket(std::string_view key) {
    // Part of the contract: changing the hash moves every sticky client.
    return static_cast<std::uint32_t>(stable_hash(key) % bucket_count);
}

}  // namespace turnout::server

#include "master/fresh_stats.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace turnout::master {

FreshStats::FreshStats(LiveWorkers live_workers) : live_workers_{std::move(live_workers)} {}

std::uint64_t FreshStats::next_request() {
    return ++last_request_;
}

void FreshStats::answered(pid_t pid, std::uint64_t number) {
    auto& last = answered_[pid];
    last = std::max(last, number);
}

std::uint64_t FreshStats::answered_by(pid_t pid) const {
    const auto found = answered_.find(pid);
    return found == answered_.end() ? 0 : found->second;
}

void FreshStats::wait(std::uint64_t number, clock::time_point deadline, Then then) {
    Waiter waiter{number, {}, deadline, std::move(then)};
    for (const pid_t pid : live_workers_()) {
        if (answered_by(pid) < number) {
            waiter.unanswered.insert(pid);
        }
    }
    waiters_.push_back(std::move(waiter));
}

void FreshStats::settle(clock::time_point now) {
    const auto live_list = live_workers_();
    const std::set<pid_t> live(live_list.begin(), live_list.end());
    std::erase_if(answered_, [&](const auto& entry) { return !live.contains(entry.first); });
    std::vector<Then> ready;
    std::erase_if(waiters_, [&](Waiter& waiter) {
        std::erase_if(waiter.unanswered, [&](pid_t pid) {
            return !live.contains(pid) || answered_by(pid) >= waiter.number;
        });
        if (!waiter.unanswered.empty() && now < waiter.deadline) {
            return false;
        }
        if (!waiter.unanswered.empty()) {
            spdlog::warn("msg=\"workers did not answer a stats request in time, judging on the "
                         "counters they sent before\" request={} pids={}",
                         waiter.number, fmt::join(waiter.unanswered, ","));
        }
        ready.push_back(std::move(waiter.then));
        return true;
    });
    for (auto& then : ready) {
        then();
    }
}

std::optional<FreshStats::clock::time_point> FreshStats::next_deadline() const {
    std::optional<clock::time_point> earliest;
    for (const auto& waiter : waiters_) {
        if (!earliest || waiter.deadline < *earliest) {
            earliest = waiter.deadline;
        }
    }
    return earliest;
}

}  // namespace turnout::master

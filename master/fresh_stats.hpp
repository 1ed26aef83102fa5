#pragma once

// Which stats request each worker answered last, and the callers waiting
// for counters collected after a moment (the end of a rollout interval).
//
// The master numbers every stats request it sends, the once-a-second poll's
// and a waiter's alike (1, 2, 3…), and a worker echoes the number in its
// answer. A channel keeps order, so the answer to request N holds all the
// worker counted before N reached it. A waiter for request N is satisfied
// once each worker that was live when it began waiting has answered N or a
// later request, or is no longer live: a worker that died never answers,
// and one started in its place counts nothing from before N. A deadline
// bounds the wait, so a worker that hangs delays a judgement, never stops it.
//
// Workers are named by pid; which are live is asked of an injected function
// each time, so this class knows no sockets and no process table.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <vector>

namespace turnout::master {

class FreshStats {
public:
    using clock = std::chrono::steady_clock;
    using LiveWorkers = std::function<std::vector<pid_t>()>;
    using Then = std::function<void()>;

    explicit FreshStats(LiveWorkers live_workers);

    // The number of a stats request about to go to every live worker: one
    // more than the last.
    std::uint64_t next_request();

    // Worker `pid` answered request `number` (0: it sent its counts unasked,
    // as a stopping worker does). Numbers never go back: an older one is
    // ignored.
    void answered(pid_t pid, std::uint64_t number);

    // Queues `then` to run from settle() once request `number` is answered
    // as described above, or at `deadline`. Runs nothing itself.
    void wait(std::uint64_t number, clock::time_point deadline, Then then);

    // Forgets workers no longer live, then runs the waiters now satisfied or
    // past their deadline, in the order they began waiting (a late one is
    // logged with the workers that did not answer). They run after the
    // bookkeeping, so one may call wait() again.
    void settle(clock::time_point now);

    // The earliest deadline of a waiter; none while nobody waits.
    std::optional<clock::time_point> next_deadline() const;

private:
    struct Waiter {
        std::uint64_t number = 0;
        std::set<pid_t> unanswered;  // live when it began, not answered since
        clock::time_point deadline;
        Then then;
    };

    std::uint64_t answered_by(pid_t pid) const;

    LiveWorkers live_workers_;
    std::uint64_t last_request_ = 0;
    std::map<pid_t, std::uint64_t> answered_;  // live worker → last request number answered
    std::vector<Waiter> waiters_;
};

}  // namespace turnout::master

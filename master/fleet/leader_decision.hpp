#pragma once

// What the fleet's leader does with one rollout key each time it looks
// (docs/SPEC.md, "Fleet rollouts"), as pure functions of the record, the
// tally of the node reports and the moment: no I/O, so each rule is
// unit-tested. The leader writes the record back (with the route's new
// split when split_changed) in one transaction guarded by the revisions
// it read.
//
// A step is judged only once every live node serves it: until then the
// interval does not run, and a node still behind an interval after the
// step was written holds the rollout, named in `behind`. While the
// interval runs, counters that already break a limit roll back at once.

#include "config/config.hpp"
#include "master/fleet/rollout_record.hpp"
#include "master/fleet/rollout_tally.hpp"

namespace turnout::master::fleet {

struct LeaderDecision {
    bool write = false;          // the record changed
    bool split_changed = false;  // and the route's split with it
};

// Answers record.request (start, pause, resume, promote, abort) and
// clears it; `live` is the config the leader serves, which a start is
// planned against. A refused request is answered with its error and
// changes nothing else.
LeaderDecision answer_request(RolloutRecord& record, const config::Config& live,
                              const RolloutInstant& now);

// Moves a live rollout on by what `tally` says, counted under the step
// the route key holds now.
LeaderDecision step_rollout(RolloutRecord& record, const Tally& tally, const RolloutInstant& now);

// How long after a step is written a node not serving it holds the
// rollout: the interval, at least a second.
std::chrono::milliseconds behind_after(const RolloutSpec& spec);

}  // namespace turnout::master::fleet

#pragma once

// The value of "<prefix>rollouts/<route>" (docs/SPEC.md, "Fleet
// rollouts"): the rollout as the local one shows it (Rollout::to_json),
// plus what the fleet needs to go on under another leader, and the
// operator's request waiting for the leader and the answer to the last one.
// The CLI writes a request; only the leader writes the rest.
//
//   {...Rollout::to_json..., "deadline_unix_ms": N | null,
//    "step_written_ms": N, "counting": bool, "behind": ["node"...],
//    "leader": "node", "request": {"action", "id", "reason"} | absent,
//    "answer": {"id", "action", "error"} | absent}
//
// Before the leader started it, the state is "pending" and only route, to,
// spec and request are there.

#include "master/rollout/rollout.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace turnout::master::fleet {

// What an operator asked for: start, pause, resume, promote or abort.
struct RolloutRequest {
    std::string action;
    std::string id;  // the CLI's, echoed in the answer it waits for
    std::string reason;
};

struct RolloutRecord {
    RolloutSpec spec;
    std::optional<Rollout> rollout;  // none while pending
    // When the current step was written (Unix ms): a node not serving it
    // by then plus the interval is behind.
    std::int64_t step_written_ms = 0;
    // Every live node served the step and the interval runs.
    bool counting = false;
    std::vector<std::string> behind;  // live nodes the rollout holds for
    std::string leader;               // the node that wrote it last
    std::optional<RolloutRequest> request;
    boost::json::object answer;

    bool live() const { return rollout && !rollout->terminal(); }
};

// The deadline travels as Unix ms, so a new leader goes on with what was
// left of the interval. Returns what is wrong otherwise.
std::variant<RolloutRecord, std::string> read_rollout_record(const boost::json::value& value,
                                                             const RolloutInstant& now);
boost::json::object to_json(const RolloutRecord& record, const RolloutInstant& now);

}  // namespace turnout::master::fleet

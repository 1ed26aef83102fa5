#pragma once

// `turnout fleet rollout start|status|pause|resume|promote|abort`
// (docs/SPEC.md, "Fleet rollouts"): the CLI writes the request into
// `<prefix>rollouts/<route>` and waits up to 15 s for the fleet's leader to
// answer it there. Exit statuses as every command's: 0 done, 1 refused
// (by the CLI or the leader), 2 usage, 3 etcd unreachable or no leader
// answered in time.

#include "master/cli/cli_commands.hpp"

#include <vector>

namespace turnout::master {

inline constexpr const char* fleet_rollout_group_help =
    "move a route to another upstream in steps on every node, judged on the whole fleet's "
    "traffic: start|status|pause|resume|promote|abort";

// `commands` with the fleet rollout rows appended.
std::vector<CliCommand> with_fleet_rollout_commands(std::vector<CliCommand> commands);

}  // namespace turnout::master

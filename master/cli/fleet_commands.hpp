#pragma once

// `turnout fleet apply|get|split|status` (and `fleet rollout`, fleet_rollout_commands.hpp): the CLI
// talking to etcd itself (docs/operations.md, "Fleet mode"), with --etcd URL --prefix P or the
// source section of a bootstrap file (-c FILE). Same exit statuses as the
// admin commands (exit_status.hpp), with etcd in the master's place.

#include "master/cli/cli_commands.hpp"

#include <vector>

namespace turnout::master {

inline constexpr const char* fleet_group_help =
    "change and inspect a fleet's config in etcd, and roll out across it: "
    "apply|get|split|status|rollout";

// `commands` with the fleet rows appended.
std::vector<CliCommand> with_fleet_commands(std::vector<CliCommand> commands);

}  // namespace turnout::master

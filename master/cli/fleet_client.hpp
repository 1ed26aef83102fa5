#pragma once

// What every `turnout fleet` command shares: which etcd and prefix (--etcd
// and --prefix, else the source section of -c FILE), and a client run to
// completion in the command's own event loop.

#include "master/cli/cli_commands.hpp"
#include "master/etcd/client.hpp"

#include <functional>
#include <string>

namespace turnout::master {

using FleetFinish = std::function<void(ExitStatus)>;

// Runs `start(client, prefix, finish)` until `finish(status)` ended it and
// nothing is left to do; returns that status (3 when finish never ran).
ExitStatus with_fleet_client(
    const CliOptions& options,
    const std::function<void(etcd::Client&, const std::string& prefix, FleetFinish)>& start);

// --etcd and --prefix.
void add_fleet_target_options(CLI::App& command, CliOptions& options);

}  // namespace turnout::master

#pragma once

// The subcommands of SPEC §2 that work on a file. Each says whether it
// succeeded; main() turns that into the exit status (master/cli/exit_status.hpp).

#include <optional>
#include <string>
#include <vector>

namespace turnout::master {

struct RunOptions {
    std::string config_path;
    std::optional<unsigned> workers;
    bool fresh = false;
    // The command line as given, for an upgrade to start the new binary with.
    std::vector<std::string> command_line;
};

// False when the master cannot start (an invalid config, a listener it
// cannot bind); true once it ran and stopped.
bool run_command(const RunOptions& options);
// True when the file is a valid config whose TLS files load.
bool validate_command(const std::string& config_path);

}  // namespace turnout::master

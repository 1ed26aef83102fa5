#pragma once

// The subcommands of SPEC §2. Each returns the process exit status:
// 0 success, 1 refused, 2 usage error, 3 cannot reach the master.

#include <optional>
#include <string>

namespace turnout::master {

struct RunOptions {
    std::string config_path;
    std::optional<unsigned> workers;
    bool fresh = false;
};

int run_command(const RunOptions& options);
int validate_command(const std::string& config_path);

}  // namespace turnout::master

#pragma once

// Starting the master of a new binary for an upgrade: fork + exec with the
// same command line, the handed-over descriptors laid out from fd 3 and
// named in TURNOUT_UPGRADE (handover.hpp), nothing else of ours inherited.

#include "master/upgrade/handover.hpp"

#include <sys/types.h>

#include <string>
#include <vector>

namespace turnout::master {

// This process's binary as a path: /proc/self/exe resolved again, so a
// package that replaced the file is run, not the deleted one still mapped.
// Throws std::system_error when the link cannot be read.
std::string current_binary();

// Forks and execs `binary` with `argv` (argv[0] becomes `binary`) and
// `handover`'s descriptors (numbers in this process) renumbered from 3 in
// the child. The new master is not tied to this one's life: it serves on
// after this master exits. Throws std::system_error when it cannot fork.
pid_t spawn_new_master(const std::string& binary, const std::vector<std::string>& argv,
                       const Handover& handover);

}  // namespace turnout::master

#pragma once

// The exit status of every turnout command (SPEC §2): the one definition
// that main(), `run`, `validate` and the admin-socket commands return, and
// that docs/operations.md and docs/SPEC.md §2 describe.

namespace turnout::master {

enum ExitStatus : int {
    exit_ok = 0,
    // The file or the master said no: invalid config, stale version (412),
    // unknown route, conflict; any 4xx, and 501. `run` that cannot start.
    exit_refused = 1,
    // A command line CLI11 or the command itself rejects.
    exit_usage = 2,
    // No socket, no answer, or a 5xx other than 501: the master is down or
    // broken.
    exit_unreachable = 3,
};

}  // namespace turnout::master

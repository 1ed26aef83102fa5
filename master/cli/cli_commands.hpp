#pragma once

// The CLI commands of SPEC §2 that talk to the admin socket, as one table of
// {name, help, define, run}: main() adds a subcommand per row, and `--help`
// comes from the same rows. Each run returns the process exit status
// (exit_status.hpp).

#include "master/cli/exit_status.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace CLI {
class App;
}

namespace turnout::master {

// Every option any client command takes; each command binds the ones it
// uses.
struct CliOptions {
    std::string socket;       // --socket PATH
    std::string config_path;  // -c FILE: its admin.socket
    std::string file;         // apply -f FILE
    std::optional<std::uint64_t> if_version;
    bool json = false;
    std::uint64_t version = 0;  // rollback
    std::string route;
    std::vector<std::string> weights;  // split: UPSTREAM=WEIGHT...
    bool now = false;
    std::string binary;  // upgrade --binary PATH
    // rollout start
    std::string to;
    std::optional<std::string> steps;
    std::optional<std::string> interval;
    std::optional<double> max_error_rate;
    std::optional<std::string> max_p99;
    std::optional<std::uint64_t> min_requests;
    // fleet: etcd to use (else the source of -c FILE)
    std::vector<std::string> etcd;
    std::string prefix;
    std::optional<std::int64_t> if_revision;
};

// Prints "turnout: MESSAGE" on stderr and returns `status`.
ExitStatus fail(ExitStatus status, const std::string& message);

struct CliCommand {
    std::string_view group;  // "" or a parent command ("rollout")
    std::string_view name;
    std::string_view help;
    void (*define)(CLI::App& command, CliOptions& options);
    ExitStatus (*run)(const CliOptions& options);
};

// Every client command, in `--help` order.
const std::vector<CliCommand>& cli_commands();

// Adds every row of cli_commands() to `app` (groups as nested
// subcommands); returns each added subcommand with its row.
std::vector<std::pair<CLI::App*, const CliCommand*>> add_cli_commands(CLI::App& app,
                                                                      CliOptions& options);

// The admin socket: --socket, else $TURNOUT_SOCKET, else admin.socket of
// -c FILE, else run/admin.sock in the current folder. nullopt (after one
// line on stderr) when -c FILE does not load.
std::optional<std::string> resolve_admin_socket(const CliOptions& options);

// `rollout start`'s arguments and options (ROUTE --to ... --json), and
// those of the commands naming a rollout (ROUTE --json); the fleet's
// rollout commands take the same.
void define_rollout_start(CLI::App& command, CliOptions& options);
void define_rollout_route(CLI::App& command, CliOptions& options);

// A rollout's spec from `rollout start`'s options, in the shape
// parse_rollout_spec reads (POST /v1/rollouts's body): the route, `to`, and
// only the settings given. Checked against the spec's rules, so a bad
// argument is a usage error; returns the message otherwise.
std::variant<boost::json::object, std::string> rollout_request(const CliOptions& options);

// "split" arguments UPSTREAM=WEIGHT, in order, or the usage error message.
std::variant<std::vector<std::pair<std::string, std::int64_t>>, std::string> parse_weights(
    const std::vector<std::string>& arguments);

}  // namespace turnout::master

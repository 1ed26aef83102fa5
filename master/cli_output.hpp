#pragma once

// How the CLI shows the admin API's answers: refusals on stderr (config
// errors as FILE:LINE:COL: message), `status`, `history` and rollouts as
// lines and tables for people (`--json` prints the answer as it came).
// Readers are lenient about the JSON's shape: a field the master does not
// send prints as "-" rather than failing the command.

#include "master/admin_client.hpp"

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

namespace turnout::master {

// Each error detail as `FILE:LINE:COL: message`, then one line with the
// error and what to do. `file` names the details when not empty (apply -f
// FILE), else the details' own `file`, else "config".
void print_refusal(std::ostream& out, const AdminHttpResponse& response, const std::string& file);

// The `version` of {"version": N, ...}, or nullopt.
std::optional<std::uint64_t> version_of(const std::string& body);

// false when the body is not a JSON object (or list, for history).
bool print_status(std::ostream& out, const std::string& body);
bool print_history(std::ostream& out, const std::string& body);
// One rollout (cli_rollout_output.cpp); false when the body is no object.
bool print_rollout(std::ostream& out, const std::string& body);

}  // namespace turnout::master

#pragma once

// Config → YAML in the format of SPEC §3, for `GET /v1/config`,
// `turnout config` and the versions kept in state_dir. Loading the text
// again (with the same base folder) gives an equal Config.

#include "config/config.hpp"

#include <string>

namespace turnout::config {

std::string to_yaml(const Config& config);
std::string to_yaml(const Route& route);
std::string to_yaml(const Upstream& upstream);

}  // namespace turnout::config

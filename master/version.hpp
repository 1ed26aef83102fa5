#pragma once

// turnout's own version, CMake's project version ("0.1.0"): what
// `turnout --version` prints and GET /v1/status reports as
// `turnout_version` (`version` there is the config version).

#include <string_view>

namespace turnout::master {

std::string_view turnout_version();

}  // namespace turnout::master

#pragma once

#include "config/config.hpp"

#include <string>

namespace turnout::master {

// One line for the history: what a whole-config change adds, removes and
// changes, e.g. "routes +api -old ~web; upstreams +app-v2" or "no change".
std::string summarize_change(const config::Config& before, const config::Config& after);

}  // namespace turnout::master

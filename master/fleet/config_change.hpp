#pragma once

// What travels to the workers when a new fleet version replaces the live
// one: when the two differ in one route or one upstream only, that change
// alone (as PUT /v1/routes/NAME sends it), so workers keep every other
// upstream's pool and every open connection; otherwise the whole config.

#include "config/config.hpp"
#include "worker/config_delta.hpp"

#include <optional>

namespace turnout::master::fleet {

// The one change that turns `live` into `next`, or nullopt when it takes
// more (or nothing changed). Checked by replaying it: applied to `live` as
// the workers and the config store will, it gives exactly `next` (so a new
// route that would not land in its byte-order place goes whole).
std::optional<worker::ConfigDelta> single_change(const config::Config& live,
                                                 const config::Config& next);

}  // namespace turnout::master::fleet

#pragma once

// Internal to the loader: one reader per top-level section of SPEC §3. Each
// reports every problem it finds into the Context and returns what it could
// read; a Config is only handed out when the Context has no errors.

#include "config/config.hpp"
#include "config/yaml_reader.hpp"

#include <vector>

namespace turnout::config::detail {

void read_admin(Context& context, const Cursor& at, Admin& admin);
void read_limits(Context& context, const Cursor& at, Limits& limits);
std::vector<Listener> read_listeners(Context& context, const Cursor& at);

// Every upstream declared, even one with errors, so that routes naming it
// are not reported as naming an unknown upstream.
std::vector<Upstream> read_upstreams(Context& context, const Cursor& at);

// Checks each route's upstreams against `upstreams`.
std::vector<Route> read_routes(Context& context, const Cursor& at,
                               const std::vector<Upstream>& upstreams);

}  // namespace turnout::config::detail

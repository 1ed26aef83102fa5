#pragma once

// Internal to the loader: one reader per top-level section of SPEC §3. Each
// reports every problem it finds into the Context and returns what it could
// read; a Config is only handed out when the Context has no errors.

#include "config/config.hpp"
#include "config/yaml_reader.hpp"

#include <vector>

namespace turnout::config::detail {

// The largest weight a split side may have: large enough for any ratio an
// operator writes, small enough that sums of thousands never overflow.
constexpr std::uint64_t max_split_weight = 1'000'000;

std::optional<EtcdSource> read_source(Context& context, const Cursor& at);
// `workers`, `admin` and `state_dir`, the settings read only at start. With
// `in_force` (a config pushed to a running master) a key left out keeps its
// value there, and one set to another value is an error naming the key.
void read_start_settings(Context& context, const MapReader& top, Config& config,
                         const Config* in_force);
void read_limits(Context& context, const Cursor& at, Limits& limits);
std::vector<Listener> read_listeners(Context& context, const Cursor& at);

// Every upstream declared, even one with errors, so that routes naming it
// are not reported as naming an unknown upstream.
SharedList<Upstream> read_upstreams(Context& context, const Cursor& at);

// Checks each route's upstreams against `upstreams`.
SharedList<Route> read_routes(Context& context, const Cursor& at,
                              const SharedList<Upstream>& upstreams);

// One route on its own, as the body of PUT /v1/routes/NAME: the same keys
// and checks as an item of `routes:`, except that `name` may be left out
// (it is `name`) and, when given, must equal `name`.
Route read_route_body(Context& context, const Cursor& at, const std::string& name,
                      const SharedList<Upstream>& upstreams);

// One upstream on its own, as the body of PUT /v1/upstreams/NAME: the map
// that would follow `NAME:` under `upstreams:`. `name` is not checked here.
Upstream read_upstream_body(Context& context, const Cursor& at, const std::string& name);

}  // namespace turnout::config::detail

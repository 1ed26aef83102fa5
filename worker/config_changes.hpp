#pragma once

// A whole config (an apply, a reload, a rollback) that differs from the one
// the workers serve only in some routes and upstreams travels to them as
// those changes, one batch of ConfigDeltas applied in one go, instead of as
// a snapshot: a worker then parses and indexes what changed, not every
// route again. A 10,000-route apply that changes one route cost each worker
// about 100 ms of CPU as a snapshot.

#include "config/config.hpp"
#include "worker/config_delta.hpp"

#include <boost/json/value.hpp>

#include <optional>
#include <vector>

namespace turnout::worker {

// The changes that make a worker serving `from` serve what a snapshot of `to`
// would make it serve, in the order to apply them; nullopt when a snapshot
// must travel instead:
// - anything a worker serves besides routes and upstreams differs (limits,
//   access log, listeners);
// - routes kept from `from` changed their order, or a new route comes before
//   a kept one (a put ranks a new route after every existing one among ties,
//   a snapshot ranks by position);
// - the changes are more than half as many as `to`'s routes and upstreams
//   (then indexing everything is as cheap).
std::optional<std::vector<ConfigDelta>> changes_between(const config::Config& from,
                                                        const config::Config& to);

// A batch on the wire: a JSON array of to_json(delta).
boost::json::value to_json(const std::vector<ConfigDelta>& changes);
// One delta (an object) or a batch (an array); nullopt when any does not
// decode.
std::optional<std::vector<ConfigDelta>> changes_from_json(const boost::json::value& json);

}  // namespace turnout::worker

#pragma once

// Lossless Config ⇄ JSON, used where a config travels between processes
// (master → worker snapshots and deltas): parsing JSON is far cheaper than
// re-reading YAML, and the values are already validated, so decoding does
// not validate again beyond what it needs to not crash.

#include "config/config.hpp"

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace turnout::config {

// The JSON text, written without building a tree: what travels and is stored.
std::string to_json_text(const Config& config);
std::string to_json_text(const Route& route);
std::string to_json_text(const Upstream& upstream);

// The same, parsed: for embedding in a larger value (a delta) and for tests.
boost::json::value to_json(const Config& config);
boost::json::value to_json(const Route& route);
boost::json::value to_json(const Upstream& upstream);

// Parses JSON text as to_json's output needs: the loader accepts header
// values that are not valid UTF-8, so the JSON may carry them too. nullopt
// when the text is not JSON. `storage` holds the parsed value: a
// monotonic resource makes a whole config's hundreds of thousands of nodes
// a few large blocks, given back to the system at once when it goes.
std::optional<boost::json::value> parse_json(std::string_view text,
                                             boost::json::storage_ptr storage = {});

// nullopt when the JSON is not what to_json writes (a bug, or a version skew
// between master and worker binaries).
std::optional<Config> config_from_json(const boost::json::value& json);
std::optional<Route> route_from_json(const boost::json::value& json);
std::optional<Upstream> upstream_from_json(const boost::json::value& json);

}  // namespace turnout::config

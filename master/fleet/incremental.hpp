#pragma once

// The fast path of a fleet change: when a watch response only puts or
// deletes routes and upstreams, the new config is the last good one with
// those edits made by config/edits.hpp (each value parsed and checked
// alone), instead of parsing and validating every key again, which costs
// hundreds of milliseconds with 10,000 routes.

#include "config/config.hpp"
#include "worker/config_delta.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace turnout::master::fleet {

// Relative key → its new value, or nullopt when deleted.
using KeyChanges = std::map<std::string, std::optional<std::string>>;

struct Edited {
    std::shared_ptr<const config::Config> config;
    // When exactly one edit made it: that edit as the workers take it, so
    // the master need not compare the whole config to find it.
    std::optional<worker::ConfigDelta> delta;
};

// `base` with `changes` made, or a null config when the fast path does not
// apply (a key other than a route or upstream, a new route that would not
// sort last, any edit refused): the caller then assembles every key, which
// also gives the errors their full context.
Edited apply_key_changes(std::shared_ptr<const config::Config> base, const KeyChanges& changes,
                         const std::string& prefix);

}  // namespace turnout::master::fleet

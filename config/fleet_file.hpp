#pragma once

// Between a config file and a fleet's keys, for `turnout fleet apply` and
// `turnout fleet get`: a file's listeners, upstreams, routes and settings
// become one key each (each value the YAML of that object as the file has
// it); keys become one YAML document again. The bootstrap-only keys
// (workers, admin, state_dir, source) have no key and are left out.

#include "config/loader.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace turnout::master::fleet {

using Keys = std::map<std::string, std::string>;  // relative key → value

// Validates `yaml` as a config (listeners may be left to each node's
// bootstrap) and splits it into keys. `file` names it in errors.
std::variant<Keys, config::ConfigErrors> keys_from_config(const std::string& yaml,
                                                          const std::string& file,
                                                          const std::string& base_dir);

// The config the keys hold, as one YAML document (node reports left out);
// values that do not parse are left out and named in `skipped`.
std::string config_from_keys(const Keys& keys, std::vector<std::string>& skipped);

// A route key's value with its `split` set to `weights` (and `upstream`
// gone), for `turnout fleet split` and a fleet rollout's steps; nullopt
// when `value` is not a YAML map.
std::optional<std::string> route_with_split(
    const std::string& value, const std::vector<std::pair<std::string, std::int64_t>>& weights);

}  // namespace turnout::master::fleet

#pragma once

// A fleet node's config: the bootstrap file's own keys (workers, admin,
// state_dir, and listeners when it has them) plus the objects kept in etcd
// under the prefix, validated as one config exactly as a file would be.
// Each key's value is parsed on its own, so every error names the key it
// is in and the line:column inside that value ("/turnout/prod/routes/api:
// 3:12: routes[0].upstream: …"); errors in the bootstrap's keys name the
// bootstrap file.

#include "config/loader.hpp"

#include <map>
#include <string>

namespace turnout::master::fleet {

struct Bootstrap {
    std::string text;      // the -c file's YAML
    std::string file;      // its path, for errors
    std::string base_dir;  // relative paths resolve against it
    std::string prefix;    // the etcd prefix, to name keys in errors
};

// `keys`: the part of each key after the prefix → its value. Node reports
// (nodes/…) are skipped; routes are taken in byte order of their names.
config::LoadResult assemble_config(const Bootstrap& bootstrap,
                                   const std::map<std::string, std::string>& keys);

}  // namespace turnout::master::fleet

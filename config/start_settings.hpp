#pragma once

// The settings turnout reads only when it starts: `workers`, `admin.*` and
// `state_dir`. They come from the -c file and the command line, never from
// a saved or pushed version: a running master cannot move its admin socket,
// its state folder or its worker slots (docs/operations.md).

#include "config/config.hpp"
#include "config/loader.hpp"

#include <memory>
#include <string>

namespace turnout::config {

// For a config pushed to a running master (PUT /v1/config, a reload): the
// settings read only at start that `yaml` leaves out keep their values in
// `in_force`, and one it sets to another value is an error naming the key
// and saying it takes a restart.
LoadResult load_config_text(const std::string& yaml, const std::string& file,
                            const std::string& base_dir, const Config& in_force);

// `config` with the settings read only at start taken from `in_force`: a
// saved version or a rollback never changes them.
std::shared_ptr<const Config> with_start_settings(std::shared_ptr<const Config> config,
                                                  const Config& in_force);

}  // namespace turnout::config

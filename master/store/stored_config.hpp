#pragma once

// The form a config takes on disk (state_dir) and on the wire to workers:
// the JSON of config/json_codec for a whole config, and of
// worker/config_delta for one change. One encoding serves both, made once
// per change; YAML is produced only when someone asks to read the config,
// because emitting it costs far more than the change itself at 10,000
// routes.

#include "config/config.hpp"
#include "master/store/config_store.hpp"
#include "worker/config_delta.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace turnout::master {

std::string encode_config(const config::Config& config);
std::string encode_change(const worker::ConfigDelta& change);

// nullptr when `text` is not what encode_config writes.
std::shared_ptr<const config::Config> decode_config(std::string_view text);

// The config of a stored version: its whole config with its changes
// replayed in order. nullptr when any part does not decode.
std::shared_ptr<const config::Config> decode_config(const StoredVersion& stored);

}  // namespace turnout::master

#pragma once

// Turns YAML text into a validated Config, or into the list of everything
// wrong with it. Never throws.

#include "config/config.hpp"

#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace YAML {
class Node;
}

namespace turnout::config {

// One problem in a config file. line and column are 1-based, as editors show
// them; 0 when the problem has no place (e.g. the file cannot be read).
struct ConfigError {
    std::string file;
    int line = 0;
    int column = 0;
    std::string message;

    // "FILE:LINE:COL: message"
    std::string to_string() const;
};

using ConfigErrors = std::vector<ConfigError>;
using LoadResult = std::variant<std::shared_ptr<const Config>, ConfigErrors>;

// Parses and validates `yaml`. `file` names it in errors; relative paths in
// the config (admin.socket, state_dir, certificates) resolve against
// `base_dir`. Collects every error it can rather than stopping at the first.
LoadResult load_config_text(const std::string& yaml, const std::string& file,
                            const std::string& base_dir);

// Validates a YAML tree built elsewhere (a fleet config assembled from etcd
// keys, each value parsed on its own): errors carry each node's own mark.
LoadResult load_config_tree(const YAML::Node& root, const std::string& file,
                            const std::string& base_dir);

// Reads `path` and loads it; relative paths resolve against its folder.
LoadResult load_config_file(const std::string& path);

// Durations ("500ms", "10s", "5m", "1h") and sizes ("512", "16k", "1m",
// "1g"); nullopt when the text is not one.
std::optional<Duration> parse_duration(std::string_view text);
std::optional<std::uint64_t> parse_size(std::string_view text);

// "127.0.0.1:8080", "[::1]:8080", ":8080"; nullopt when it does not parse.
std::optional<Address> parse_address(std::string_view text);

}  // namespace turnout::config

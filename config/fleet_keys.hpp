#pragma once

// The layout of a fleet's keys under its prefix (docs/SPEC.md, "Fleet
// configuration from etcd"): one key per object, named after it.

#include <optional>
#include <string>
#include <string_view>

namespace turnout::master::fleet {

// What a key (its part after the prefix) holds.
struct KeyName {
    enum class Kind { listener, upstream, route, settings, node_report, unknown };
    Kind kind = Kind::unknown;
    std::string name;  // of the listener, upstream, route or node
};

KeyName classify_key(std::string_view relative);

// Whether a change to this key changes the config (node reports do not).
inline bool is_config_key(std::string_view relative) {
    return classify_key(relative).kind != KeyName::Kind::node_report;
}

// "<prefix>nodes/<node>", where a node reports what it serves.
std::string node_key(std::string_view prefix, std::string_view node);

}  // namespace turnout::master::fleet

#include "master/fleet/assemble.hpp"

#include "config/yaml_document.hpp"
#include "config/yaml_reader.hpp"
#include "config/fleet_keys.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <vector>

namespace turnout::master::fleet {

namespace {

using config::ConfigError;
using config::ConfigErrors;
using config::detail::Context;

// Which key each object of the assembled tree came from, to name it in
// errors: the tree's paths are "listeners[i]…", "upstreams.NAME…",
// "routes[i]…", "limits…", "access_log…".
struct Origins {
    std::vector<std::string> listeners;  // full keys, in the tree's order
    std::vector<std::string> routes;
    std::map<std::string, std::string> upstreams;  // name → full key
    std::map<std::string, std::string> settings;   // top-level key → full key
    bool bootstrap_listeners = false;              // etcd's listeners/ then ignored
};

// Parses one key's value; errors name the key.
std::optional<YAML::Node> parse_value(ConfigErrors& errors, const std::string& key,
                                      const std::string& value, const std::string& base_dir) {
    Context context(key, base_dir);
    auto node = config::detail::read_yaml_document(context, value,
                                                   "one value holds one YAML document; "
                                                   "remove the second '---'");
    auto found = context.take_errors();
    errors.insert(errors.end(), found.begin(), found.end());
    return node;
}

void error_at(ConfigErrors& errors, const std::string& key, const YAML::Mark& mark,
              std::string message) {
    const bool known = mark.line >= 0;
    errors.push_back(
        {key, known ? mark.line + 1 : 0, known ? mark.column + 1 : 0, std::move(message)});
}

// A listener or route value: a map whose `name`, if given, matches the key.
bool name_from_key(ConfigErrors& errors, const std::string& key, YAML::Node& node,
                   const std::string& name) {
    if (!node.IsMap()) {
        error_at(errors, key, node.Mark(),
                 "must be a map (the object as it appears in a config file's list)");
        return false;
    }
    if (auto given = node["name"]) {
        if (!given.IsScalar() || given.Scalar() != name) {
            error_at(errors, key, given.Mark(),
                     "name: must be '" + name + "' as the key says, or left out");
            return false;
        }
        return true;
    }
    node["name"] = name;
    return true;
}

void add_settings(ConfigErrors& errors, const std::string& key, const YAML::Node& node,
                  YAML::Node& root, Origins& origins) {
    if (node.IsNull()) {
        return;
    }
    if (!node.IsMap()) {
        error_at(errors, key, node.Mark(),
                 "must be a map of settings such as limits and access_log");
        return;
    }
    for (const auto& entry : node) {
        const auto name = entry.first.Scalar();
        if (name == "limits" || name == "access_log") {
            if (!root[name]) {
                root[name] = entry.second;
                origins.settings[name] = key;
            }
        } else if (name == "workers" || name == "admin" || name == "state_dir" ||
                   name == "source") {
            error_at(errors, key, entry.first.Mark(),
                     name + ": belongs in each node's bootstrap file, not in etcd");
        } else if (name == "listeners" || name == "upstreams" || name == "routes") {
            error_at(errors, key, entry.first.Mark(),
                     name + ": each of these is a key of its own: " +
                         key.substr(0, key.size() - 8) + name + "/NAME");
        } else {
            error_at(errors, key, entry.first.Mark(),
                     "unknown setting '" + name + "'; settings are limits and access_log");
        }
    }
}

void add_object(ConfigErrors& errors, const Bootstrap& bootstrap, const std::string& relative,
                const std::string& value, YAML::Node& root, Origins& origins) {
    const auto name = classify_key(relative);
    const auto key = bootstrap.prefix + relative;
    using Kind = KeyName::Kind;
    if (!is_config_key(relative)) {
        return;
    }
    if (name.kind == Kind::unknown) {
        errors.push_back(
            {key, 0, 0,
             "unknown key; a fleet's keys are listeners/NAME, upstreams/NAME, routes/NAME, "
             "settings, nodes/NAME, rollouts/ROUTE and leader"});
        return;
    }
    auto node = parse_value(errors, key, value, bootstrap.base_dir);
    if (!node) {
        return;
    }
    switch (name.kind) {
    case Kind::settings:
        add_settings(errors, key, *node, root, origins);
        break;
    case Kind::upstream:
        root["upstreams"][name.name] = *node;
        origins.upstreams[name.name] = key;
        break;
    case Kind::listener:
        if (!origins.bootstrap_listeners) {
            if (name_from_key(errors, key, *node, name.name)) {
                root["listeners"].push_back(*node);
                origins.listeners.push_back(key);
            }
        }
        break;
    case Kind::route:
        if (name_from_key(errors, key, *node, name.name)) {
            root["routes"].push_back(*node);
            origins.routes.push_back(key);
        }
        break;
    default:
        break;
    }
}

// The bootstrap's own keys, without `source`.
std::optional<YAML::Node> bootstrap_tree(ConfigErrors& errors, const Bootstrap& bootstrap) {
    auto parsed = parse_value(errors, bootstrap.file, bootstrap.text, bootstrap.base_dir);
    if (!parsed || !parsed->IsMap()) {
        return std::nullopt;
    }
    YAML::Node root(YAML::NodeType::Map);
    for (const auto& entry : *parsed) {
        const auto name = entry.first.Scalar();
        if (name == "upstreams" || name == "routes") {
            error_at(errors, bootstrap.file, entry.first.Mark(),
                     name + ": with a source section, " + name + " come from etcd (" +
                         bootstrap.prefix + name + "/NAME); remove it from this file");
        } else if (name != "source") {
            root[name] = entry.second;
        }
    }
    return root;
}

// "routes[3].upstream: …" → the key routes[3] came from, or "" if none.
std::string origin_of(const std::string& message, const Origins& origins) {
    auto indexed = [&](std::string_view head, const std::vector<std::string>& keys) -> std::string {
        if (!message.starts_with(head)) {
            return {};
        }
        const auto index = std::strtoul(message.c_str() + head.size(), nullptr, 10);
        return index < keys.size() ? keys[index] : std::string{};
    };
    if (auto key = indexed("routes[", origins.routes); !key.empty()) {
        return key;
    }
    if (auto key = indexed("listeners[", origins.listeners); !key.empty()) {
        return key;
    }
    if (message.starts_with("upstreams.")) {
        const auto end = message.find_first_of(".[:", 10);
        auto found = origins.upstreams.find(message.substr(10, end - 10));
        return found == origins.upstreams.end() ? std::string{} : found->second;
    }
    for (const auto& [setting, key] : origins.settings) {
        if (message.starts_with(setting + ".") || message.starts_with(setting + ":")) {
            return key;
        }
    }
    return {};
}

}  // namespace

config::LoadResult assemble_config(const Bootstrap& bootstrap,
                                   const std::map<std::string, std::string>& keys) {
    ConfigErrors errors;
    auto root = bootstrap_tree(errors, bootstrap);
    if (!root) {
        return errors;
    }
    Origins origins;
    origins.bootstrap_listeners = (*root)["listeners"].IsDefined();
    for (const auto& [relative, value] : keys) {
        add_object(errors, bootstrap, relative, value, *root, origins);
    }
    if (!errors.empty()) {
        return errors;
    }
    auto result = config::load_config_tree(*root, bootstrap.file, bootstrap.base_dir);
    if (auto* found = std::get_if<ConfigErrors>(&result)) {
        for (auto& error : *found) {
            if (auto key = origin_of(error.message, origins); !key.empty()) {
                error.file = std::move(key);
            }
        }
    }
    return result;
}

}  // namespace turnout::master::fleet

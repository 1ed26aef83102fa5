#include "config/fleet_file.hpp"

#include "config/yaml_document.hpp"
#include "config/yaml_reader.hpp"
#include "config/fleet_keys.hpp"

#include <yaml-cpp/yaml.h>

namespace turnout::master::fleet {

namespace {

std::string emit(const YAML::Node& node) {
    YAML::Emitter out;
    out << node;
    return std::string{out.c_str()} + "\n";
}

// A list item's name, or "" when it has none.
std::string name_of(const YAML::Node& item) {
    const auto name = item.IsMap() ? item["name"] : YAML::Node{};
    return name && name.IsScalar() ? name.Scalar() : std::string{};
}

Keys split_into_keys(const YAML::Node& root) {
    Keys keys;
    for (const char* list : {"listeners", "routes"}) {
        for (const auto& item : root[list]) {
            keys[std::string{list} + "/" + name_of(item)] = emit(item);
        }
    }
    for (const auto& entry : root["upstreams"]) {
        keys["upstreams/" + entry.first.Scalar()] = emit(entry.second);
    }
    YAML::Node settings(YAML::NodeType::Map);
    for (const char* name : {"limits", "access_log"}) {
        if (root[name]) {
            settings[name] = root[name];
        }
    }
    if (settings.size() > 0) {
        keys["settings"] = emit(settings);
    }
    return keys;
}

}  // namespace

std::variant<Keys, config::ConfigErrors> keys_from_config(const std::string& yaml,
                                                          const std::string& file,
                                                          const std::string& base_dir) {
    config::detail::Context context(file, base_dir);
    auto root =
        config::detail::read_yaml_document(context, yaml, "only one YAML document is allowed");
    if (!root) {
        return context.take_errors();
    }
    if (!root->IsMap()) {
        return config::ConfigErrors{{file, 1, 1, "the config must be a map of sections"}};
    }
    // Checked as nodes will check it; a node's bootstrap may bring the
    // listeners, so a file without them is checked with a stand-in.
    YAML::Node checked(YAML::NodeType::Map);  // shares root's nodes, so their marks
    for (const auto& entry : *root) {
        if (entry.first.Scalar() != "source") {
            checked[entry.first.Scalar()] = entry.second;
        }
    }
    if (!checked["listeners"]) {
        YAML::Node stand_in;
        stand_in["name"] = "bootstrap";
        stand_in["address"] = "127.0.0.1:0";
        checked["listeners"].push_back(stand_in);
    }
    auto result = config::load_config_tree(checked, file, base_dir);
    if (auto* errors = std::get_if<config::ConfigErrors>(&result)) {
        return std::move(*errors);
    }
    return split_into_keys(*root);
}

std::string config_from_keys(const Keys& keys, std::vector<std::string>& skipped) {
    YAML::Node root(YAML::NodeType::Map);
    for (const auto& [relative, value] : keys) {
        const auto name = classify_key(relative);
        if (!is_config_key(relative)) {
            continue;
        }
        YAML::Node node;
        try {
            node = YAML::Load(value);
        } catch (const YAML::Exception&) {
            skipped.push_back(relative);
            continue;
        }
        switch (name.kind) {
        case KeyName::Kind::listener:
        case KeyName::Kind::route:
            if (node.IsMap()) {
                node["name"] = name.name;
            }
            root[name.kind == KeyName::Kind::route ? "routes" : "listeners"].push_back(node);
            break;
        case KeyName::Kind::upstream:
            root["upstreams"][name.name] = node;
            break;
        case KeyName::Kind::settings:
            for (const auto& entry : node) {
                root[entry.first.Scalar()] = entry.second;
            }
            break;
        default:
            skipped.push_back(relative);
            break;
        }
    }
    return emit(root);
}

std::optional<std::string> route_with_split(
    const std::string& value, const std::vector<std::pair<std::string, std::int64_t>>& weights) {
    YAML::Node route;
    try {
        route = YAML::Load(value);
    } catch (const YAML::Exception&) {
        return std::nullopt;
    }
    if (!route.IsMap()) {
        return std::nullopt;
    }
    route.remove("upstream");
    YAML::Node split(YAML::NodeType::Sequence);
    for (const auto& [upstream, weight] : weights) {
        YAML::Node side;
        side["upstream"] = upstream;
        side["weight"] = weight;
        split.push_back(side);
    }
    route["split"] = split;
    return emit(route);
}

}  // namespace turnout::master::fleet

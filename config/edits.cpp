// Partial changes to a live config (see edits.hpp). Bodies go through the
// loader's own section readers, so a route or upstream PUT alone is checked
// exactly as it would be in a file; the result is a copy of the live config
// with that one thing changed.

#include "config/edits.hpp"

#include "config/sections.hpp"
#include "config/syntax.hpp"
#include "config/yaml_document.hpp"
#include "config/yaml_reader.hpp"

#include <algorithm>
#include <filesystem>
#include <unordered_set>

namespace turnout::config {

namespace {

using detail::Context;
using detail::Cursor;
using detail::YamlTree;

constexpr std::size_t max_names_listed = 10;

EditError refuse(EditError::Kind kind, const std::string& file, std::string message) {
    return EditError{kind, ConfigErrors{ConfigError{file, 0, 0, std::move(message)}}};
}

EditError invalid(Context& context) {
    ConfigErrors errors = context.take_errors();
    std::stable_sort(errors.begin(), errors.end(), [](const ConfigError& a, const ConfigError& b) {
        return std::pair(a.line, a.column) < std::pair(b.line, b.column);
    });
    return EditError{EditError::Kind::invalid, std::move(errors)};
}

EditResult changed(std::shared_ptr<Config> config) {
    return std::shared_ptr<const Config>(std::move(config));
}

// Relative paths in a body (an upstream's tls.ca) resolve as they would in
// the config file: against its folder, or the current one when unknown.
std::string base_dir_of(const Config& live) {
    if (!live.source_path.empty()) {
        return std::filesystem::path(live.source_path).parent_path().string();
    }
    std::error_code error;
    auto current = std::filesystem::current_path(error);
    return error ? std::string("/") : current.string();
}

// Nothing when `name` (from the URL; `what` says whose it is) is a valid
// name, else the refusal.
std::optional<EditError> check_url_name(const std::string& name, std::string_view what,
                                        const std::string& file) {
    if (detail::is_name(name)) {
        return std::nullopt;
    }
    return refuse(EditError::Kind::invalid, file,
                  std::string(what) + " " + detail::quote(name) +
                      " must be letters, digits, '.', '_' and '-' (at most 128)");
}

// The body's one YAML document, which must be a map; nullopt after
// reporting why not. `example` shows what a body looks like.
std::optional<YAML::Node> parse_body(Context& context, const std::string& body,
                                     std::string_view what, std::string_view example) {
    const std::size_t errors_before = context.error_count();
    auto document = read_yaml_document(
        context, body, "the body must be one YAML or JSON document; remove the second '---'");
    if (!document || context.error_count() > errors_before) {
        return std::nullopt;
    }
    if (!document->IsDefined() || document->IsNull()) {
        context.error_at(YAML::Mark::null_mark(), "the body is empty; it must be " +
                                                      std::string(what) + ", e.g. " +
                                                      std::string(example));
        return std::nullopt;
    }
    YAML::Node root = *document;
    if (!root.IsMap()) {
        const YamlTree tree = YamlTree::copy_of(root);
        Cursor at{&tree.root(), "", root.Mark()};
        context.error(at, "the body must be " + std::string(what) + " as a map, e.g. " +
                              std::string(example) + "; got " + at.describe());
        return std::nullopt;
    }
    return root;
}

// "a, b, c" for at most max_names_listed names, then "and N more".
std::string list_names(const std::vector<std::string>& names) {
    std::vector<std::string> shown(names.begin(),
                                   names.begin() + std::min(names.size(), max_names_listed));
    std::string text = detail::join(shown);
    if (names.size() > shown.size()) {
        text += " and " + std::to_string(names.size() - shown.size()) + " more";
    }
    return text;
}

// A body written as in the file, `NAME: { targets: ... }`, rather than the
// map after `NAME:`: the inner map. Unambiguous, since no key of an
// upstream takes a map whose key could also be the upstream's name alone.
YAML::Node unwrap_named(const YAML::Node& root, const std::string& name) {
    if (root.size() != 1) {
        return root;
    }
    auto only = root.begin();
    if (only->first.IsScalar() && only->first.Scalar() == name && only->second.IsMap()) {
        return only->second;
    }
    return root;
}

std::vector<std::string> routes_using(const Config& config, const std::string& upstream) {
    std::vector<std::string> names;
    for (const auto& route : config.routes) {
        bool uses = std::any_of(route.split.begin(), route.split.end(),
                                [&](const SplitEntry& side) { return side.upstream == upstream; });
        if (uses) {
            names.push_back(route.name);
        }
    }
    return names;
}

// Every problem with a split given as (upstream, weight) pairs, into `errors`.
void check_split(const Config& live,
                 const std::vector<std::pair<std::string, std::int64_t>>& weights,
                 ConfigErrors& errors) {
    auto add = [&errors](std::string message) {
        errors.push_back(ConfigError{"", 0, 0, std::move(message)});
    };
    if (weights.empty()) {
        add("the split needs at least one upstream, e.g. {\"app-v1\": 90, \"app-v2\": 10}");
        return;
    }
    std::vector<std::string> known;
    for (const auto& upstream : live.upstreams) {
        known.push_back(upstream.name);
    }
    std::unordered_set<std::string> seen;
    std::int64_t sum = 0;
    for (const auto& [name, weight] : weights) {
        if (!seen.insert(name).second) {
            add("upstream '" + name + "' is given twice");
        }
        if (!live.find_upstream(name)) {
            std::string message = "no upstream named " + detail::quote(name);
            if (auto near = detail::closest_match(name, known)) {
                message += "; did you mean '" + *near + "'?";
            }
            add(std::move(message));
        }
        if (weight < 0 || static_cast<std::uint64_t>(weight) > detail::max_split_weight) {
            add("the weight of '" + name + "' must be an integer from 0 to " +
                std::to_string(detail::max_split_weight) + ", got " + std::to_string(weight));
        } else {
            sum += weight;
        }
    }
    if (errors.empty() && sum == 0) {
        add("the weights add up to 0; give at least one upstream a weight above 0");
    }
}

}  // namespace

EditResult put_route(const Config& live, const std::string& name, const std::string& body,
                     const std::string& file) {
    if (auto refused = check_url_name(name, "the route name", file)) {
        return *refused;
    }
    Context context(file, base_dir_of(live));
    try {
        auto root = parse_body(context, body, "a route",
                               "{ match: { path_prefix: /api/ }, upstream: app }");
        if (!root) {
            return invalid(context);
        }
        const YamlTree tree = YamlTree::copy_of(*root);
        Route route = detail::read_route_body(context, Cursor{&tree.root(), "", root->Mark()}, name,
                                              live.upstreams);
        if (context.has_errors()) {
            return invalid(context);
        }
        auto next = std::make_shared<Config>(live);
        put_named(next->routes, std::move(route));
        return changed(std::move(next));
    } catch (const std::exception& error) {
        return refuse(EditError::Kind::invalid, file,
                      std::string("internal error while reading the route: ") + error.what());
    }
}

EditResult delete_route(const Config& live, const std::string& name) {
    if (!live.find_route(name)) {
        return refuse(EditError::Kind::not_found, "", "no route named " + detail::quote(name));
    }
    auto next = std::make_shared<Config>(live);
    erase_named(next->routes, name);
    return changed(std::move(next));
}

EditResult put_upstream(const Config& live, const std::string& name, const std::string& body,
                        const std::string& file) {
    if (auto refused = check_url_name(name, "the upstream name", file)) {
        return *refused;
    }
    Context context(file, base_dir_of(live));
    try {
        auto root = parse_body(context, body, "an upstream", "{ targets: [127.0.0.1:9001] }");
        if (!root) {
            return invalid(context);
        }
        YAML::Node node = unwrap_named(*root, name);
        const YamlTree tree = YamlTree::copy_of(node);
        Upstream upstream =
            detail::read_upstream_body(context, Cursor{&tree.root(), "", node.Mark()}, name);
        if (context.has_errors()) {
            return invalid(context);
        }
        auto next = std::make_shared<Config>(live);
        put_named(next->upstreams, std::move(upstream));
        return changed(std::move(next));
    } catch (const std::exception& error) {
        return refuse(EditError::Kind::invalid, file,
                      std::string("internal error while reading the upstream: ") + error.what());
    }
}

EditResult delete_upstream(const Config& live, const std::string& name) {
    if (!live.find_upstream(name)) {
        return refuse(EditError::Kind::not_found, "", "no upstream named " + detail::quote(name));
    }
    std::vector<std::string> users = routes_using(live, name);
    if (!users.empty()) {
        std::string routes = users.size() == 1 ? "route " : "routes ";
        return refuse(EditError::Kind::conflict, "",
                      "upstream '" + name + "' is used by " + routes + list_names(users) +
                          "; point them at another upstream or delete them first");
    }
    auto next = std::make_shared<Config>(live);
    erase_named(next->upstreams, name);
    return changed(std::move(next));
}

EditResult put_split(const Config& live, const std::string& name,
                     const std::vector<std::pair<std::string, std::int64_t>>& weights) {
    if (!live.find_route(name)) {
        return refuse(EditError::Kind::not_found, "", "no route named " + detail::quote(name));
    }
    ConfigErrors errors;
    check_split(live, weights, errors);
    if (!errors.empty()) {
        return EditError{EditError::Kind::invalid, std::move(errors)};
    }
    auto next = std::make_shared<Config>(live);
    const auto found = std::find_if(next->routes.begin(), next->routes.end(),
                                    [&](const Route& existing) { return existing.name == name; });
    Route& route = next->routes.edit(static_cast<std::size_t>(found - next->routes.begin()));
    route.split.clear();
    for (const auto& [upstream, weight] : weights) {
        route.split.push_back(SplitEntry{upstream, static_cast<std::uint32_t>(weight)});
    }
    route.single_upstream = false;
    return changed(std::move(next));
}

}  // namespace turnout::config

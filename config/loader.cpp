// load_config_text / load_config_file: YAML text in, a validated Config or
// every error found out. The sections are read in section_*.cpp.

#include "config/loader.hpp"
#include "config/start_settings.hpp"

#include "config/sections.hpp"
#include "config/syntax.hpp"
#include "config/yaml_document.hpp"
#include "config/yaml_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

namespace turnout::config {

namespace {

using namespace detail;

// "stdout", or a file path made absolute.
std::optional<std::string> read_access_log(Context& context, const Cursor& at) {
    auto text = read_nonempty_string(context, at);
    if (text && *text == "stdout") {
        return text;
    }
    return read_path(context, at);
}

// A bootstrap file (one with `source:`) may leave listeners to etcd.
void read_listener_section(Context& context, const MapReader& top, Config& config) {
    auto listeners = config.source ? top.get("listeners") : top.require("listeners");
    if (!listeners) {
        return;
    }
    config.listeners = read_listeners(context, *listeners);
    bool is_list = listeners->is_sequence() || listeners->is_null();
    if (config.listeners.empty() && is_list) {
        context.error(*listeners, "needs at least one listener, e.g. "
                                  "[{ name: web, address: 127.0.0.1:8080 }]");
    }
}

std::shared_ptr<Config> read_config(Context& context, const Cursor& root, const Config* in_force) {
    auto config = std::make_shared<Config>();
    if (root.is_null()) {
        context.error(root, "the config is empty; it needs at least `listeners:`");
        return config;
    }
    if (!root.is_map()) {
        context.error(root, "the config must be a map of sections (workers, admin, state_dir, "
                            "access_log, limits, listeners, upstreams, routes), got " +
                                root.describe());
        return config;
    }
    MapReader top(context, root,
                  {"workers", "admin", "state_dir", "access_log", "limits", "listeners",
                   "upstreams", "routes", "source"});
    if (!top.is_map()) {
        return config;
    }
    if (auto source = top.get("source")) {
        config->source = read_source(context, *source);
    }
    read_start_settings(context, top, *config, in_force);
    top.read("access_log", config->access_log, read_access_log);
    if (auto limits = top.get("limits")) {
        read_limits(context, *limits, config->limits);
    }
    read_listener_section(context, top, *config);
    if (auto upstreams = top.get("upstreams")) {
        config->upstreams = read_upstreams(context, *upstreams);
    }
    if (auto routes = top.get("routes")) {
        config->routes = read_routes(context, *routes, config->upstreams);
    }
    return config;
}

std::string absolute_dir(const std::string& dir) {
    std::error_code error;
    auto path = std::filesystem::absolute(dir.empty() ? std::string(".") : dir, error);
    if (error) {
        return dir;
    }
    return path.lexically_normal().string();
}

void sort_by_place(ConfigErrors& errors) {
    std::stable_sort(errors.begin(), errors.end(), [](const ConfigError& a, const ConfigError& b) {
        return std::pair(a.line, a.column) < std::pair(b.line, b.column);
    });
}

std::shared_ptr<Config> read_root(Context& context, const YamlTree& tree, const Config* in_force) {
    const YamlNode& root = tree.root();
    YAML::Mark mark = root.mark.line >= 0 ? root.mark : YAML::Mark();
    return read_config(context, Cursor{&root, "", mark}, in_force);
}

// Parses the YAML and reads the one document in it into `context`.
std::shared_ptr<Config> parse_and_read(Context& context, const std::string& yaml,
                                       const Config* in_force) {
    auto tree =
        read_yaml_tree(context, yaml, "only one YAML document is allowed; remove the second '---'");
    if (!tree) {
        return nullptr;
    }
    return read_root(context, *tree, in_force);
}

LoadResult load(const std::function<std::shared_ptr<Config>(Context&)>& read,
                const std::string& file, const std::string& base_dir,
                const std::string& source_path) {
    Context context(file, absolute_dir(base_dir));
    try {
        auto config = read(context);
        if (config && !context.has_errors()) {
            config->source_path = source_path;
            return std::shared_ptr<const Config>(std::move(config));
        }
    } catch (const std::exception& error) {
        context.error_at(YAML::Mark::null_mark(),
                         std::string("internal error while loading the config: ") + error.what());
    }
    ConfigErrors errors = context.take_errors();
    sort_by_place(errors);
    return errors;
}

ConfigErrors file_error(const std::string& path, const std::string& message) {
    return ConfigErrors{ConfigError{path, 0, 0, message}};
}

}  // namespace

LoadResult load_config_text(const std::string& yaml, const std::string& file,
                            const std::string& base_dir) {
    return load([&](Context& context) { return parse_and_read(context, yaml, nullptr); }, file,
                base_dir, "");
}

LoadResult load_config_text(const std::string& yaml, const std::string& file,
                            const std::string& base_dir, const Config& in_force) {
    return load([&](Context& context) { return parse_and_read(context, yaml, &in_force); }, file,
                base_dir, "");
}

LoadResult load_config_tree(const YAML::Node& root, const std::string& file,
                            const std::string& base_dir) {
    return load(
        [&](Context& context) { return read_root(context, YamlTree::copy_of(root), nullptr); },
        file, base_dir, "");
}

LoadResult load_config_file(const std::string& path) {
    try {
        std::error_code error;
        if (std::filesystem::is_directory(path, error)) {
            return file_error(path, "cannot read the config: it is a folder, not a file");
        }
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            return file_error(path, std::string("cannot read the config: ") + std::strerror(errno));
        }
        std::ostringstream text;
        text << in.rdbuf();
        if (in.bad()) {
            return file_error(path, std::string("cannot read the config: ") + std::strerror(errno));
        }
        auto absolute = std::filesystem::absolute(path).lexically_normal();
        const auto yaml = text.str();
        return load([&](Context& context) { return parse_and_read(context, yaml, nullptr); }, path,
                    absolute.parent_path().string(), absolute.string());
    } catch (const std::exception& error) {
        return file_error(path, std::string("cannot read the config: ") + error.what());
    }
}

}  // namespace turnout::config

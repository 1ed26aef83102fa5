#include "config/yaml_reader.hpp"

#include "config/syntax.hpp"

#include <algorithm>
#include <filesystem>
#include <functional>

namespace turnout::config::detail {

namespace {

bool has_place(const YAML::Mark& mark) {
    return mark.line >= 0 && mark.column >= 0;
}

// The message for a scalar that is not what the key needs.
std::string expected(const Cursor& at, std::string_view what) {
    return "must be " + std::string(what) + ", got " + at.describe();
}

}  // namespace

// --- Cursor ---------------------------------------------------------------

Cursor Cursor::child(std::string_view key, const YAML::Mark& key_mark,
                     const YamlNode& value) const {
    // yaml-cpp marks an empty value ("key:" then a newline) at whatever comes
    // next, often the next line; the key is the better place to point at.
    bool use_own = value.kind != YamlNode::Kind::null && has_place(value.mark);
    YAML::Mark where = use_own ? value.mark : (has_place(key_mark) ? key_mark : mark);
    std::string child_path = path.empty() ? std::string(key) : path + "." + std::string(key);
    return Cursor{&value, std::move(child_path), where};
}

Cursor Cursor::item(std::size_t index, const YamlNode& value) const {
    return Cursor{&value, path + "[" + std::to_string(index) + "]",
                  has_place(value.mark) ? value.mark : mark};
}

std::string Cursor::describe() const {
    if (is_null()) {
        return "nothing";
    }
    if (is_map()) {
        return "a map";
    }
    if (is_sequence()) {
        return "a list";
    }
    return quote(scalar());
}

// --- Context --------------------------------------------------------------

Context::Context(std::string file, std::string base_dir)
    : file_(std::move(file)), base_dir_(std::move(base_dir)) {}

void Context::error_at(const YAML::Mark& mark, std::string message) {
    ConfigError error;
    error.file = file_;
    if (has_place(mark)) {
        error.line = mark.line + 1;
        error.column = mark.column + 1;
    }
    error.message = std::move(message);
    errors_.push_back(std::move(error));
}

void Context::error(const Cursor& at, std::string_view message) {
    if (at.path.empty()) {
        error_at(at.mark, std::string(message));
        return;
    }
    error_at(at.mark, at.path + ": " + std::string(message));
}

std::string Context::resolve_path(std::string_view path) const {
    std::filesystem::path result(path);
    if (result.is_relative()) {
        result = std::filesystem::path(base_dir_) / result;
    }
    return result.lexically_normal().string();
}

ConfigErrors Context::take_errors() {
    return std::exchange(errors_, {});
}

// --- MapReader ------------------------------------------------------------

MapReader::MapReader(Context& context, const Cursor& map,
                     std::initializer_list<std::string_view> allowed)
    : context_(context), self_(map) {
    std::vector<std::string> keys(allowed.begin(), allowed.end());
    collect(&keys);
}

MapReader::MapReader(Context& context, const Cursor& map, std::string key_kind)
    : context_(context), self_(map), key_kind_(std::move(key_kind)) {
    collect(nullptr);
}

void MapReader::collect(const std::vector<std::string>* allowed) {
    if (self_.is_null()) {
        is_map_ = true;
        return;
    }
    if (!self_.is_map()) {
        context_.error(self_, expected(self_, "a map"));
        return;
    }
    is_map_ = true;
    const auto& children = self_.node->children;
    entries_.reserve(children.size() / 2);
    for (std::size_t i = 0; i + 1 < children.size(); i += 2) {
        const YamlNode& key_node = *children[i];
        YAML::Mark key_mark = has_place(key_node.mark) ? key_node.mark : self_.mark;
        if (key_node.kind != YamlNode::Kind::scalar) {
            context_.error(Cursor{&key_node, self_.path, key_mark},
                           "keys must be plain names, got " +
                               Cursor{&key_node, "", key_mark}.describe());
            continue;
        }
        const std::string& key = key_node.text;
        Cursor value = self_.child(key, key_mark, *children[i + 1]);
        if (const MapEntry* first = find(key)) {
            context_.error(Cursor{value.node, value.path, key_mark},
                           "duplicate " + key_kind_ + ", first given at line " +
                               std::to_string(first->key_mark.line + 1));
            continue;
        }
        if (allowed && std::find(allowed->begin(), allowed->end(), key) == allowed->end()) {
            std::string message = "unknown key";
            if (auto near = closest_match(key, *allowed)) {
                message += ", did you mean '" + *near + "'?";
            } else {
                message += "; expected one of: " + join(*allowed);
            }
            context_.error(Cursor{value.node, value.path, key_mark}, message);
            continue;
        }
        index_.emplace(key, entries_.size());
        entries_.push_back(MapEntry{key, key_mark, std::move(value)});
    }
}

const MapEntry* MapReader::find(std::string_view key) const {
    auto it = index_.find(std::string(key));
    return it == index_.end() ? nullptr : &entries_[it->second];
}

std::optional<Cursor> MapReader::get(std::string_view key) const {
    if (const MapEntry* entry = find(key)) {
        return entry->value;
    }
    return std::nullopt;
}

std::optional<Cursor> MapReader::require(std::string_view key) const {
    auto value = get(key);
    if (!value && is_map_) {
        context_.error(self_, "missing key '" + std::string(key) + "'");
    }
    return value;
}

// --- UniqueCheck ----------------------------------------------------------

bool UniqueCheck::check(Context& context, const Cursor& at, const std::string& key,
                        std::string_view shown) {
    auto [it, inserted] = first_line_.emplace(key, at.mark.line + 1);
    if (inserted) {
        return true;
    }
    context.error(at, "duplicate " + what_ + " " + std::string(shown) + ", first used at line " +
                          std::to_string(it->second));
    return false;
}

// --- lists and scalars ----------------------------------------------------

bool for_each_item(Context& context, const Cursor& list,
                   const std::function<void(const Cursor&)>& each) {
    if (list.is_null()) {
        return true;
    }
    if (!list.is_sequence()) {
        context.error(list, expected(list, "a list"));
        return false;
    }
    const auto& items = list.node->children;
    for (std::size_t index = 0; index < items.size(); ++index) {
        each(list.item(index, *items[index]));
    }
    return true;
}

std::optional<std::string> read_string(Context& context, const Cursor& at) {
    if (at.is_null()) {
        context.error(at, "needs a value");
        return std::nullopt;
    }
    if (!at.is_scalar()) {
        context.error(at, expected(at, "a string"));
        return std::nullopt;
    }
    return at.scalar();
}

std::optional<std::string> read_nonempty_string(Context& context, const Cursor& at) {
    auto text = read_string(context, at);
    if (text && text->empty()) {
        context.error(at, "must not be empty");
        return std::nullopt;
    }
    return text;
}

}  // namespace turnout::config::detail

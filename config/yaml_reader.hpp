#pragma once

// Internal to the loader: walks a YAML tree and collects ConfigErrors that
// name each offending key by its path ("upstreams.app.targets[1].weight")
// and its line:column. Readers return nullopt after reporting a problem, so
// callers just keep their defaults and go on to find the next one.

#include "config/loader.hpp"
#include "config/yaml_tree.hpp"

#include <yaml-cpp/mark.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace turnout::config::detail {

// A node, the path that names it in errors, and where to report it: its own
// mark, or for a null or missing node the nearest known one (its key's).
// The node belongs to a YamlTree that outlives the cursor.
struct Cursor {
    const YamlNode* node;
    std::string path;
    YAML::Mark mark;

    Cursor child(std::string_view key, const YAML::Mark& key_mark, const YamlNode& value) const;
    Cursor item(std::size_t index, const YamlNode& value) const;

    bool is_null() const { return node->kind == YamlNode::Kind::null; }
    bool is_scalar() const { return node->kind == YamlNode::Kind::scalar; }
    bool is_map() const { return node->kind == YamlNode::Kind::map; }
    bool is_sequence() const { return node->kind == YamlNode::Kind::sequence; }
    const std::string& scalar() const { return node->text; }

    // For "got ..." in messages: a quoted scalar, "a map", "a list", "nothing".
    std::string describe() const;
};

// Where the errors go, and what relative paths are relative to.
class Context {
public:
    Context(std::string file, std::string base_dir);

    // At a mark (0-based, as yaml-cpp gives it), the message as is.
    void error_at(const YAML::Mark& mark, std::string message);
    // At the cursor, the message prefixed with its path: "PATH: message".
    void error(const Cursor& at, std::string_view message);

    // `path` made absolute against the base folder, normalised.
    std::string resolve_path(std::string_view path) const;

    const std::string& base_dir() const { return base_dir_; }
    bool has_errors() const { return !errors_.empty(); }
    // For "did reading this part add errors?": compare before and after.
    std::size_t error_count() const { return errors_.size(); }
    ConfigErrors take_errors();

private:
    std::string file_;
    std::string base_dir_;
    ConfigErrors errors_;
};

struct MapEntry {
    std::string key;
    YAML::Mark key_mark;
    Cursor value;
};

// One YAML map, read once: reports a value that is not a map (null counts as
// an empty map), keys that are not scalars, duplicate keys (yaml-cpp keeps
// both silently) and, when given the allowed keys, unknown ones.
class MapReader {
public:
    MapReader(Context& context, const Cursor& map, std::initializer_list<std::string_view> allowed);
    // Any key allowed, e.g. the names under `upstreams:`; `key_kind` names
    // the keys in the duplicate message ("upstream name").
    MapReader(Context& context, const Cursor& map, std::string key_kind);

    bool is_map() const { return is_map_; }
    const Cursor& self() const { return self_; }
    const std::vector<MapEntry>& entries() const { return entries_; }

    const MapEntry* find(std::string_view key) const;
    std::optional<Cursor> get(std::string_view key) const;
    // Like get(), but reports "missing key" when absent from a map.
    std::optional<Cursor> require(std::string_view key) const;

    // If `key` is present and `read(context, cursor)` gives a value, stores it.
    template <typename T, typename Read>
    void read(std::string_view key, T& out, Read read) const {
        if (auto value = get(key)) {
            if (auto result = read(context_, *value)) {
                out = std::move(*result);
            }
        }
    }

private:
    void collect(const std::vector<std::string>* allowed);

    Context& context_;
    Cursor self_;
    std::string key_kind_ = "key";
    bool is_map_ = false;
    std::vector<MapEntry> entries_;
    std::unordered_map<std::string, std::size_t> index_;  // key -> entries_ position
};

// Remembers where each name (or address) was first given and reports the
// ones given again.
class UniqueCheck {
public:
    // `what` names the kind in messages: "listener name", "route name".
    explicit UniqueCheck(std::string what) : what_(std::move(what)) {}

    // False, after reporting it at `at`, when `key` was seen before.
    // `shown` is how the message prints it.
    bool check(Context& context, const Cursor& at, const std::string& key, std::string_view shown);

private:
    std::string what_;
    std::unordered_map<std::string, int> first_line_;
};

// Calls `each(item_cursor)` for every item of a list; a null value is an
// empty list. Returns false (after reporting it) when the value is no list.
bool for_each_item(Context& context, const Cursor& list,
                   const std::function<void(const Cursor&)>& each);

// Typed scalar readers. Each reports what it expected and what it got.
std::optional<std::string> read_string(Context& context, const Cursor& at);
std::optional<std::string> read_nonempty_string(Context& context, const Cursor& at);
std::optional<std::uint64_t> read_uint(Context& context, const Cursor& at, std::uint64_t min,
                                       std::uint64_t max);
std::optional<std::uint32_t> read_u32(Context& context, const Cursor& at, std::uint32_t min = 0);
std::optional<bool> read_bool(Context& context, const Cursor& at);
// `min` is 0 or 1 ms: whether zero is allowed.
std::optional<Duration> read_duration(Context& context, const Cursor& at,
                                      Duration min = Duration::zero());
std::optional<std::uint64_t> read_size(Context& context, const Cursor& at, std::uint64_t min = 0);
// A file path, made absolute against the config's folder.
std::optional<std::string> read_path(Context& context, const Cursor& at);
// "127.0.0.1:8080", "[::1]:8080", ":8080", "localhost:8080". A target needs
// a port from 1 and a host it can connect to; a listener may use port 0.
enum class AddressUse { listener, target };
std::optional<Address> read_address(Context& context, const Cursor& at, AddressUse use);
// A URL path: starts with '/', no spaces or control characters; with
// `allow_query` false, no '?' or '#' either.
std::optional<std::string> read_url_path(Context& context, const Cursor& at, bool allow_query);
std::optional<KeySource> read_key_source(Context& context, const Cursor& at);
// A listener, upstream or route name (see is_name()).
std::optional<std::string> read_name(Context& context, const Cursor& at);
// One string out of `choices`; reports the list and the likely typo.
std::optional<std::string> read_choice(Context& context, const Cursor& at,
                                       const std::vector<std::string>& choices);

}  // namespace turnout::config::detail

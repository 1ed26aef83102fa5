#include "master/store/config_store.hpp"

// Layout inside state_dir/versions (the rest of state_dir is free for other
// state; docs/operations.md describes it for operators):
//
//   00000042.config  version 42, a whole config
//   00000043.change  version 43, one change to version 42 (its base)
//   00000043.config  a checkpoint: version 43 whole, written later
//
// Each file is one line of metadata, JSON {"version", "time_ms", "source",
// "summary", "base", "body_bytes", "body_fnv1a"}, then the body: the
// config or the change as master/store/stored_config.hpp encodes them. A version
// exists once its file is renamed in and the folder fsynced; temporary
// files are ".NAME.tmp", never parsed, and removed when the store opens. A
// file whose metadata does not hold (wrong version, size or checksum) is
// ignored, and so is every change built on it. One process (the master)
// commits to a state_dir; readers tolerate anything else in it.

#include "master/store/config_store_files.hpp"
#include "server/logfmt.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <set>
#include <system_error>

namespace turnout::master {

namespace files = store_files;

namespace {

constexpr const char* versions_folder = "versions";
constexpr const char* whole_extension = "config";
constexpr const char* change_extension = "change";
// The metadata line is short; a longer first line is not ours.
constexpr std::size_t max_header_bytes = 64 * 1024;

std::string file_name(std::uint64_t version, const char* extension) {
    char name[40];
    std::snprintf(name, sizeof name, "%08llu.%s", static_cast<unsigned long long>(version),
                  extension);
    return name;
}

// "00000042.config" → 42 and "config"; anything else → nullopt.
std::optional<std::pair<std::uint64_t, std::string>> parse_name(const std::string& name) {
    auto dot = name.find('.');
    if (dot == 0 || dot == std::string::npos || dot > 19) {
        return std::nullopt;
    }
    std::uint64_t number = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + dot, number);
    if (ec != std::errc{} || end != name.data() + dot || number == 0) {
        return std::nullopt;
    }
    return std::pair{number, name.substr(dot + 1)};
}

struct Header {
    VersionInfo info;
    std::uint64_t base = 0;
    std::uint64_t body_bytes = 0;
    std::string body_fnv1a;
};

std::string encode_header(const Header& header) {
    boost::json::object object;
    object["version"] = header.info.version;
    object["time_ms"] = header.info.time_ms;
    object["source"] = header.info.source;
    object["summary"] = header.info.summary;
    object["base"] = header.base;
    object["body_bytes"] = header.body_bytes;
    object["body_fnv1a"] = header.body_fnv1a;
    return boost::json::serialize(object) + "\n";
}

// The metadata line at the start of `text`, and where the body starts;
// nullopt when it is not the header of `version`.
std::optional<std::pair<Header, std::size_t>> decode_header(std::string_view text,
                                                            std::uint64_t version) {
    const auto end = text.find('\n');
    if (end == std::string_view::npos) {
        return std::nullopt;
    }
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(text.substr(0, end), ec);
    const auto* object = ec ? nullptr : value.if_object();
    if (object == nullptr) {
        return std::nullopt;
    }
    auto number = [&](const char* key) -> std::optional<std::uint64_t> {
        const auto* field = object->if_contains(key);
        if (field != nullptr && field->is_uint64()) {
            return field->as_uint64();
        }
        if (field != nullptr && field->is_int64() && field->as_int64() >= 0) {
            return static_cast<std::uint64_t>(field->as_int64());
        }
        return std::nullopt;
    };
    auto text_field = [&](const char* key) -> std::optional<std::string> {
        const auto* field = object->if_contains(key);
        if (field == nullptr || !field->is_string()) {
            return std::nullopt;
        }
        return std::string(field->as_string());
    };
    auto stored_version = number("version");
    auto time_ms = number("time_ms");
    auto base = number("base");
    auto body_bytes = number("body_bytes");
    auto source = text_field("source");
    auto summary = text_field("summary");
    auto hash = text_field("body_fnv1a");
    if (!stored_version || !time_ms || !base || !body_bytes || !source || !summary || !hash ||
        *stored_version != version || *base >= version) {
        return std::nullopt;
    }
    Header header;
    header.info = VersionInfo{version, static_cast<std::int64_t>(*time_ms), std::move(*source),
                              std::move(*summary)};
    header.base = *base;
    header.body_bytes = *body_bytes;
    header.body_fnv1a = std::move(*hash);
    return std::pair{std::move(header), end + 1};
}

std::string one_line(std::string text) {
    std::replace_if(
        text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    return text;
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

ConfigStore::ConfigStore(std::string state_dir) : state_dir_{std::move(state_dir)} {
    while (state_dir_.size() > 1 && state_dir_.back() == '/') {
        state_dir_.pop_back();
    }
    folder_ = state_dir_ + "/" + versions_folder;
    files::make_folders(state_dir_);
    files::make_folders(folder_);
    read_folder();
}

// Indexes the versions from their headers alone; bodies are read (and
// their checksums checked) only when a version is loaded.
void ConfigStore::read_folder() {
    for (const auto& name : files::list_files(folder_)) {
        if (name.size() > 5 && name.front() == '.' && name.ends_with(".tmp")) {
            files::remove_quietly(folder_ + "/" + name);  // a commit a crash interrupted
            continue;
        }
        const auto parsed = parse_name(name);
        if (!parsed) {
            continue;
        }
        const auto& [version, extension] = *parsed;
        highest_ = std::max(highest_, version);
        const bool whole = extension == whole_extension;
        if (!whole && extension != change_extension) {
            unusable_[version].push_back(name);
            continue;
        }
        const std::string path = folder_ + "/" + name;
        const auto start = files::read_start(path, max_header_bytes);
        auto header = start ? decode_header(*start, version) : std::nullopt;
        if (header && whole != (header->first.base == 0)) {
            header.reset();
        }
        if (!header) {
            spdlog::warn("msg=\"config store: ignoring a damaged version file\" path={}",
                         log_value(path));
            unusable_[version].push_back(name);
            continue;
        }
        Entry& entry = versions_[version];
        entry.info = std::move(header->first.info);
        (whole ? entry.whole : entry.change) = true;
        if (!whole) {
            entry.base = header->first.base;
        }
    }
}

std::optional<std::string> ConfigStore::read_body(std::uint64_t version,
                                                  const char* extension) const {
    auto text = files::read_file(folder_ + "/" + file_name(version, extension));
    auto header = text ? decode_header(*text, version) : std::nullopt;
    if (!header) {
        return std::nullopt;
    }
    const auto& [fields, start] = *header;
    if (text->size() - start != fields.body_bytes ||
        files::checksum(text->data() + start, text->size() - start) != fields.body_fnv1a) {
        return std::nullopt;
    }
    text->erase(0, start);
    return text;
}

std::optional<StoredVersion> ConfigStore::load(std::uint64_t version) const {
    auto found = versions_.find(version);
    if (found == versions_.end()) {
        return std::nullopt;
    }
    StoredVersion stored{found->second.info, {}, {}};
    // Back along the bases to the nearest whole config (a base is always an
    // older version, so this ends).
    for (auto at = found; at != versions_.end(); at = versions_.find(at->second.base)) {
        if (at->second.whole) {
            if (auto config = read_body(at->first, whole_extension)) {
                stored.config = std::move(*config);
                std::reverse(stored.changes.begin(), stored.changes.end());
                return stored;
            }
        }
        auto change = at->second.change ? read_body(at->first, change_extension) : std::nullopt;
        if (!change) {
            return std::nullopt;
        }
        stored.changes.push_back(std::move(*change));
    }
    return std::nullopt;
}

std::optional<StoredVersion> ConfigStore::latest() const {
    for (auto it = versions_.rbegin(); it != versions_.rend(); ++it) {
        if (auto stored = load(it->first)) {
            return stored;
        }
        spdlog::warn("msg=\"config store: skipping damaged version\" version={} folder={}",
                     it->first, log_value(folder_));
    }
    return std::nullopt;
}

VersionInfo ConfigStore::commit(const std::string& config, const std::string& source,
                                const std::string& summary) {
    return write_version(0, config, source, summary);
}

VersionInfo ConfigStore::commit_change(std::uint64_t base, const std::string& change,
                                       const std::string& source, const std::string& summary) {
    if (base == 0 || !versions_.contains(base)) {
        files::throw_errno(EINVAL,
                           "store a change to version " + std::to_string(base) +
                               ", which is not stored, in",
                           folder_);
    }
    return write_version(base, change, source, summary);
}

VersionInfo ConfigStore::write_version(std::uint64_t base, const std::string& body,
                                       const std::string& source, const std::string& summary) {
    Header header;
    header.info = VersionInfo{highest_ + 1, now_ms(), one_line(source), one_line(summary)};
    header.base = base;
    header.body_bytes = body.size();
    header.body_fnv1a = files::checksum(body.data(), body.size());
    const bool whole = base == 0;
    files::write_durably(folder_,
                         file_name(header.info.version, whole ? whole_extension : change_extension),
                         encode_header(header) + body);
    highest_ = header.info.version;
    Entry& entry = versions_[header.info.version];
    entry.info = header.info;
    entry.whole = whole;
    entry.change = !whole;
    entry.base = base;
    prune();
    return header.info;
}

bool ConfigStore::wants_checkpoint(std::uint64_t version) const {
    std::size_t changes = 0;
    for (auto at = versions_.find(version); at != versions_.end() && !at->second.whole;
         at = versions_.find(at->second.base)) {
        ++changes;
    }
    return changes >= changes_per_checkpoint;
}

void ConfigStore::write_checkpoint(const VersionInfo& info, const std::string& config) const {
    Header header{info, 0, config.size(), files::checksum(config.data(), config.size())};
    files::write_durably(folder_, file_name(info.version, whole_extension),
                         encode_header(header) + config);
}

void ConfigStore::add_checkpoint(std::uint64_t version) {
    auto found = versions_.find(version);
    if (found == versions_.end()) {
        // Pruned while the checkpoint was being written.
        files::remove_quietly(folder_ + "/" + file_name(version, whole_extension));
        return;
    }
    found->second.whole = true;
    prune();
}

// Keeps the newest kept_versions versions and every version they are built
// on; removes the rest, and unusable files older than all of that. Never
// throws: a file left behind costs disk space, not correctness.
void ConfigStore::prune() {
    std::set<std::uint64_t> needed;
    for (auto it = versions_.rbegin(); it != versions_.rend() && needed.size() < kept_versions;
         ++it) {
        needed.insert(it->first);
    }
    for (auto version : std::vector<std::uint64_t>(needed.begin(), needed.end())) {
        for (auto at = versions_.find(version); at != versions_.end() && !at->second.whole;
             at = versions_.find(at->second.base)) {
            needed.insert(at->second.base);
        }
    }
    const std::uint64_t oldest = needed.empty() ? highest_ + 1 : *needed.begin();
    for (auto it = versions_.begin(); it != versions_.end() && it->first < oldest;) {
        if (needed.contains(it->first)) {
            ++it;
            continue;
        }
        files::remove_quietly(folder_ + "/" + file_name(it->first, whole_extension));
        files::remove_quietly(folder_ + "/" + file_name(it->first, change_extension));
        it = versions_.erase(it);
    }
    for (auto it = unusable_.begin(); it != unusable_.end() && it->first < oldest;) {
        for (const auto& name : it->second) {
            files::remove_quietly(folder_ + "/" + name);
        }
        it = unusable_.erase(it);
    }
}

std::vector<VersionInfo> ConfigStore::history(std::size_t limit) const {
    std::vector<VersionInfo> result;
    for (auto it = versions_.rbegin(); it != versions_.rend() && result.size() < limit; ++it) {
        result.push_back(it->second.info);
    }
    return result;
}

void ConfigStore::save_record(const std::string& kind, const std::string& name,
                              const std::string& content) {
    const std::string folder = state_dir_ + "/" + kind;
    files::make_folders(folder);
    files::write_durably(folder, name, content);
}

std::vector<std::pair<std::string, std::string>> ConfigStore::load_records(
    const std::string& kind) const {
    std::vector<std::pair<std::string, std::string>> records;
    const std::string folder = state_dir_ + "/" + kind;
    std::vector<std::string> names;
    try {
        names = files::list_files(folder);
    } catch (const std::system_error& error) {
        spdlog::warn("msg=\"config store: cannot list records\" error={}", log_value(error.what()));
        return records;
    }
    for (const auto& name : names) {
        if (name.front() == '.') {
            continue;  // temp files
        }
        if (auto content = files::read_file(folder + "/" + name)) {
            records.emplace_back(name, std::move(*content));
        }
    }
    std::sort(records.begin(), records.end());
    return records;
}

}  // namespace turnout::master

#include "master/config_store.hpp"

// Layout inside state_dir (the rest of state_dir is free for other state):
//
//   versions/00000042.config the config, exactly as committed (JSON, see
//                            master/stored_config.hpp)
//   versions/00000042.json   its metadata: version, time_ms, source, summary,
//                            content_bytes, content_fnv1a (hex)
//
// The .config is made durable first, the .json last: a version exists once its
// .json is renamed in and the folder fsynced. A .config without a .json is the
// leftover of a commit that never finished and is ignored (and removed by the
// next prune). Temporary files are ".NAME.tmp" and never parsed. One process
// (the master) writes a state_dir; readers tolerate anything else in it.

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <map>
#include <system_error>

namespace turnout::master {

namespace {

constexpr const char* versions_folder = "versions";

[[noreturn]] void throw_errno(int error, const std::string& step, const std::string& path) {
    throw std::system_error(error, std::generic_category(), "config store: " + step + " " + path);
}

// Closes a descriptor it owns; the one place that knows close() may be
// interrupted.
class Fd {
public:
    explicit Fd(int fd) : fd_{fd} {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    int get() const { return fd_; }
    // Closes now and returns close()'s errno (0 on success): NFS and some
    // filesystems report deferred write errors only here.
    int close_now() {
        int result = ::close(fd_);
        fd_ = -1;
        return result == 0 ? 0 : errno;
    }

private:
    int fd_;
};

void fsync_folder(const std::string& folder) {
    Fd fd{::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (fd.get() < 0) {
        throw_errno(errno, "open folder", folder);
    }
    if (::fsync(fd.get()) != 0) {
        throw_errno(errno, "fsync folder", folder);
    }
}

bool is_directory(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// mkdir -p, fsyncing the parent of every folder it creates so the new entry
// survives a crash.
void make_folders(const std::string& path) {
    if (path.empty()) {
        throw_errno(EINVAL, "create folder", "(empty state_dir)");
    }
    std::size_t pos = 0;
    while (pos != std::string::npos) {
        pos = path.find('/', pos + 1);
        std::string prefix = path.substr(0, pos);
        if (prefix.empty() || prefix == "." || prefix == "..") {
            continue;
        }
        const std::string where = prefix == path ? path : path + " (at " + prefix + ")";
        if (::mkdir(prefix.c_str(), 0700) == 0) {
            auto slash = prefix.find_last_of('/');
            fsync_folder(slash == std::string::npos ? "."
                         : slash == 0               ? "/"
                                                    : prefix.substr(0, slash));
        } else if (errno != EEXIST) {
            throw_errno(errno, "create folder", where);
        } else if (!is_directory(prefix)) {
            throw_errno(ENOTDIR, "create folder", where);
        }
    }
}

void write_all(int fd, const std::string& data, const std::string& path) {
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw_errno(errno, "write", path);
        }
        done += static_cast<std::size_t>(n);
    }
}

// Writes `data` to folder/name durably: temp file, fsync, rename, fsync the
// folder. On failure nothing it wrote is left behind and it throws.
void write_file_durably(const std::string& folder, const std::string& name,
                        const std::string& data) {
    const std::string temp = folder + "/." + name + ".tmp";
    const std::string target = folder + "/" + name;
    Fd fd{::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)};
    if (fd.get() < 0) {
        throw_errno(errno, "create", temp);
    }
    try {
        write_all(fd.get(), data, temp);
        if (::fsync(fd.get()) != 0) {
            throw_errno(errno, "fsync", temp);
        }
        if (int error = fd.close_now(); error != 0) {
            throw_errno(error, "close", temp);
        }
        if (::rename(temp.c_str(), target.c_str()) != 0) {
            throw_errno(errno, "rename to " + target + " from", temp);
        }
    } catch (...) {
        ::unlink(temp.c_str());
        throw;
    }
    try {
        fsync_folder(folder);
    } catch (...) {
        ::unlink(target.c_str());
        throw;
    }
}

std::optional<std::string> read_file(const std::string& path) {
    Fd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
    if (fd.get() < 0) {
        return std::nullopt;
    }
    std::string data;
    char chunk[64 * 1024];
    for (;;) {
        ssize_t n = ::read(fd.get(), chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return std::nullopt;
        }
        if (n == 0) {
            return data;
        }
        data.append(chunk, static_cast<std::size_t>(n));
    }
}

std::string file_name(std::uint64_t version, const char* extension) {
    char name[40];
    std::snprintf(name, sizeof name, "%08llu.%s", static_cast<unsigned long long>(version),
                  extension);
    return name;
}

std::uint64_t fnv1a(const std::string& data) {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    for (unsigned char c : data) {
        hash = (hash ^ c) * 0x100000001b3ULL;
    }
    return hash;
}

std::string to_hex(std::uint64_t value) {
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
    return text;
}

struct FilesOnDisk {
    bool config = false;
    bool json = false;
};

struct Listing {
    std::map<std::uint64_t, FilesOnDisk> versions;  // ascending
    std::vector<std::string> temp_files;
};

// "00000042.config" → 42 and "config"; anything else → nullopt.
std::optional<std::pair<std::uint64_t, std::string>> parse_name(const std::string& name) {
    auto dot = name.find('.');
    if (dot == 0 || dot == std::string::npos || dot > 19) {
        return std::nullopt;
    }
    std::string extension = name.substr(dot + 1);
    if (extension != "config" && extension != "json") {
        return std::nullopt;
    }
    std::uint64_t number = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + dot, number);
    if (ec != std::errc{} || end != name.data() + dot || number == 0) {
        return std::nullopt;
    }
    return std::pair{number, extension};
}

bool is_regular_file(int folder_fd, const dirent& entry) {
    if (entry.d_type != DT_UNKNOWN) {
        return entry.d_type == DT_REG;
    }
    struct stat st {};
    return ::fstatat(folder_fd, entry.d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

// Lists the folder; a missing folder is empty, an unreadable one throws.
Listing list_folder(const std::string& folder) {
    Listing listing;
    DIR* dir = ::opendir(folder.c_str());
    if (dir == nullptr) {
        if (errno == ENOENT) {
            return listing;
        }
        throw_errno(errno, "list", folder);
    }
    std::unique_ptr<DIR, int (*)(DIR*)> guard{dir, ::closedir};
    for (;;) {
        errno = 0;
        const dirent* entry = ::readdir(dir);
        if (entry == nullptr) {
            if (errno != 0) {
                throw_errno(errno, "list", folder);
            }
            break;
        }
        std::string name = entry->d_name;
        if (!is_regular_file(::dirfd(dir), *entry)) {
            continue;
        }
        if (name.size() > 5 && name.front() == '.' && name.ends_with(".tmp")) {
            listing.temp_files.push_back(name);
        } else if (auto parsed = parse_name(name)) {
            auto& files = listing.versions[parsed->first];
            (parsed->second == "config" ? files.config : files.json) = true;
        }
    }
    return listing;
}

struct Metadata {
    VersionInfo info;
    std::uint64_t content_bytes = 0;
    std::string content_fnv1a;
};

std::string encode_metadata(const Metadata& meta) {
    boost::json::object object;
    object["version"] = meta.info.version;
    object["time_ms"] = meta.info.time_ms;
    object["source"] = meta.info.source;
    object["summary"] = meta.info.summary;
    object["content_bytes"] = meta.content_bytes;
    object["content_fnv1a"] = meta.content_fnv1a;
    return boost::json::serialize(object) + "\n";
}

// Parses a .json metadata file; nullopt when it is not one for `version`.
std::optional<Metadata> decode_metadata(const std::string& text, std::uint64_t version) {
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(text, ec);
    if (ec || !value.is_object()) {
        return std::nullopt;
    }
    const auto& object = value.as_object();
    auto number = [&](const char* key) -> std::optional<std::int64_t> {
        const auto* field = object.if_contains(key);
        if (field == nullptr) {
            return std::nullopt;
        }
        if (field->is_int64()) {
            return field->as_int64();
        }
        if (field->is_uint64() && field->as_uint64() <= INT64_MAX) {
            return static_cast<std::int64_t>(field->as_uint64());
        }
        return std::nullopt;
    };
    auto text_field = [&](const char* key) -> std::optional<std::string> {
        const auto* field = object.if_contains(key);
        if (field == nullptr || !field->is_string()) {
            return std::nullopt;
        }
        return std::string(field->as_string());
    };
    auto stored_version = number("version");
    auto time_ms = number("time_ms");
    auto content_bytes = number("content_bytes");
    auto source = text_field("source");
    auto summary = text_field("summary");
    auto hash = text_field("content_fnv1a");
    if (!stored_version || !time_ms || !content_bytes || !source || !summary || !hash ||
        static_cast<std::uint64_t>(*stored_version) != version || *content_bytes < 0) {
        return std::nullopt;
    }
    Metadata meta;
    meta.info = VersionInfo{version, *time_ms, std::move(*source), std::move(*summary)};
    meta.content_bytes = static_cast<std::uint64_t>(*content_bytes);
    meta.content_fnv1a = std::move(*hash);
    return meta;
}

// The metadata of `version` when it and its .config's size are intact.
std::optional<Metadata> read_metadata(const std::string& folder, std::uint64_t version) {
    auto text = read_file(folder + "/" + file_name(version, "json"));
    if (!text) {
        return std::nullopt;
    }
    auto meta = decode_metadata(*text, version);
    if (!meta) {
        return std::nullopt;
    }
    struct stat st {};
    const std::string config_path = folder + "/" + file_name(version, "config");
    if (::stat(config_path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
        static_cast<std::uint64_t>(st.st_size) != meta->content_bytes) {
        return std::nullopt;
    }
    return meta;
}

std::optional<StoredVersion> read_version(const std::string& folder, std::uint64_t version) {
    auto meta = read_metadata(folder, version);
    if (!meta) {
        return std::nullopt;
    }
    auto content = read_file(folder + "/" + file_name(version, "config"));
    if (!content || content->size() != meta->content_bytes || to_hex(fnv1a(*content)) != meta->content_fnv1a) {
        return std::nullopt;
    }
    return StoredVersion{std::move(meta->info), std::move(*content)};
}

void remove_quietly(const std::string& path) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        spdlog::warn("msg=\"config store: cannot remove old file\" path={} error=\"{}\"", path,
                     std::generic_category().message(errno));
    }
}

// Keeps the newest kept_versions committed versions; removes older ones,
// unfinished .config files and temp files. Never throws: a file left behind
// costs disk space, not correctness.
void prune(const std::string& folder, std::size_t keep) {
    Listing listing;
    try {
        listing = list_folder(folder);
    } catch (const std::system_error& error) {
        spdlog::warn("msg=\"config store: prune skipped\" error=\"{}\"", error.what());
        return;
    }
    std::size_t committed_seen = 0;
    for (auto it = listing.versions.rbegin(); it != listing.versions.rend(); ++it) {
        const auto& [version, files] = *it;
        if (files.json && committed_seen < keep) {
            ++committed_seen;
            continue;
        }
        if (files.json) {
            remove_quietly(folder + "/" + file_name(version, "json"));
        }
        if (files.config) {
            remove_quietly(folder + "/" + file_name(version, "config"));
        }
    }
    for (const auto& name : listing.temp_files) {
        remove_quietly(folder + "/" + name);
    }
}

std::string one_line(std::string text) {
    std::replace_if(
        text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    return text;
}

}  // namespace

ConfigStore::ConfigStore(std::string state_dir) : state_dir_{std::move(state_dir)} {
    while (state_dir_.size() > 1 && state_dir_.back() == '/') {
        state_dir_.pop_back();
    }
    make_folders(state_dir_);
    make_folders(state_dir_ + "/" + versions_folder);
}

std::optional<StoredVersion> ConfigStore::latest() const {
    const std::string folder = state_dir_ + "/" + versions_folder;
    Listing listing = list_folder(folder);
    for (auto it = listing.versions.rbegin(); it != listing.versions.rend(); ++it) {
        if (!it->second.json) {
            continue;
        }
        if (auto stored = read_version(folder, it->first)) {
            return stored;
        }
        spdlog::warn("msg=\"config store: skipping damaged version\" version={} folder={}",
                     it->first, folder);
    }
    return std::nullopt;
}

std::optional<StoredVersion> ConfigStore::load(std::uint64_t version) const {
    return read_version(state_dir_ + "/" + versions_folder, version);
}

VersionInfo ConfigStore::commit(const std::string& content, const std::string& source,
                                const std::string& summary) {
    const std::string folder = state_dir_ + "/" + versions_folder;
    // The next number is above every numbered file, damaged or unfinished
    // ones included, so no number that was ever on disk is reused.
    Listing listing = list_folder(folder);
    const std::uint64_t version =
        listing.versions.empty() ? 1 : listing.versions.rbegin()->first + 1;

    Metadata meta;
    meta.info.version = version;
    meta.info.time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    meta.info.source = one_line(source);
    meta.info.summary = one_line(summary);
    meta.content_bytes = content.size();
    meta.content_fnv1a = to_hex(fnv1a(content));

    const std::string config_name = file_name(version, "config");
    write_file_durably(folder, config_name, content);
    try {
        write_file_durably(folder, file_name(version, "json"), encode_metadata(meta));
    } catch (...) {
        ::unlink((folder + "/" + config_name).c_str());
        throw;
    }
    prune(folder, kept_versions);
    return meta.info;
}

std::vector<VersionInfo> ConfigStore::history(std::size_t limit) const {
    const std::string folder = state_dir_ + "/" + versions_folder;
    Listing listing = list_folder(folder);
    std::vector<VersionInfo> result;
    for (auto it = listing.versions.rbegin();
         it != listing.versions.rend() && result.size() < limit; ++it) {
        if (!it->second.json) {
            continue;
        }
        if (auto meta = read_metadata(folder, it->first)) {
            result.push_back(std::move(meta->info));
        }
    }
    return result;
}

}  // namespace turnout::master

namespace turnout::master {

void ConfigStore::save_record(const std::string& kind, const std::string& name,
                              const std::string& content) {
    const std::string folder = state_dir_ + "/" + kind;
    make_folders(folder);
    write_file_durably(folder, name, content);
}

std::vector<std::pair<std::string, std::string>> ConfigStore::load_records(const std::string& kind) const {
    std::vector<std::pair<std::string, std::string>> records;
    const std::string folder = state_dir_ + "/" + kind;
    DIR* dir = ::opendir(folder.c_str());
    if (dir == nullptr) {
        return records;
    }
    while (const dirent* entry = ::readdir(dir)) {
        const std::string name = entry->d_name;
        if (name.empty() || name.front() == '.') {
            continue;  // ".", "..", and temp files
        }
        if (auto content = read_file(folder + "/" + name)) {
            records.emplace_back(name, std::move(*content));
        }
    }
    ::closedir(dir);
    std::sort(records.begin(), records.end());
    return records;
}

}  // namespace turnout::master

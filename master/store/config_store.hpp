#pragma once

// The durable history of config versions in state_dir (SPEC §4, §6). A
// whole config is stored whole; a change to one route, upstream or split is
// stored as that change alone plus the version it applies to (its base), so
// its cost does not grow with the config. Now and then a checkpoint (the
// whole config of a version stored as a change) is written beside it, off
// the change path, so that loading a version replays a short chain. Every
// file is written to a temporary name, fsynced, renamed into place and the
// folder fsynced: a crash leaves the old state or the new, never half. The
// layout is in docs/operations.md ("state_dir").

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace turnout::master {

struct VersionInfo {
    std::uint64_t version = 0;
    std::int64_t time_ms = 0;  // Unix time in milliseconds
    std::string source;        // "file", "api", "rollout", "rollback"
    std::string summary;       // one line, e.g. "PUT route api"
};

// What makes up one version: a whole config, and the changes (oldest first)
// that turn it into this version; none when the version is stored whole.
struct StoredVersion {
    VersionInfo info;
    std::string config;
    std::vector<std::string> changes;
};

class ConfigStore {
public:
    // How many versions are kept; older ones are pruned after each commit,
    // except those a kept version is built on.
    static constexpr std::size_t kept_versions = 100;
    // A chain of this many changes since the last whole config asks for a
    // checkpoint (wants_checkpoint).
    static constexpr std::size_t changes_per_checkpoint = 32;

    // Creates state_dir (and parents) if missing, reads what versions are
    // there and removes temp files left by a crash. Throws std::system_error
    // naming the path when it cannot.
    explicit ConfigStore(std::string state_dir);

    // The newest version that loads whole (what `run` resumes); damaged
    // versions, and changes built on one, are skipped.
    std::optional<StoredVersion> latest() const;
    std::optional<StoredVersion> load(std::uint64_t version) const;

    // Persists a whole config as a new version and returns its info. Throws
    // std::system_error (naming the file and the failing step) when any
    // write, fsync or rename fails; the store is then as it was before.
    VersionInfo commit(const std::string& config, const std::string& source,
                       const std::string& summary);
    // Persists `change`, which applied to version `base` gives the new
    // version; as commit otherwise. `base` must be a stored version.
    VersionInfo commit_change(std::uint64_t base, const std::string& change,
                              const std::string& source, const std::string& summary);

    // Whether `version` sits at the end of a chain of changes long enough to
    // deserve a checkpoint.
    bool wants_checkpoint(std::uint64_t version) const;
    // Writes `config`, the whole config of version info.version, as its
    // checkpoint. Safe to call from another thread while this one commits
    // (it only writes a file of its own); throws as commit does. Then, on the
    // committing thread, add_checkpoint makes the store use it.
    void write_checkpoint(const VersionInfo& info, const std::string& config) const;
    void add_checkpoint(std::uint64_t version);

    // Newest first, at most `limit`.
    std::vector<VersionInfo> history(std::size_t limit) const;

    // Small named records beside the versions (rollout state), written as
    // durably: state_dir/KIND/NAME. load_records skips temp files.
    void save_record(const std::string& kind, const std::string& name, const std::string& content);
    std::vector<std::pair<std::string, std::string>> load_records(const std::string& kind) const;

    const std::string& state_dir() const { return state_dir_; }

private:
    // What the folder holds for one version, from the files' headers.
    struct Entry {
        VersionInfo info;
        bool whole = false;      // NNNNNNNN.config is there
        bool change = false;     // NNNNNNNN.change is there
        std::uint64_t base = 0;  // the version the change applies to
    };

    void read_folder();
    VersionInfo write_version(std::uint64_t base, const std::string& body,
                              const std::string& source, const std::string& summary);
    std::optional<std::string> read_body(std::uint64_t version, const char* extension) const;
    void prune();

    std::string state_dir_;
    std::string folder_;  // state_dir/versions
    std::map<std::uint64_t, Entry> versions_;
    // Numbered files the index could not use (damaged or of an older
    // layout): never parsed again, removed once older than what is kept.
    std::map<std::uint64_t, std::vector<std::string>> unusable_;
    // The highest number any file ever had, so no number is reused.
    std::uint64_t highest_ = 0;
};

}  // namespace turnout::master

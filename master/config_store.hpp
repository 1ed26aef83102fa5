#pragma once

// The durable history of config versions in state_dir (SPEC §4, §6). Every
// change, whole or partial, is one version: its YAML and its metadata, each
// written to a temporary file, fsynced, renamed into place, and the folder
// fsynced, so a crash leaves either the old state or the new, never half.

#include <chrono>
#include <cstdint>
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

struct StoredVersion {
    VersionInfo info;
    std::string content;
};

class ConfigStore {
public:
    // How many versions are kept; older ones are pruned after each commit.
    static constexpr std::size_t kept_versions = 100;

    // Creates state_dir (and parents) if missing. Throws std::system_error
    // naming the path when it cannot.
    explicit ConfigStore(std::string state_dir);

    // The newest version on disk, if any (what `run` resumes).
    std::optional<StoredVersion> latest() const;
    std::optional<StoredVersion> load(std::uint64_t version) const;

    // Persists `content` as version latest+1 and returns its info. Throws
    // std::system_error (naming the file and the failing step) when any
    // write, fsync or rename fails; the store is then as it was before.
    VersionInfo commit(const std::string& content, const std::string& source,
                       const std::string& summary);

    // Newest first, at most `limit`.
    std::vector<VersionInfo> history(std::size_t limit) const;

    // Small named records beside the versions (rollout state), written as
    // durably: state_dir/KIND/NAME. load_records skips temp files.
    void save_record(const std::string& kind, const std::string& name, const std::string& content);
    std::vector<std::pair<std::string, std::string>> load_records(const std::string& kind) const;

    const std::string& state_dir() const { return state_dir_; }

private:
    std::string state_dir_;
};

}  // namespace turnout::master

#pragma once

// The file operations ConfigStore is made of: durable writes (temp file,
// fsync, rename, folder fsync), whole and partial reads, folder listing.
// Every failure throws std::system_error naming the path and the step, or
// (for reads) returns nullopt. Internal to master/config_store*.cpp.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace turnout::master::store_files {

[[noreturn]] void throw_errno(int error, const std::string& step, const std::string& path);

// mkdir -p, fsyncing the parent of every folder it creates.
void make_folders(const std::string& path);

// Writes `data` to folder/name durably: ".name.tmp", fsync, rename, fsync
// the folder. On failure nothing it wrote is left behind and it throws.
// Callers writing at the same time use different names.
void write_durably(const std::string& folder, const std::string& name, const std::string& data);

// The whole file, or at most `limit` bytes of its start; nullopt when it
// cannot be opened or read.
std::optional<std::string> read_file(const std::string& path);
std::optional<std::string> read_start(const std::string& path, std::size_t limit);

// The regular files in `folder` (not links, not folders); empty when the
// folder is missing; throws when it cannot be listed.
std::vector<std::string> list_files(const std::string& folder);

void remove_quietly(const std::string& path);

// FNV-1a, 64 bits, as 16 hex digits: catches damage, not tampering.
std::string checksum(const char* data, std::size_t size);

}  // namespace turnout::master::store_files

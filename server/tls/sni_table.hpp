#pragma once

// Which of a listener's certificates a TLS client gets for the server name it
// sent (SNI): a certificate whose names include that name exactly, else one
// with a wildcard `*.example.com` (covering exactly one more label, as
// RFC 6125 says), else the first certificate, which is also what a client
// sending no name gets. Names compare case-insensitively.

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

namespace turnout::server {

class SniTable {
public:
    // Adds one of certificate `index`'s names (a DNS name or `*.suffix`).
    // When two certificates carry a name, the one added first keeps it.
    // Names that can never match (empty, a `*` that is not a whole first
    // label) are ignored.
    void add(std::size_t index, std::string_view name);

    // The certificate for `server_name`; 0 when none names it.
    std::size_t pick(std::string_view server_name) const;

private:
    std::unordered_map<std::string, std::size_t> exact_;
    std::unordered_map<std::string, std::size_t> wildcard_;  // by the suffix after "*."
};

}  // namespace turnout::server

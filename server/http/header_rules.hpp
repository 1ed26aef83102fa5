#pragma once

// Header rewriting of SPEC §5 and the per-route `request_headers` /
// `response_headers` rules of SPEC §3.

#include "config/config.hpp"
#include "server/http/head_fields.hpp"

#include <string_view>

namespace turnout::server {

// Removes the hop-by-hop headers: Connection and every header it names,
// Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade.
void remove_hop_by_hop(HeadFields& fields);

// Applies `remove` first, then `set` (replacing any existing value).
void apply_header_rules(HeadFields& fields, const config::HeaderRules& rules);

// Appends the client address to X-Forwarded-For (", "-separated), sets
// X-Forwarded-Proto and X-Forwarded-Host (from the Host header, if any), and
// appends "1.1 turnout" to Via.
void add_forwarded_headers(HeadFields& fields, std::string_view client_ip, std::string_view proto);

}  // namespace turnout::server

#pragma once

// The files a config's TLS settings name, read and checked when a config is
// applied (SPEC §5): listener certificates and keys — read whole, checked
// to load and match, and sent on to the workers as they are — and upstream
// CA files, checked to load (each worker reads its own copy). A file that
// does not load fails the apply with its path, and nothing changes.

#include "config/config.hpp"
#include "config/loader.hpp"
#include "server/tls/tls_material.hpp"

#include <string>
#include <variant>

namespace turnout::master {

// Every TLS listener's certificates and keys, with `ticket_keys` for the
// workers to share; or one error per file that does not load. `file` names
// the config in the errors.
std::variant<server::TlsMaterial, config::ConfigErrors> read_listener_tls(
    const config::Config& config, const std::string& ticket_keys, const std::string& file);

// Errors for an upstream whose `tls.ca` does not load; none when it loads
// or the upstream has no CA file.
config::ConfigErrors check_upstream_ca(const config::Upstream& upstream, const std::string& file);

// Everything above, for `turnout validate` and POST /v1/config/validate.
config::ConfigErrors check_tls_files(const config::Config& config, const std::string& file);

// Fresh random session ticket keys (TlsServerContext::ticket_keys_size bytes).
std::string make_ticket_keys();

}  // namespace turnout::master

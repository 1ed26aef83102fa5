#pragma once

// Internal to the loader: a route's `match:` and its header rules
// (`request_headers:`, `response_headers:`).

#include "config/config.hpp"
#include "config/yaml_reader.hpp"

namespace turnout::config::detail {

// host (lower-cased; exact or "*.suffix"), path_prefix or path, methods
// (upper-cased tokens), headers (name: value, all must equal).
RouteMatch read_route_match(Context& context, const Cursor& at);

// { set: { NAME: VALUE, ... }, remove: [NAME, ...] }
HeaderRules read_header_rules(Context& context, const Cursor& at);

}  // namespace turnout::config::detail

#pragma once

// Reads a sticky or hash key (`header:NAME`, `cookie:NAME`, `client_ip`)
// from a request.

#include "config/config.hpp"
#include "server/http/head_fields.hpp"

#include <string_view>

namespace turnout::server {

// The key's value, or an empty view when the request carries none (such a
// request is not sticky). The view points into `fields` or `client_ip`.
std::string_view request_key(const config::KeySource& source, const HeadFields& fields,
                             std::string_view client_ip);

// The value of cookie `name` in one Cookie header value, or empty.
std::string_view find_cookie(std::string_view cookie_header, std::string_view name);

}  // namespace turnout::server

#pragma once

// Responses turnout makes itself (SPEC §5): a status, a short plain-text
// body, and `turnout-error: <reason>` so clients and logs can tell a proxy
// error from an upstream's.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <string_view>

namespace turnout::server {

using ErrorResponse = boost::beast::http::response<boost::beast::http::string_body>;

// `reason` is a short token such as "no_route" or "upstream_timeout".
// `version` is the client's HTTP version (10 or 11).
ErrorResponse make_error_response(boost::beast::http::status status, std::string_view reason,
                                  unsigned version, bool keep_alive);

}  // namespace turnout::server

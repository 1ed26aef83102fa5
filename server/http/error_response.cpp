#include "server/http/error_response.hpp"

#include <boost/beast/http/field.hpp>

#include <string>

namespace turnout::server {

namespace http = boost::beast::http;

ErrorResponse make_error_response(http::status status, std::string_view reason, unsigned version,
                                  bool keep_alive) {
    ErrorResponse response{status, version};
    response.set(http::field::server, "turnout");
    response.set(http::field::content_type, "text/plain; charset=utf-8");
    response.set("turnout-error", reason);
    std::string body{http::obsolete_reason(status)};
    body += " (";
    body += reason;
    body += ")\n";
    response.body() = std::move(body);
    response.keep_alive(keep_alive);
    response.prepare_payload();
    return response;
}

}  // namespace turnout::server

#pragma once

// The admin API's endpoints (SPEC §4) as one table of {method, path, help,
// mutates, handler}, in the manner of Envoy's admin handlers and HAProxy's
// CLI keywords: dispatch, 404/405 and `GET /v1/help` all read the same
// table. This layer turns HTTP requests into ControlPlane calls and their
// answers into HTTP responses; it knows nothing of sockets (see
// admin_server.cpp), so tests can drive it directly.

#include "master/control_plane.hpp"

#include <boost/beast/http/verb.hpp>
#include <boost/json/value.hpp>

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace turnout::master {

struct AdminRequest {
    boost::beast::http::verb method = boost::beast::http::verb::get;
    std::string path;      // without the query
    std::string query;     // after '?', undecoded; empty if none
    std::string if_match;  // the If-Match header; empty if none
    std::string body;
    std::vector<std::string> params;  // the {…} segments of the matched path, decoded
    uid_t peer_uid = 0;               // who asked (SO_PEERCRED), for the log
};

struct AdminResponse {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type
    // Runs (posted) once the response has been written, or failed to be:
    // POST /v1/stop answers before the master goes away.
    std::function<void()> after_write;
};

// Handlers answer exactly once, now or later (after every worker's ack).
using AdminReply = std::function<void(AdminResponse)>;

struct Endpoint {
    boost::beast::http::verb method;
    std::string_view path;  // segments; "{name}" matches any one segment
    std::string_view help;
    bool mutates;  // changes state: logged with the peer's uid
    void (*handler)(ControlPlane& control, const AdminRequest& request, AdminReply reply);
};

// Every endpoint, in the order `GET /v1/help` lists them.
std::span<const Endpoint> admin_endpoints();

// Runs the endpoint that `request` names, or answers 404 (no such path) or
// 405 with Allow (path known, method not). A handler that throws answers
// 500. Requests to endpoints that mutate are logged with the peer's uid and
// the answer's status. Returns the endpoint that ran, or nullptr.
const Endpoint* dispatch_admin_request(ControlPlane& control, AdminRequest request,
                                       AdminReply reply);

// The decoded {…} segments when `path` matches `pattern`, else nullopt.
std::optional<std::vector<std::string>> match_path(std::string_view pattern, std::string_view path);

// If-Match as a version: `"7"`, `7` and `W/"7"` give 7; empty or `*` give
// nullopt (no precondition). Anything else: the error message.
std::variant<std::optional<std::uint64_t>, std::string> parse_if_match(std::string_view header);

// A split body {"app-v1": 90, "app-v2": 10} in the object's order, or the
// error message (not JSON, not an object, a weight that is not an integer).
std::variant<std::vector<std::pair<std::string, std::int64_t>>, std::string> parse_split(
    std::string_view body);

// SO_PEERCRED policy: our own uid, or one listed in admin.allow_uids.
bool peer_allowed(uid_t peer, uid_t own, const std::vector<unsigned>& allow_uids);

AdminResponse json_response(unsigned status, const boost::json::value& body);
AdminResponse error_response(unsigned status, const std::string& message);

}  // namespace turnout::master

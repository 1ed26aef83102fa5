#include "master/admin/admin_api.hpp"

#include "server/logfmt.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <exception>

namespace turnout::master {

namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

// ---- request parsing -------------------------------------------------------

std::string percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        unsigned value = 0;
        if (text[i] == '%' && i + 2 < text.size() &&
            std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16).ptr ==
                text.data() + i + 3) {
            out.push_back(static_cast<char>(value));
            i += 2;
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

// "/v1/routes/api" → {"v1", "routes", "api"}; empty segments are kept, so
// "/v1/routes//split" and "/v1/status/" match nothing.
std::vector<std::string_view> split_segments(std::string_view path) {
    std::vector<std::string_view> segments;
    if (path.starts_with('/')) {
        path.remove_prefix(1);
    }
    while (true) {
        const auto end = path.find('/');
        segments.push_back(path.substr(0, end));
        if (end == std::string_view::npos) {
            return segments;
        }
        path.remove_prefix(end + 1);
    }
}

// The value of `name` in a query string ("now=1&x=y"); "" for a bare `now`.
std::optional<std::string> query_param(std::string_view query, std::string_view name) {
    while (!query.empty()) {
        const auto end = std::min(query.find('&'), query.size());
        const auto pair = query.substr(0, end);
        query.remove_prefix(std::min(end + 1, query.size()));
        const auto eq = pair.find('=');
        if (pair.substr(0, eq) == name) {
            return eq == std::string_view::npos ? std::string{}
                                                : percent_decode(pair.substr(eq + 1));
        }
    }
    return std::nullopt;
}

bool query_flag(const AdminRequest& request, std::string_view name) {
    const auto value = query_param(request.query, name);
    return value && *value != "0" && *value != "false" && *value != "no";
}

// Parses a JSON body, or answers 400 naming what is wrong with it.
std::optional<json::value> json_body(const AdminRequest& request, AdminReply& reply) {
    boost::system::error_code ec;
    auto value = json::parse(request.body, ec);
    if (ec) {
        reply(error_response(400, "the request body is not valid JSON (" + ec.message() +
                                      "); send a JSON object"));
        return std::nullopt;
    }
    return value;
}

bool require_body(const AdminRequest& request, AdminReply& reply, std::string_view what) {
    if (request.body.empty()) {
        reply(error_response(400, "empty request body; send " + std::string{what}));
        return false;
    }
    return true;
}

AdminCallback answer_with(AdminReply reply) {
    return [reply = std::move(reply)](AdminResult result) {
        reply(json_response(result.status, result.body));
    };
}

// ---- handlers, one per endpoint --------------------------------------------

void get_help(ControlPlane&, const AdminRequest&, AdminReply reply) {
    json::array endpoints;
    for (const auto& endpoint : admin_endpoints()) {
        endpoints.push_back(json::object{{"method", std::string{http::to_string(endpoint.method)}},
                                         {"path", endpoint.path},
                                         {"help", endpoint.help},
                                         {"mutates", endpoint.mutates}});
    }
    reply(json_response(200, json::object{{"endpoints", std::move(endpoints)}}));
}

void get_status(ControlPlane& control, const AdminRequest&, AdminReply reply) {
    reply(json_response(200, control.status()));
}

void get_config(ControlPlane& control, const AdminRequest&, AdminReply reply) {
    auto [yaml, version] = control.live_config();
    AdminResponse response;
    response.content_type = "application/yaml";
    response.body = std::move(yaml);
    response.headers.emplace_back("ETag", "\"" + std::to_string(version) + "\"");
    reply(std::move(response));
}

void put_config(ControlPlane& control, const AdminRequest& request, AdminReply reply) {
    auto if_match = parse_if_match(request.if_match);
    if (auto* message = std::get_if<std::string>(&if_match)) {
        reply(error_response(400, *message));
        return;
    }
    if (!require_body(request, reply, "the whole config as YAML")) {
        return;
    }
    control.apply_config(request.body, "api", std::get<0>(if_match), answer_with(std::move(reply)));
}

void reload_config(ControlPlane& control, const AdminRequest&, AdminReply reply) {
    control.apply_config("", "file", std::nullopt, answer_with(std::move(reply)));
}

void validate_config(ControlPlane& control, const AdminRequest& request, AdminReply reply) {
    if (require_body(request, reply, "the whole config as YAML")) {
        const auto result = control.validate_config(request.body);
        reply(json_response(result.status, result.body));
    }
}

void get_history(ControlPlane& control, const AdminRequest&, AdminReply reply) {
    const auto result = control.history();
    reply(json_response(result.status, result.body));
}

void rollback(ControlPlane& control, const AdminRequest& request, AdminReply reply) {
    const auto body = json_body(request, reply);
    if (!body) {
        return;
    }
    const auto* object = body->if_object();
    const auto* version = object ? object->if_contains("version") : nullptr;
    std::uint64_t number = 0;
    if (version && version->is_uint64()) {
        number = version->as_uint64();
    } else if (version && version->is_int64() && version->as_int64() > 0) {
        number = static_cast<std::uint64_t>(version->as_int64());
    }
    if (number == 0) {
        reply(error_response(400, "send {\"version\": N} with N a version number from "
                                  "GET /v1/config/history"));
        return;
    }
    control.rollback(number, answer_with(std::move(reply)));
}

void put_route(ControlPlane& control, const AdminRequest& request, AdminReply reply) {
    if (require_body(request, reply, "the route as YAML or JSON")) {
        control.put_route(request.params.at(0), request.body, answer_with(std::move(reply)));
    }
}

void delete_route(ControlPlane& control, const AdminRequest& request, AdminReply reply) {
    control.delete_route(request.params.at(0), answer_with(std::move(reply)));
}

void put_upstream(ControlPlane& control, const AdminRequest& request, AdminReply reply) {
    if (require_body(request, reply, "the upstream as YAML or JSON")) {
        control.put_upstream(request.params.at(0), request.body, answer_with(std::move(reply)));
    }
}

void delete_upstream(ControlPlane& control, const AdminRequest& request, AdminReply reply) {
    control.delete_upstream(request.params.at(0), answer_with(std::move(reply)));
}

void put_split(ControlPlane& control, const AdminRequest& request, AdminReply reply) {
    auto weights = parse_split(request.body);
    if (auto* message = std::get_if<std::string>(&weights)) {
        reply(error_response(400, *message));
        return;
    }
    control.put_split(request.params.at(0), std::get<0>(std::move(weights)),
                      answer_with(std::move(reply)));
}

void get_metrics(ControlPlane& control, const AdminRequest&, AdminReply reply) {
    AdminResponse response;
    response.content_type = "text/plain; version=0.0.4";
    response.body = control.metrics();
    reply(std::move(response));
}

void stop(ControlPlane& control, const AdminRequest& request, AdminReply reply) {
    const bool now = query_flag(request, "now");
    auto response = json_response(202, json::object{{"stopping", now ? "now" : "graceful"}});
    response.after_write = [&control, now] { control.stop(now); };
    reply(std::move(response));
}

// {"binary": PATH} optional; answered once the new master serves or failed.
void upgrade(ControlPlane& control, const AdminRequest& request, AdminReply reply) {
    std::string binary;
    if (!request.body.empty()) {
        auto body = json_body(request, reply);
        if (!body) {
            return;
        }
        const auto* object = body->if_object();
        const auto* path = object ? object->if_contains("binary") : nullptr;
        if (!object || (path && !path->is_string())) {
            reply(error_response(400, "the body must be {\"binary\": \"PATH\"} or empty"));
            return;
        }
        if (path) {
            binary = std::string{path->as_string()};
        }
    }
    control.upgrade(std::move(binary), answer_with(std::move(reply)));
}

void start_rollout(ControlPlane& control, const AdminRequest& request, AdminReply reply) {
    if (auto body = json_body(request, reply)) {
        control.start_rollout(*body, answer_with(std::move(reply)));
    }
}

void get_rollout(ControlPlane& control, const AdminRequest& request, AdminReply reply) {
    const auto result = control.rollout_status(request.params.at(0));
    reply(json_response(result.status, result.body));
}

// The action is the path's last segment: one handler for the four controls.
void act_on_rollout(ControlPlane& control, const AdminRequest& request, AdminReply reply) {
    const auto action = request.path.substr(request.path.rfind('/') + 1);
    control.rollout_action(request.params.at(0), action, answer_with(std::move(reply)));
}

using http::verb;

constexpr Endpoint endpoints[] = {
    {verb::get, "/v1/help", "this list", false, get_help},
    {verb::get, "/v1/status", "version, pid, uptime, workers, upstream health, rollouts", false,
     get_status},
    {verb::get, "/v1/config", "the live config as YAML; ETag: \"VERSION\"", false, get_config},
    {verb::put, "/v1/config",
     "apply a whole config (YAML body); If-Match: \"VERSION\" refuses with 412 if stale", true,
     put_config},
    {verb::post, "/v1/config/validate", "check a config (YAML body); changes nothing", false,
     validate_config},
    {verb::post, "/v1/config/reload", "re-read the file `run` was started with (as SIGHUP)", true,
     reload_config},
    {verb::get, "/v1/config/history", "the last versions: version, time, source, summary", false,
     get_history},
    {verb::post, "/v1/config/rollback", "{\"version\": N}: make that version live as a new one",
     true, rollback},
    {verb::put, "/v1/routes/{name}", "add or replace one route (YAML or JSON body)", true,
     put_route},
    {verb::delete_, "/v1/routes/{name}", "remove one route", true, delete_route},
    {verb::put, "/v1/routes/{name}/split", "set a route's split: {\"app-v1\": 90, \"app-v2\": 10}",
     true, put_split},
    {verb::put, "/v1/upstreams/{name}", "add or replace one upstream (YAML or JSON body)", true,
     put_upstream},
    {verb::delete_, "/v1/upstreams/{name}", "remove one upstream; 409 while a route uses it", true,
     delete_upstream},
    {verb::post, "/v1/rollouts", "start a rollout: {route, to, steps, interval, ...}", true,
     start_rollout},
    {verb::get, "/v1/rollouts/{route}", "a rollout's state and transitions", false, get_rollout},
    {verb::post, "/v1/rollouts/{route}/pause", "pause a rollout", true, act_on_rollout},
    {verb::post, "/v1/rollouts/{route}/resume", "resume a paused rollout", true, act_on_rollout},
    {verb::post, "/v1/rollouts/{route}/promote", "send everything to `to` now", true,
     act_on_rollout},
    {verb::post, "/v1/rollouts/{route}/abort", "send nothing to `to` now", true, act_on_rollout},
    {verb::get, "/v1/metrics", "Prometheus text format, summed over all workers", false,
     get_metrics},
    {verb::post, "/v1/upgrade",
     "start a new binary ({\"binary\": PATH}, default this one) on the same sockets; answers "
     "once it serves (this master then drains) or failed (409, this one serves on)",
     true, upgrade},
    {verb::post, "/v1/stop", "graceful stop; ?now=1 stops at once", true, stop},
};

AdminResponse method_not_allowed(const AdminRequest& request,
                                 const std::vector<const Endpoint*>& same_path) {
    std::string allow;
    for (const auto* endpoint : same_path) {
        allow += (allow.empty() ? "" : ", ") + std::string{http::to_string(endpoint->method)};
    }
    auto response =
        error_response(405, std::string{http::to_string(request.method)} + " is not allowed on " +
                                request.path + "; use " + allow);
    response.headers.emplace_back("Allow", allow);
    return response;
}

}  // namespace

std::span<const Endpoint> admin_endpoints() {
    return endpoints;
}

const Endpoint* dispatch_admin_request(ControlPlane& control, AdminRequest request,
                                       AdminReply reply) {
    std::vector<const Endpoint*> same_path;
    for (const auto& endpoint : endpoints) {
        auto params = match_path(endpoint.path, request.path);
        if (!params) {
            continue;
        }
        if (endpoint.method != request.method) {
            same_path.push_back(&endpoint);
            continue;
        }
        request.params = std::move(*params);
        if (auto owner = control.config_owner();
            owner && endpoint.mutates && endpoint.handler != stop && endpoint.handler != upgrade) {
            reply(error_response(409, *owner));
            return &endpoint;
        }
        if (endpoint.mutates) {
            reply = [reply = std::move(reply), method = endpoint.method, path = request.path,
                     uid = request.peer_uid](AdminResponse response) {
                spdlog::info("msg=\"admin request\" method={} path={} uid={} status={}",
                             std::string_view{http::to_string(method)}, log_value(path), uid,
                             response.status);
                reply(std::move(response));
            };
        }
        try {
            endpoint.handler(control, request, reply);
        } catch (const std::exception& error) {
            spdlog::error("msg=\"admin handler failed\" path={} error={}", log_value(request.path),
                          log_value(error.what()));
            reply(error_response(500, std::string{"internal error: "} + error.what()));
        }
        return &endpoint;
    }
    if (same_path.empty()) {
        reply(error_response(404, "no endpoint " + request.path + "; GET /v1/help lists them"));
    } else {
        reply(method_not_allowed(request, same_path));
    }
    return nullptr;
}

std::optional<std::vector<std::string>> match_path(std::string_view pattern,
                                                   std::string_view path) {
    const auto want = split_segments(pattern);
    const auto have = split_segments(path);
    if (want.size() != have.size() || path.empty() || path.front() != '/') {
        return std::nullopt;
    }
    std::vector<std::string> params;
    for (std::size_t i = 0; i < want.size(); ++i) {
        if (want[i].starts_with('{') && !have[i].empty()) {
            params.push_back(percent_decode(have[i]));
        } else if (want[i] != have[i]) {
            return std::nullopt;
        }
    }
    return params;
}

std::variant<std::optional<std::uint64_t>, std::string> parse_if_match(std::string_view header) {
    auto text = header;
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    if (text.empty() || text == "*") {
        return std::optional<std::uint64_t>{};
    }
    if (text.starts_with("W/")) {
        text.remove_prefix(2);
    }
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
        text = text.substr(1, text.size() - 2);
    }
    std::uint64_t version = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), version);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) {
        return "If-Match must be a config version like \"7\" (the ETag of GET /v1/config), got " +
               std::string{header};
    }
    return std::optional<std::uint64_t>{version};
}

std::variant<std::vector<std::pair<std::string, std::int64_t>>, std::string> parse_split(
    std::string_view body) {
    boost::system::error_code ec;
    const auto value = json::parse(body, ec);
    if (ec || !value.is_object()) {
        return std::string{ec ? "the split is not valid JSON (" + ec.message() + "); "
                              : "the split must be a JSON object; "} +
               "send {\"app-v1\": 90, \"app-v2\": 10}";
    }
    std::vector<std::pair<std::string, std::int64_t>> weights;
    for (const auto& [upstream, weight] : value.as_object()) {
        if (weight.is_int64()) {
            weights.emplace_back(upstream, weight.as_int64());
        } else if (weight.is_uint64()) {
            return "the weight of " + std::string{upstream} + " is too large";
        } else {
            return "the weight of " + std::string{upstream} + " must be an integer, got " +
                   json::serialize(weight);
        }
    }
    return weights;
}

bool peer_allowed(uid_t peer, uid_t own, const std::vector<unsigned>& allow_uids) {
    return peer == own || std::find(allow_uids.begin(), allow_uids.end(), peer) != allow_uids.end();
}

AdminResponse json_response(unsigned status, const json::value& body) {
    AdminResponse response;
    response.status = status;
    response.body = json::serialize(body);
    response.body.push_back('\n');
    return response;
}

AdminResponse error_response(unsigned status, const std::string& message) {
    return json_response(status, error_json(message));
}

}  // namespace turnout::master

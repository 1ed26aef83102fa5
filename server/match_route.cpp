#include "server/match_route.hpp"

#include "server/serving_state.hpp"

namespace turnout::server {

namespace http = boost::beast::http;

namespace {

// The path a route is matched on. `OPTIONS *` asks about the server as a
// whole: it goes where the host's root would, with its target unchanged.
std::string_view path_of(std::string_view target) {
    if (target == "*") {
        return "/";
    }
    const auto end = target.find_first_of("?#");
    return end == std::string_view::npos ? target : target.substr(0, end);
}

}  // namespace

std::shared_ptr<RouteEntry> match_route(ServingState& state, const RequestHead& request,
                                        std::string_view host, std::string_view client_ip,
                                        std::string_view protocol) {
    auto route = state.routes().match(
        RouteRequest{host, path_of(request.target()), request.method_string(), request});
    if (!route) {
        if (const auto& log = state.access_log()) {
            AccessRecord record;
            record.client = client_ip;
            record.method = request.method_string();
            record.path = request.target();
            record.status = 404;
            record.error = "no_route";
            record.protocol = protocol;
            log->write(record);
        }
    }
    return route;
}

}  // namespace turnout::server

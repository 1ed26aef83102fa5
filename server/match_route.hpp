#pragma once

// The route for a client's request, whatever protocol carried it (an
// HTTP/1.1 ClientSession or an HTTP/2 H2Stream): matched on Host, path and
// method; a request no route takes is written to the access log here, as
// 404 no_route, and the caller answers it.

#include "server/http/request_head.hpp"
#include "server/routing/route_table.hpp"

#include <memory>
#include <string_view>

namespace turnout::server {

class ServingState;

// `host` is the request's Host, which every caller has already read to
// refuse a request without one: a lookup by name less per request.
std::shared_ptr<RouteEntry> match_route(ServingState& state, const RequestHead& request,
                                        std::string_view host, std::string_view client_ip,
                                        std::string_view protocol);

}  // namespace turnout::server

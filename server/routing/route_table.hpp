#pragma once

// The route table of SPEC §3: picks the route for a request by host, path,
// method and headers. A lookup costs time proportional to the length of the
// host and path, never to the number of routes. Routes can be added and
// removed one at a time, so a one-route change does not rebuild the table.

#include "config/config.hpp"
#include "server/http/head_fields.hpp"
#include "server/routing/split_picker.hpp"

#include <boost/container/small_vector.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

namespace turnout::server {

class ActiveUpstream;
class RequestSeries;

// What a worker keeps per side of a route's split, so that a request finds
// it without a lookup by name.
struct RouteSide {
    // The worker's upstream of the side's name, or nullptr while it has
    // none; ServingState points it anew whenever routes or upstreams change.
    std::shared_ptr<ActiveUpstream> upstream;
    // The request metrics of {route, the side's upstream} in the worker's
    // WorkerMetrics (whose series live as long as it does); nullptr until
    // the side's first request.
    RequestSeries* series = nullptr;
};

// A route as a worker serves it: the configured route plus the worker's own
// mutable pick state. In-flight requests hold a shared_ptr to it, so
// replacing or removing it from the table never invalidates them.
struct RouteEntry {
    explicit RouteEntry(config::Route r);

    config::Route route;
    SplitPicker split;
    boost::container::small_vector<RouteSide, 1> sides;  // one per split.entries()
};

struct RouteRequest {
    std::string_view host;    // the Host header as received (any case, may carry :port)
    std::string_view path;    // request-target path, without the query
    std::string_view method;  // as received, e.g. "GET"
    const HeadFields& headers;
};

class RouteTable {
public:
    RouteTable();
    // Takes the routes over (a worker keeps no other copy of them).
    explicit RouteTable(config::SharedList<config::Route> routes);
    ~RouteTable();
    RouteTable(RouteTable&&) noexcept;
    RouteTable& operator=(RouteTable&&) noexcept;

    // Adds a route, or replaces the route of the same name in place (keeping
    // its position among ties). New routes rank after every existing one when
    // tied on host and path, as if appended to the config.
    // Returns the route's entry as the table now holds it.
    RouteEntry& upsert(config::Route route);

    // Removes the route of that name; false if there was none.
    bool remove(std::string_view name);

    // The route for the request, or nullptr (404). Order of precedence:
    // most specific host (exact, then longest wildcard suffix, then any),
    // then the longest matching path (an exact path beats any prefix); among
    // routes tied on both, config order, and the first whose methods and
    // headers hold wins. When nothing under the most specific host matches,
    // the less specific hosts are tried in turn.
    std::shared_ptr<RouteEntry> match(const RouteRequest& request) const;

    std::size_t size() const;

    // Calls `visit` with every route's entry, in no particular order.
    void for_each(const std::function<void(RouteEntry&)>& visit);

private:
    struct Index;
    std::unique_ptr<Index> index_;
};

}  // namespace turnout::server

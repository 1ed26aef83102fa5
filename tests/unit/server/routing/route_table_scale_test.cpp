#include "server/routing/route_table.hpp"

#include "server/http/request_head.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace http = boost::beast::http;
using turnout::config::Route;
using Fields = turnout::server::RequestHead;
using turnout::server::RouteRequest;
using turnout::server::RouteTable;

namespace {

// Route i of a synthetic config, and a request that only it matches. The
// kinds cycle so every host group and both path kinds grow with the table.
struct Synthetic {
    Route route;
    std::string host;
    std::string path;
};

Synthetic synthetic(std::size_t i) {
    // Zero-padded so every route's host and path are as long as the others'.
    // How lookup time grows with the table is scripts/bench.sh's to measure
    // (rps with 10,000 routes against 1), not a test's: timings fail under load.
    std::string n = std::to_string(i);
    n.insert(0, 5 - std::min<std::size_t>(n.size(), 5), '0');
    Synthetic s;
    s.route.name = "route-" + n;
    s.route.split = {{"app-v1", 1}};
    switch (i % 4) {
    case 0:
        s.route.match.host = "h" + n + ".example.com";
        s.route.match.path = "/api/";
        s.host = "H" + n + ".Example.com:443";
        s.path = "/api/v1/items";
        break;
    case 1:
        s.route.match.host = "*.w" + n + ".example.com";
        s.route.match.path = "/";
        s.host = "app.w" + n + ".example.com";
        s.path = "/index.html";
        break;
    case 2:
        s.route.match.path = "/svc" + n + "/";
        s.host = "unknown.test";
        s.path = "/svc" + n + "/v1/items";
        break;
    default:
        s.route.match.host = "shared.example.com";
        s.route.match.path = "/exact/" + n;
        s.route.match.path_exact = true;
        s.host = "shared.example.com";
        s.path = "/exact/" + n;
        break;
    }
    return s;
}

RouteTable synthetic_table(std::size_t count) {
    std::vector<Route> routes;
    routes.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        routes.push_back(synthetic(i).route);
    }
    return RouteTable(turnout::config::SharedList<Route>(std::move(routes)));
}

}  // namespace

TEST_CASE("10,000 routes: every sampled route resolves to itself", "[server][route_table]") {
    constexpr std::size_t count = 10000;
    RouteTable table = synthetic_table(count);
    REQUIRE(table.size() == count);
    const Fields headers;
    for (std::size_t i = 0; i < count; i += 7) {
        Synthetic s = synthetic(i);
        auto entry = table.match(RouteRequest{s.host, s.path, "GET", headers});
        REQUIRE(entry);
        CHECK(entry->route.name == s.route.name);
    }
    // Paths next to configured ones must not match by accident.
    CHECK_FALSE(table.match(RouteRequest{"shared.example.com", "/exact/3/", "GET", headers}));
    CHECK_FALSE(table.match(RouteRequest{"unknown.test", "/svc2", "GET", headers}));
}

TEST_CASE("10,000 routes: removing half leaves the others resolving", "[server][route_table]") {
    constexpr std::size_t count = 10000;
    RouteTable table = synthetic_table(count);
    for (std::size_t i = 0; i < count; i += 2) {
        REQUIRE(table.remove(synthetic(i).route.name));
    }
    REQUIRE(table.size() == count / 2);
    const Fields headers;
    for (std::size_t i = 0; i < count; i += 11) {
        Synthetic s = synthetic(i);
        auto entry = table.match(RouteRequest{s.host, s.path, "GET", headers});
        if (i % 2 == 0) {
            CHECK_FALSE(entry);
        } else {
            REQUIRE(entry);
            CHECK(entry->route.name == s.route.name);
        }
    }
}

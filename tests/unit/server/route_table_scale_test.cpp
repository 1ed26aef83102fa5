#include "server/route_table.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

namespace http = boost::beast::http;
using turnout::config::Route;
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
    // Zero-padded so hosts and paths are as long in a small table as in a
    // large one: lookups cost time by key length, which is not under test.
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
    return RouteTable(routes);
}

struct Probe {
    std::string host;
    std::string path;
};

// Nanoseconds per lookup over `lookups` matches cycling through `probes`.
double ns_per_lookup(const RouteTable& table, const std::vector<Probe>& probes,
                     std::size_t lookups) {
    const http::fields headers;
    std::size_t found = 0;
    auto start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < lookups; ++i) {
        const Probe& probe = probes[i % probes.size()];
        found += table.match(RouteRequest{probe.host, probe.path, "GET", headers}) ? 1 : 0;
    }
    auto elapsed = std::chrono::steady_clock::now() - start;
    REQUIRE(found == lookups);
    return std::chrono::duration<double, std::nano>(elapsed).count() /
           static_cast<double>(lookups);
}

}  // namespace

TEST_CASE("10,000 routes: every sampled route resolves to itself", "[server][route_table]") {
    constexpr std::size_t count = 10000;
    RouteTable table = synthetic_table(count);
    REQUIRE(table.size() == count);
    const http::fields headers;
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
    const http::fields headers;
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

TEST_CASE("lookup time does not grow with the number of routes", "[server][route_table]") {
    constexpr std::size_t lookups = 100000;
    RouteTable small = synthetic_table(10);
    RouteTable large = synthetic_table(10000);

    // As many probes for each table, the large table's spread over all of
    // it in the same mix of kinds, few enough to stay in cache: what is
    // measured is the work a lookup does, not how the machine's caches cope
    // with a bigger table (that costs 3-5x at -O2 when probes roam over all
    // 10,000 routes).
    std::vector<Probe> small_probes;
    std::vector<Probe> large_probes;
    for (std::size_t i = 0; i < 40; ++i) {
        Synthetic s = synthetic(i % 10);
        small_probes.push_back({s.host, s.path});
        s = synthetic(i * 250 + i % 4);
        large_probes.push_back({s.host, s.path});
    }

    // The fastest of several interleaved runs, so a burst of load elsewhere
    // on the machine hits both tables alike.
    double small_ns = 1e18;
    double large_ns = 1e18;
    for (int run = 0; run < 7; ++run) {
        small_ns = std::min(small_ns, ns_per_lookup(small, small_probes, lookups));
        large_ns = std::min(large_ns, ns_per_lookup(large, large_probes, lookups));
    }
    INFO("10 routes: " << small_ns << " ns/lookup; 10,000 routes: " << large_ns
                       << " ns/lookup; ratio " << large_ns / small_ns);
    // Generous for noisy CI machines; a table that scanned its routes would
    // be hundreds of times slower.
    CHECK(large_ns / small_ns < 3.0);
}

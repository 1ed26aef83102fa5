#include "server/route_table.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

// The route table against a plain model of SPEC §3's precedence, over random
// upserts and removes of routes on short paths from a tiny alphabet, so that
// edges of the path tree split and merge all the time.

namespace http = boost::beast::http;
using turnout::config::Route;
using turnout::server::RouteRequest;
using turnout::server::RouteTable;

namespace {

struct ModelRoute {
    Route route;
    std::uint64_t order = 0;
};

// Host specificity of `pattern` for `host`: 3 exact, 2 + suffix length
// wildcard (scaled to rank above any), 1 any, 0 no match.
std::size_t host_rank(const std::string& pattern, const std::string& host) {
    if (pattern.empty()) {
        return 1;
    }
    if (pattern.starts_with("*.")) {
        std::string suffix = pattern.substr(1);
        bool fits = host.size() > suffix.size() && host.ends_with(suffix);
        return fits ? 2 + suffix.size() : 0;
    }
    return pattern == host ? 1000 : 0;
}

// Candidates in the SPEC's order, the first accepted one wins.
std::string model_match(const std::map<std::string, ModelRoute>& routes, const std::string& host,
                        const std::string& path, const std::string& method) {
    struct Candidate {
        std::size_t host;
        bool exact;
        std::size_t length;
        std::uint64_t order;
        const Route* route;
    };
    std::vector<Candidate> candidates;
    for (const auto& [name, model] : routes) {
        const auto& match = model.route.match;
        std::size_t rank = host_rank(match.host, host);
        bool path_fits = match.path_exact ? path == match.path : path.starts_with(match.path);
        if (rank > 0 && path_fits) {
            candidates.push_back(
                {rank, match.path_exact, match.path.size(), model.order, &model.route});
        }
    }
    std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
        if (a.host != b.host) {
            return a.host > b.host;
        }
        if (a.exact != b.exact) {
            return a.exact;
        }
        if (a.length != b.length) {
            return a.length > b.length;
        }
        return a.order < b.order;
    });
    for (const Candidate& c : candidates) {
        const auto& methods = c.route->match.methods;
        if (methods.empty() || std::find(methods.begin(), methods.end(), method) != methods.end()) {
            return c.route->name;
        }
    }
    return "";
}

std::string random_path(std::mt19937& rng, std::size_t max_length) {
    static const char alphabet[] = {'/', 'a', 'b'};
    std::string path = "/";
    std::size_t length = std::uniform_int_distribution<std::size_t>(0, max_length)(rng);
    for (std::size_t i = 0; i < length; ++i) {
        path += alphabet[std::uniform_int_distribution<int>(0, 2)(rng)];
    }
    return path;
}

Route random_route(std::mt19937& rng, const std::string& name) {
    static const std::vector<std::string> hosts{"", "a.example.com", "*.example.com",
                                                "*.b.example.com", "x.b.example.com"};
    Route route;
    route.name = name;
    route.match.host = hosts[std::uniform_int_distribution<std::size_t>(0, 4)(rng)];
    route.match.path = random_path(rng, 5);
    route.match.path_exact = std::uniform_int_distribution<int>(0, 3)(rng) == 0;
    if (std::uniform_int_distribution<int>(0, 3)(rng) == 0) {
        route.match.methods = {"POST"};
    }
    route.split = {{"app", 1}};
    return route;
}

}  // namespace

TEST_CASE("the route table agrees with a model over random changes", "[server][route_table]") {
    std::mt19937 rng(20240611);
    RouteTable table;
    std::map<std::string, ModelRoute> model;
    std::uint64_t next_order = 0;
    static const std::vector<std::string> request_hosts{
        "a.example.com", "A.EXAMPLE.COM:80", "x.b.example.com", "y.b.example.com",
        "b.example.com", "other.org"};

    for (int step = 0; step < 3000; ++step) {
        std::string name = "r" + std::to_string(std::uniform_int_distribution<int>(0, 59)(rng));
        if (std::uniform_int_distribution<int>(0, 3)(rng) == 0) {
            CHECK(table.remove(name) == (model.erase(name) == 1));
        } else {
            Route route = random_route(rng, name);
            auto it = model.find(name);
            std::uint64_t order = it != model.end() ? it->second.order : next_order++;
            model[name] = {route, order};
            table.upsert(route);
        }
        REQUIRE(table.size() == model.size());

        for (int probe = 0; probe < 10; ++probe) {
            std::string raw_host =
                request_hosts[std::uniform_int_distribution<std::size_t>(0, 5)(rng)];
            std::string host = raw_host == "A.EXAMPLE.COM:80" ? "a.example.com" : raw_host;
            std::string path = random_path(rng, 7);
            std::string method = std::uniform_int_distribution<int>(0, 1)(rng) ? "GET" : "POST";
            http::fields headers;
            auto entry = table.match(RouteRequest{raw_host, path, method, headers});
            INFO("step " << step << ": " << method << " " << raw_host << path);
            REQUIRE((entry ? entry->route.name : "") == model_match(model, host, path, method));
        }
    }
}

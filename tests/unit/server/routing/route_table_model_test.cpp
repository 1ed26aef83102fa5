#include "server/routing/route_table.hpp"

#include "server/http/request_head.hpp"
#include "tests/support/route_table_model.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

// The route table against a plain model of SPEC §3's precedence, over random
// upserts and removes of routes on short paths from a tiny alphabet, so that
// edges of the path tree split and merge all the time.

namespace http = boost::beast::http;
using turnout::config::Route;
using Fields = turnout::server::RequestHead;
using turnout::server::RouteRequest;
using turnout::server::RouteTable;
using turnout::test::RouteTableModel;

namespace {

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
    RouteTableModel model;
    static const std::vector<std::string> request_hosts{"a.example.com",   "A.EXAMPLE.COM:80",
                                                        "x.b.example.com", "y.b.example.com",
                                                        "b.example.com",   "other.org"};

    for (int step = 0; step < 3000; ++step) {
        std::string name = "r" + std::to_string(std::uniform_int_distribution<int>(0, 59)(rng));
        if (std::uniform_int_distribution<int>(0, 3)(rng) == 0) {
            CHECK(table.remove(name) == model.remove(name));
        } else {
            Route route = random_route(rng, name);
            model.upsert(route);
            table.upsert(route);
        }
        REQUIRE(table.size() == model.size());

        for (int probe = 0; probe < 10; ++probe) {
            std::string host = request_hosts[std::uniform_int_distribution<std::size_t>(0, 5)(rng)];
            std::string path = random_path(rng, 7);
            std::string method = std::uniform_int_distribution<int>(0, 1)(rng) ? "GET" : "POST";
            Fields headers;
            auto entry = table.match(RouteRequest{host, path, method, headers});
            INFO("step " << step << ": " << method << " " << host << path);
            REQUIRE((entry ? entry->route.name : "") == model.match(host, path, method, headers));
        }
    }
}

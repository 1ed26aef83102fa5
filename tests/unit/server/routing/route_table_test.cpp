#include "server/routing/route_table.hpp"

#include "server/http/request_head.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

namespace http = boost::beast::http;
using turnout::config::Route;
using Fields = turnout::server::RequestHead;
using turnout::server::RouteRequest;
using turnout::server::RouteTable;

namespace {

Route make_route(std::string name, std::string host, std::string path, bool exact = false) {
    Route route;
    route.name = std::move(name);
    route.match.host = std::move(host);
    route.match.path = std::move(path);
    route.match.path_exact = exact;
    route.split = {{"app-v1", 1}};
    route.single_upstream = true;
    return route;
}

Route with_methods(Route route, std::vector<std::string> methods) {
    route.match.methods = std::move(methods);
    return route;
}

Route with_header(Route route, std::string name, std::string value) {
    route.match.headers.emplace_back(std::move(name), std::move(value));
    return route;
}

// The name of the route the table picks, or "" for none (404).
std::string pick(const RouteTable& table, std::string_view host, std::string_view path,
                 std::string_view method = "GET", const Fields& headers = {}) {
    auto entry = table.match(RouteRequest{host, path, method, headers});
    return entry ? entry->route.name : "";
}

}  // namespace

TEST_CASE("an exact host beats a wildcard, which beats any host", "[server][route_table]") {
    // Config order favours the least specific, so only specificity can win.
    RouteTable table({
        make_route("any", "", "/"),
        make_route("wildcard", "*.example.com", "/"),
        make_route("exact", "api.example.com", "/"),
    });
    CHECK(pick(table, "api.example.com", "/x") == "exact");
    CHECK(pick(table, "www.example.com", "/x") == "wildcard");
    CHECK(pick(table, "deep.www.example.com", "/x") == "wildcard");
    CHECK(pick(table, "example.com", "/x") == "any");
    CHECK(pick(table, "other.org", "/x") == "any");
    CHECK(pick(table, "", "/x") == "any");
}

TEST_CASE("a longer wildcard suffix beats a shorter one", "[server][route_table]") {
    RouteTable table({
        make_route("short", "*.example.com", "/"),
        make_route("long", "*.api.example.com", "/"),
    });
    CHECK(pick(table, "v1.api.example.com", "/") == "long");
    CHECK(pick(table, "a.b.api.example.com", "/") == "long");
    CHECK(pick(table, "api.example.com", "/") == "short");
    CHECK(pick(table, "www.example.com", "/") == "short");
    CHECK(pick(table, "example.com", "/").empty());
}

TEST_CASE("an exact path beats any prefix", "[server][route_table]") {
    RouteTable table({
        make_route("prefix-same", "", "/api/v1", false),
        make_route("prefix", "", "/api/"),
        make_route("exact", "", "/api/v1", true),
    });
    CHECK(pick(table, "h", "/api/v1") == "exact");
    CHECK(pick(table, "h", "/api/v1/users") == "prefix-same");
    CHECK(pick(table, "h", "/api/v2") == "prefix");
}

TEST_CASE("an exact path matches only the whole path", "[server][route_table]") {
    RouteTable table({make_route("exact", "", "/health", true)});
    CHECK(pick(table, "h", "/health") == "exact");
    CHECK(pick(table, "h", "/health/").empty());
    CHECK(pick(table, "h", "/healt").empty());
    CHECK(pick(table, "h", "/").empty());
}

TEST_CASE("the longest matching prefix wins", "[server][route_table]") {
    RouteTable table({
        make_route("api", "", "/api/"),
        make_route("root", "", "/"),
        make_route("api-v1", "", "/api/v1/"),
    });
    CHECK(pick(table, "h", "/api/v1/users") == "api-v1");
    CHECK(pick(table, "h", "/api/v1/") == "api-v1");
    CHECK(pick(table, "h", "/api/v1") == "api");
    CHECK(pick(table, "h", "/api/") == "api");
    CHECK(pick(table, "h", "/api") == "root");
    CHECK(pick(table, "h", "/") == "root");
    CHECK(pick(table, "h", "").empty());
}

TEST_CASE("prefixes match byte-wise, like nginx locations", "[server][route_table]") {
    RouteTable table({make_route("api", "", "/api")});
    CHECK(pick(table, "h", "/api") == "api");
    CHECK(pick(table, "h", "/apix") == "api");
    CHECK(pick(table, "h", "/api/v1") == "api");
    CHECK(pick(table, "h", "/ap").empty());
    CHECK(pick(table, "h", "/API").empty());
}

TEST_CASE("routes tied on host and path go in config order", "[server][route_table]") {
    RouteTable table({
        make_route("first", "a.example.com", "/x/"),
        make_route("second", "a.example.com", "/x/"),
        make_route("third", "a.example.com", "/x/"),
    });
    CHECK(pick(table, "a.example.com", "/x/1") == "first");
    REQUIRE(table.remove("first"));
    CHECK(pick(table, "a.example.com", "/x/1") == "second");
}

TEST_CASE("methods filter, falling through to the next candidate", "[server][route_table]") {
    RouteTable table({
        with_methods(make_route("exact-post", "", "/api/v1/items", true), {"POST"}),
        with_methods(make_route("v1-put", "", "/api/v1/", false), {"PUT", "DELETE"}),
        with_methods(make_route("api-get", "", "/api/"), {"GET", "HEAD"}),
        make_route("api-any", "", "/api/"),
    });
    CHECK(pick(table, "h", "/api/v1/items", "POST") == "exact-post");
    CHECK(pick(table, "h", "/api/v1/items", "DELETE") == "v1-put");
    CHECK(pick(table, "h", "/api/v1/items", "GET") == "api-get");
    CHECK(pick(table, "h", "/api/v1/items", "PATCH") == "api-any");
    // Methods are case-sensitive (RFC 9110 §9.1).
    CHECK(pick(table, "h", "/api/v1/items", "post") == "api-any");
}

TEST_CASE("headers filter: any-case name, exact value", "[server][route_table]") {
    RouteTable table({
        with_header(with_header(make_route("canary", "", "/"), "X-Env", "canary"), "X-Team", "a"),
        make_route("stable", "", "/"),
    });
    Fields headers;
    CHECK(pick(table, "h", "/", "GET", headers) == "stable");

    headers.set("x-env", "canary");
    CHECK(pick(table, "h", "/", "GET", headers) == "stable");  // X-Team missing
    headers.set("X-TEAM", "a");
    CHECK(pick(table, "h", "/", "GET", headers) == "canary");

    headers.set("X-Env", "Canary");
    CHECK(pick(table, "h", "/", "GET", headers) == "stable");
}

TEST_CASE("any value of a repeated header can match, and only its own", "[server][route_table]") {
    RouteTable table({
        with_header(make_route("canary", "", "/"), "X-Env", "canary"),
        make_route("stable", "", "/"),
    });
    Fields headers;
    headers.insert("X-Env", "blue");
    headers.insert("X-Other", "canary");
    headers.insert("X-Env", "green");
    CHECK(pick(table, "h", "/", "GET", headers) == "stable");
    headers.insert("X-Env", "canary");
    CHECK(pick(table, "h", "/", "GET", headers) == "canary");
}

TEST_CASE("nothing under a host falls back to less specific hosts", "[server][route_table]") {
    RouteTable table({
        make_route("any-root", "", "/"),
        make_route("wild-static", "*.example.com", "/static/"),
        with_methods(make_route("exact-post", "shop.example.com", "/"), {"POST"}),
        make_route("exact-cart", "shop.example.com", "/cart/"),
        make_route("long-wild", "*.shop.example.com", "/only/"),
    });
    CHECK(pick(table, "shop.example.com", "/cart/1") == "exact-cart");
    CHECK(pick(table, "shop.example.com", "/x", "POST") == "exact-post");
    CHECK(pick(table, "shop.example.com", "/static/a.css") == "wild-static");
    CHECK(pick(table, "shop.example.com", "/x") == "any-root");
    CHECK(pick(table, "eu.shop.example.com", "/only/x") == "long-wild");
    CHECK(pick(table, "eu.shop.example.com", "/static/x") == "wild-static");
    CHECK(pick(table, "eu.shop.example.com", "/x") == "any-root");
}

TEST_CASE("no route matches: nullptr", "[server][route_table]") {
    RouteTable empty;
    CHECK(empty.size() == 0);
    CHECK(pick(empty, "a.example.com", "/").empty());

    RouteTable table({make_route("a", "a.example.com", "/")});
    CHECK(pick(table, "b.example.com", "/").empty());
}

TEST_CASE("host case, :port and a trailing dot are ignored", "[server][route_table]") {
    RouteTable table({
        make_route("exact", "api.example.com", "/"),
        make_route("wild", "*.example.com", "/"),
        make_route("v6", "[::1]", "/"),
        make_route("v4", "127.0.0.1", "/"),
    });
    CHECK(pick(table, "API.Example.COM", "/") == "exact");
    CHECK(pick(table, "api.example.com:8443", "/") == "exact");
    CHECK(pick(table, "Api.Example.Com.:80", "/") == "exact");
    CHECK(pick(table, "WWW.EXAMPLE.COM:8080", "/") == "wild");
    CHECK(pick(table, "[::1]:8080", "/") == "v6");
    CHECK(pick(table, "[::1]", "/") == "v6");
    CHECK(pick(table, "127.0.0.1:8080", "/") == "v4");
    CHECK(pick(table, std::string(300, 'a') + ".example.com", "/").empty());
}

TEST_CASE("a configured host in upper case still matches", "[server][route_table]") {
    RouteTable table(
        {make_route("exact", "API.example.com", "/"), make_route("wild", "*.EXAMPLE.org", "/")});
    CHECK(pick(table, "api.example.com", "/") == "exact");
    CHECK(pick(table, "www.example.org", "/") == "wild");
}

TEST_CASE("upsert replaces a route in place and keeps its rank", "[server][route_table]") {
    RouteTable table({
        make_route("first", "", "/"),
        make_route("second", "", "/"),
    });
    auto in_flight = table.match(RouteRequest{"h", "/", "GET", Fields{}});
    REQUIRE(in_flight);

    Route changed = make_route("first", "", "/");
    changed.split = {{"app-v1", 90}, {"app-v2", 10}};
    table.upsert(changed);
    CHECK(table.size() == 2);
    auto now = table.match(RouteRequest{"h", "/", "GET", Fields{}});
    REQUIRE(now);
    CHECK(now->route.name == "first");
    CHECK(now->split.entries().size() == 2);
    // A request that started before the change keeps the route it matched.
    CHECK(in_flight->route.split.size() == 1);

    table.upsert(make_route("third", "", "/"));
    CHECK(table.size() == 3);
    CHECK(pick(table, "h", "/") == "first");
    table.remove("first");
    CHECK(pick(table, "h", "/") == "second");
}

TEST_CASE("upsert that moves a route keeps its rank at the new place", "[server][route_table]") {
    RouteTable table({
        make_route("moving", "a.example.com", "/old/"),
        make_route("resident", "b.example.com", "/new/"),
    });
    table.upsert(make_route("moving", "b.example.com", "/new/"));
    CHECK(table.size() == 2);
    CHECK(pick(table, "a.example.com", "/old/x").empty());
    CHECK(pick(table, "b.example.com", "/new/x") == "moving");

    // Removed and added again, a route is new: it ranks last.
    table.remove("moving");
    table.upsert(make_route("moving", "b.example.com", "/new/"));
    CHECK(pick(table, "b.example.com", "/new/x") == "resident");
}

TEST_CASE("upsert can turn a prefix route exact and back", "[server][route_table]") {
    RouteTable table({make_route("r", "", "/p")});
    table.upsert(make_route("r", "", "/p", true));
    CHECK(pick(table, "h", "/p") == "r");
    CHECK(pick(table, "h", "/p/x").empty());
    table.upsert(make_route("r", "", "/p", false));
    CHECK(pick(table, "h", "/p/x") == "r");
    CHECK(table.size() == 1);
}

TEST_CASE("remove takes one route out and reports whether it was there", "[server][route_table]") {
    RouteTable table({
        make_route("api", "a.example.com", "/api/"),
        make_route("root", "a.example.com", "/"),
        make_route("wild", "*.example.com", "/"),
    });
    CHECK(table.remove("api"));
    CHECK_FALSE(table.remove("api"));
    CHECK_FALSE(table.remove("missing"));
    CHECK(table.size() == 2);
    CHECK(pick(table, "a.example.com", "/api/x") == "root");

    CHECK(table.remove("root"));
    CHECK(pick(table, "a.example.com", "/api/x") == "wild");
    CHECK(table.remove("wild"));
    CHECK(table.size() == 0);
    CHECK(pick(table, "a.example.com", "/").empty());

    table.upsert(make_route("again", "a.example.com", "/api/"));
    CHECK(pick(table, "a.example.com", "/api/x") == "again");
}

TEST_CASE("a moved-from route table is empty, and usable again", "[server][route_table]") {
    RouteTable table({make_route("a", "", "/")});
    RouteTable moved = std::move(table);
    CHECK(pick(moved, "h", "/") == "a");
    CHECK(table.size() == 0);              // NOLINT(bugprone-use-after-move)
    CHECK(pick(table, "h", "/").empty());  // NOLINT(bugprone-use-after-move)
    table.upsert(make_route("b", "", "/"));
    CHECK(pick(table, "h", "/") == "b");
}

TEST_CASE("a route entry carries a split picker built from the route", "[server][route_table]") {
    Route route = make_route("split", "", "/");
    route.split = {{"app-v1", 3}, {"app-v2", 1}};
    turnout::server::RouteEntry entry(route);
    REQUIRE(entry.split.entries().size() == 2);
    int v2 = 0;
    for (int i = 0; i < 400; ++i) {
        v2 += entry.split.pick() == 1 ? 1 : 0;
    }
    CHECK(v2 == 100);
    // One side each, with nothing looked up before its first request.
    REQUIRE(entry.sides.size() == 2);
    CHECK(entry.sides[0].series == nullptr);
    CHECK(entry.sides[1].series == nullptr);
}

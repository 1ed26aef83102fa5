// A whole config as the changes from the one the workers serve: applied to
// a worker's state they must route every request as a snapshot of the new
// config would, and when they could not, a snapshot travels instead.

#include "worker/config_changes.hpp"

#include "config/json_codec.hpp"
#include "server/http/request_head.hpp"
#include "server/serving_state.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace http = boost::beast::http;
using turnout::config::Config;
using turnout::config::Route;
using turnout::config::Upstream;
using Fields = turnout::server::RequestHead;
using turnout::server::RouteRequest;
using turnout::server::ServingState;
using turnout::worker::changes_between;
using turnout::worker::ConfigDelta;

namespace {

Upstream upstream(const std::string& name, std::uint16_t port = 9) {
    Upstream result;
    result.name = name;
    const boost::asio::ip::tcp::endpoint endpoint{boost::asio::ip::address_v4::loopback(), port};
    result.targets.push_back({{"127.0.0.1:" + std::to_string(port), endpoint}, 1});
    return result;
}

// Few hosts and paths, so that routes tie often and order decides.
Route route(std::mt19937& rng, const std::string& name) {
    static const std::vector<std::string> hosts{"", "a.example.com", "*.example.com"};
    static const std::vector<std::string> paths{"/", "/a", "/a/b", "/b"};
    static const std::vector<std::string> upstreams{"u0", "u1", "u2"};
    auto pick = [&rng](const auto& items) {
        return items[std::uniform_int_distribution<std::size_t>(0, items.size() - 1)(rng)];
    };
    Route result;
    result.name = name;
    result.match.host = pick(hosts);
    result.match.path = pick(paths);
    result.split = {{pick(upstreams), 1}};
    return result;
}

Config base_config(std::mt19937& rng, int routes) {
    Config config;
    config.upstreams = {upstream("u0"), upstream("u1"), upstream("u2")};
    for (int i = 0; i < routes; ++i) {
        config.routes.push_back(route(rng, "r" + std::to_string(i)));
    }
    return config;
}

// `from` edited as an operator might: routes changed in place, deleted,
// appended, now and then one moved or inserted in the middle; an upstream
// changed, added or deleted.
Config edited(const Config& from, std::mt19937& rng, int& next_name) {
    Config to = from;
    auto chance = [&rng](int percent) {
        return std::uniform_int_distribution<int>(0, 99)(rng) < percent;
    };
    to.routes.erase_if([&](const Route&) { return chance(5); });
    for (std::size_t i = 0; i < to.routes.size(); ++i) {
        if (chance(5)) {
            to.routes.replace(i, route(rng, to.routes[i].name));
        }
    }
    const int added = std::uniform_int_distribution<int>(0, 2)(rng);
    for (int i = 0; i < added; ++i) {
        to.routes.push_back(route(rng, "n" + std::to_string(next_name++)));
    }
    if (chance(15) && to.routes.size() > 2) {
        const Route first = to.routes.front();
        to.routes.replace(0, to.routes.back());
        to.routes.replace(to.routes.size() - 1, first);
    }
    if (chance(15)) {
        to.routes.insert(0, route(rng, "n" + std::to_string(next_name++)));
    }
    if (chance(20)) {
        to.upstreams.replace(1, upstream("u1", 10));
    }
    if (chance(20)) {
        to.upstreams.insert(0, upstream("u" + std::to_string(next_name++)));
    }
    if (chance(10)) {
        // Only routes that no longer use it: a validated config has no
        // dangling upstream.
        to.routes.erase_if([](const Route& r) { return r.split.front().upstream == "u2"; });
        to.upstreams.erase_if([](const Upstream& u) { return u.name == "u2"; });
    }
    return to;
}

// The route the request matches and its upstream, marked "(stale)" when
// the route entry does not point at the state's upstream of that name.
std::string matched(const ServingState& state, const std::string& host, const std::string& path) {
    const Fields headers;
    const auto entry = state.routes().match(RouteRequest{host, path, "GET", headers});
    if (!entry) {
        return "404";
    }
    const auto& upstream = entry->route.split.front().upstream;
    const bool current = entry->sides.front().upstream == state.upstream(upstream);
    return entry->route.name + "->" + upstream + (current ? "" : " (stale)");
}

}  // namespace

TEST_CASE("a whole config's changes route as its snapshot would", "[worker][config_changes]") {
    std::mt19937 rng(20261206);
    boost::asio::io_context io;
    int next_name = 0;
    int as_changes = 0;
    int as_snapshot = 0;
    for (int round = 0; round < 300; ++round) {
        const Config from = base_config(rng, 40);
        const Config to = edited(from, rng, next_name);
        const auto changes = changes_between(from, to);
        if (!changes) {
            ++as_snapshot;
            continue;
        }
        ++as_changes;
        // Through the wire format, as the worker receives them.
        const auto text = boost::json::serialize(turnout::worker::to_json(*changes));
        const auto received =
            turnout::worker::changes_from_json(*turnout::config::parse_json(text));
        REQUIRE(received.has_value());

        ServingState by_changes{io};
        static_cast<void>(by_changes.apply(from));
        for (const auto& change : *received) {
            apply_delta(change, by_changes);
        }
        ServingState by_snapshot{io};
        static_cast<void>(by_snapshot.apply(to));
        REQUIRE(by_changes.routes().size() == by_snapshot.routes().size());
        for (const auto& upstream : to.upstreams) {
            REQUIRE(by_changes.upstream(upstream.name));
            CHECK(by_changes.upstream(upstream.name)->config() == upstream);
        }
        for (const std::string host : {"a.example.com", "b.example.com", "other.org"}) {
            for (const std::string path : {"/", "/a", "/a/b", "/a/c", "/b", "/b/c", "/c"}) {
                INFO("round " << round << ": " << host << path);
                REQUIRE(matched(by_changes, host, path) == matched(by_snapshot, host, path));
            }
        }

        // The master's replay of the same changes gives the same config.
        Config replayed = from;
        for (const auto& change : *received) {
            apply_delta(change, replayed);
        }
        CHECK(replayed.routes == to.routes);
    }
    // Both ways were taken often enough to mean something.
    CHECK(as_changes > 100);
    CHECK(as_snapshot > 30);
}

TEST_CASE("a whole config travels as a snapshot when more than routes and upstreams changed",
          "[worker][config_changes]") {
    std::mt19937 rng(7);
    const Config from = base_config(rng, 10);
    Config to = from;
    to.limits.max_header_bytes += 1;
    CHECK_FALSE(changes_between(from, to));
    to = from;
    to.access_log = "stdout";
    CHECK_FALSE(changes_between(from, to));
    to = from;
    to.listeners.push_back({});
    CHECK_FALSE(changes_between(from, to));
    // The master's own settings do not reach workers: a config read from
    // the file and then put through the API still travels as changes.
    to = from;
    to.source_path = "/etc/turnout/turnout.yaml";
    to.state_dir = "/var/lib/turnout";
    CHECK(changes_between(from, to));
}

TEST_CASE("kept routes that change their order make a snapshot travel",
          "[worker][config_changes]") {
    std::mt19937 rng(7);
    const Config from = base_config(rng, 10);
    Config to = from;
    to.routes.replace(2, from.routes[5]);
    to.routes.replace(5, from.routes[2]);
    CHECK_FALSE(changes_between(from, to));
    to = from;
    to.routes.insert(3, route(rng, "new"));
    CHECK_FALSE(changes_between(from, to));
}

TEST_CASE("an unchanged config is no changes, a one-route change is one",
          "[worker][config_changes]") {
    std::mt19937 rng(7);
    const Config from = base_config(rng, 10);
    REQUIRE(changes_between(from, from));
    CHECK(changes_between(from, from)->empty());
    Config to = from;
    to.routes.edit(4).split = {{"u2", 1}, {"u1", 1}};
    const auto changes = changes_between(from, to);
    REQUIRE(changes);
    REQUIRE(changes->size() == 1);
    CHECK(changes->front().op == ConfigDelta::Op::put_route);
    CHECK(changes->front().route == to.routes[4]);
}

TEST_CASE("a whole config that replaces most routes travels as a snapshot",
          "[worker][config_changes]") {
    std::mt19937 rng(7);
    const Config from = base_config(rng, 10);
    Config to = from;
    for (int i = 0; i < 7; ++i) {
        to.routes.edit(i).split = {{"u2", 1}};
        to.routes.edit(i).match.path = "/changed";
    }
    CHECK_FALSE(changes_between(from, to));
}

TEST_CASE("one delta decodes as a batch of one", "[worker][config_changes]") {
    const ConfigDelta one{ConfigDelta::Op::delete_route, "r1", std::nullopt, std::nullopt};
    const auto changes = turnout::worker::changes_from_json(turnout::worker::to_json(one));
    REQUIRE(changes);
    REQUIRE(changes->size() == 1);
    CHECK(changes->front().name == "r1");
    CHECK_FALSE(turnout::worker::changes_from_json(boost::json::parse(R"([{"op":"nope"}])")));
}

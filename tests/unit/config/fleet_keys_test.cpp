// The fleet's key layout (docs/SPEC.md, "Fleet configuration from etcd" and
// "Fleet rollouts"): which keys are config, and the rollout keys' names.

#include "config/fleet_keys.hpp"

#include <catch2/catch.hpp>

using namespace turnout::master::fleet;
using Kind = KeyName::Kind;

TEST_CASE("config keys, node reports, rollouts and the leader key are told apart", "[fleet]") {
    CHECK(classify_key("routes/api").kind == Kind::route);
    CHECK(classify_key("routes/api").name == "api");
    CHECK(classify_key("rollouts/api").kind == Kind::rollout);
    CHECK(classify_key("rollouts/api").name == "api");
    CHECK(classify_key("leader").kind == Kind::leader);
    CHECK(classify_key("leaders").kind == Kind::unknown);

    const auto report = classify_key("nodes/edge-1");
    CHECK(report.kind == Kind::node_report);
    CHECK(report.name == "edge-1");
    CHECK(report.route.empty());

    const auto counts = classify_key("nodes/edge-1/rollouts/api");
    CHECK(counts.kind == Kind::node_report);
    CHECK(counts.name == "edge-1");
    CHECK(counts.route == "api");

    CHECK(is_config_key("routes/api"));
    CHECK(is_config_key("settings"));
    CHECK_FALSE(is_config_key("rollouts/api"));
    CHECK_FALSE(is_config_key("leader"));
    CHECK_FALSE(is_config_key("nodes/edge-1/rollouts/api"));
}

TEST_CASE("rollout keys are named under the prefix", "[fleet]") {
    CHECK(rollout_key("/t/", "api") == "/t/rollouts/api");
    CHECK(route_key("/t/", "api") == "/t/routes/api");
    CHECK(leader_key("/t/") == "/t/leader");
    CHECK(node_rollout_key("/t/", "edge-1", "api") == "/t/nodes/edge-1/rollouts/api");
    const auto back = classify_key(std::string{node_rollout_key("/t/", "n", "r")}.substr(3));
    CHECK(back.name == "n");
    CHECK(back.route == "r");
}

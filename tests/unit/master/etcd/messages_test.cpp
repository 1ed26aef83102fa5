// The gateway's JSON: base64 keys, int64 as strings, defaults left out.

#include "master/etcd/messages.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

using namespace turnout::master::etcd;
namespace json = boost::json;

TEST_CASE("base64 round-trips bytes and refuses what is not base64", "[etcd]") {
    const std::string bytes{"/turnout/\0\xff", 11};
    CHECK(base64_decode(base64_encode(bytes)) == bytes);
    CHECK(base64_encode("/p/a") == "L3AvYQ==");
    CHECK_FALSE(base64_decode("abc").has_value());
    CHECK_FALSE(base64_decode("ab!=").has_value());
}

TEST_CASE("prefix_end increments the last byte, carrying over 0xff", "[etcd]") {
    CHECK(prefix_end("/a/") == "/a0");
    CHECK(prefix_end(std::string{"a\xff", 2}) == "b");
    CHECK(prefix_end(std::string{"\xff", 1}) == std::string(1, '\0'));
}

TEST_CASE("a range answer decodes kvs, revision and more", "[etcd]") {
    auto answer =
        json::parse(R"({"header":{"revision":"12"},"kvs":[{"key":"L3AvYQ==","create_revision":"2",
        "mod_revision":"9","version":"3","value":"MQ=="},{"key":"L3AvYg==","mod_revision":"4"}],"more":true,"count":"5"})");
    auto range = parse_range(answer);
    REQUIRE(range);
    CHECK(range->revision == 12);
    CHECK(range->more);
    REQUIRE(range->kvs.size() == 2);
    CHECK(range->kvs[0].key == "/p/a");
    CHECK(range->kvs[0].value == "1");
    CHECK(range->kvs[0].create_revision == 2);
    CHECK(range->kvs[0].mod_revision == 9);
    CHECK(range->kvs[0].version == 3);
    CHECK(range->kvs[1].value.empty());
}

TEST_CASE("an empty range answer has no kvs field", "[etcd]") {
    auto range = parse_range(json::parse(R"({"header":{"revision":"3"}})"));
    REQUIRE(range);
    CHECK(range->kvs.empty());
    CHECK_FALSE(range->more);
}

TEST_CASE("a malformed range answer gives nothing", "[etcd]") {
    CHECK_FALSE(parse_range(json::parse(R"({"header":{"revision":"x"}})")));
    CHECK_FALSE(parse_range(json::parse(R"({"kvs":[{"key":"!!"}]})")));
    CHECK_FALSE(parse_range(json::parse(R"([])")));
}

TEST_CASE("a range request pins the revision and the page size", "[etcd]") {
    auto body = range_request("/p/", "/p0", 42, 1000);
    CHECK(json::serialize(body) ==
          R"({"key":"L3Av","range_end":"L3Aw","revision":"42","limit":"1000"})");
    CHECK_FALSE(range_request("/p/", "/p0", 0, 0).contains("revision"));
}

TEST_CASE("a txn compares create and mod revisions and puts under a lease", "[etcd]") {
    Txn txn;
    txn.compare.push_back(
        {"/p/leader", {}, Compare::Target::create_revision, Compare::Result::equal, 0, {}});
    txn.compare.push_back(
        {"/p/routes/a", {}, Compare::Target::mod_revision, Compare::Result::less, 8, {}});
    txn.success.push_back({TxnOp::Kind::put, "/p/leader", "n1", 77});
    txn.success.push_back({TxnOp::Kind::delete_prefix, "/p/routes/", {}, 0});
    txn.failure.push_back({TxnOp::Kind::range, "/p/leader", {}, 0});
    CHECK(
        json::serialize(txn_request(txn)) ==
        R"({"compare":[{"key":"L3AvbGVhZGVy","target":"CREATE","result":"EQUAL","create_revision":"0"},)"
        R"({"key":"L3Avcm91dGVzL2E=","target":"MOD","result":"LESS","mod_revision":"8"}],)"
        R"("success":[{"request_put":{"key":"L3AvbGVhZGVy","value":"bjE=","lease":"77"}},)"
        R"({"request_delete_range":{"key":"L3Avcm91dGVzLw==","range_end":"L3Avcm91dGVzMA=="}}],)"
        R"("failure":[{"request_range":{"key":"L3AvbGVhZGVy"}}]})");
}

TEST_CASE("a compare can cover a range of keys", "[etcd]") {
    Txn txn;
    txn.compare.push_back(
        {"/p/", "/p0", Compare::Target::mod_revision, Compare::Result::less, 5, {}});
    CHECK(
        json::serialize(txn_request(txn)) ==
        R"({"compare":[{"key":"L3Av","target":"MOD","result":"LESS","range_end":"L3Aw","mod_revision":"5"}],)"
        R"("success":[],"failure":[]})");
}

TEST_CASE("a txn answer tells which branch ran and what its ranges read", "[etcd]") {
    auto result =
        parse_txn(json::parse(R"({"header":{"revision":"20"},"responses":[{"response_range":
        {"kvs":[{"key":"L3AvbGVhZGVy","value":"bjI=","create_revision":"15"}]}}]})"));
    REQUIRE(result);
    CHECK(result->revision == 20);
    CHECK_FALSE(result->succeeded);
    REQUIRE(result->ranges.size() == 1);
    CHECK(result->ranges[0][0].value == "n2");
    CHECK(result->ranges[0][0].create_revision == 15);
}

TEST_CASE("lease answers decode, bare or in a stream's result", "[etcd]") {
    auto grant = parse_lease(json::parse(R"({"header":{},"ID":"538640052859464202","TTL":"5"})"));
    REQUIRE(grant);
    CHECK(grant->id == 538640052859464202);
    CHECK(grant->ttl_seconds == 5);
    auto kept = parse_lease(json::parse(R"({"result":{"header":{},"ID":"9"}})"));
    REQUIRE(kept);
    CHECK(kept->ttl_seconds == 0);
}

TEST_CASE("a watch message decodes puts (no type) and deletes", "[etcd]") {
    std::string error;
    auto response =
        parse_watch(R"({"result":{"header":{"revision":"3"},"events":[{"kv":{"key":"L3AvYg==",
        "create_revision":"3","mod_revision":"3","version":"1","value":"Mg=="}},{"type":"DELETE","kv":
        {"key":"L3AvYQ==","mod_revision":"3"}}]}})",
                    error);
    REQUIRE(response);
    CHECK(response->revision == 3);
    REQUIRE(response->events.size() == 2);
    CHECK(response->events[0].type == WatchEvent::Type::put);
    CHECK(response->events[0].kv.value == "2");
    CHECK(response->events[1].type == WatchEvent::Type::delete_key);
    CHECK(response->events[1].kv.key == "/p/a");
}

TEST_CASE("a watch cancelled by compaction carries the compact revision", "[etcd]") {
    std::string error;
    auto response = parse_watch(
        R"({"result":{"header":{"raft_term":"2"},"canceled":true,"compact_revision":"3"}})", error);
    REQUIRE(response);
    CHECK(response->canceled);
    CHECK(response->compact_revision == 3);
    CHECK(response->events.empty());
}

TEST_CASE("a watch error or garbage says why", "[etcd]") {
    std::string error;
    CHECK_FALSE(
        parse_watch(R"({"error":{"grpc_code":14,"message":"etcdserver: no leader"}})", error));
    CHECK_THAT(error, Catch::Matchers::Contains("no leader"));
    CHECK_FALSE(parse_watch("{", error));
    CHECK_FALSE(parse_watch(R"({"result":{"events":[{"kv":{"key":"#"}}]}})", error));
}

TEST_CASE("a watch request asks for the prefix from a revision with progress notifications",
          "[etcd]") {
    CHECK(
        json::serialize(watch_request("/p/", 8)) ==
        R"({"create_request":{"key":"L3Av","range_end":"L3Aw","start_revision":"8","progress_notify":true}})");
}

TEST_CASE("error bodies give their message", "[etcd]") {
    CHECK(error_message(
              R"({"error":"x","code":3,"message":"mvcc: required revision has been compacted"})") ==
          "mvcc: required revision has been compacted");
    CHECK(error_message("plain") == "plain");
}

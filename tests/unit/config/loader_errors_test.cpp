// Invalid configs: each error names its key and points at its line:column.

#include "tests/unit/config/load_helpers.hpp"

using namespace turnout::config;
using namespace turnout::config::test;

TEST_CASE("an unknown top-level key suggests the closest one", "[config]") {
    require_error(preamble + "listner: []\n", 8, 1,
                  {"listner: unknown key", "did you mean 'listeners'?"});
}

TEST_CASE("an unknown key far from any lists the allowed keys", "[config]") {
    require_error(preamble + "colour: red\n", 8, 1,
                  {"colour: unknown key", "expected one of: workers, admin, state_dir"});
}

TEST_CASE("unknown keys are errors at every level", "[config]") {
    require_error(preamble + yaml(R"(
routes:
  - name: r
    upstream: app
    match: { path_prefx: /api }
)"),
                  11, 14,
                  {"routes[0].match.path_prefx: unknown key", "did you mean 'path_prefix'?"});

    require_error(preamble + yaml(R"(
  third:
    targets: [127.0.0.1:9003]
    health_check: { intervall: 5s }
)"),
                  10, 21, {"upstreams.third.health_check.intervall: unknown key", "'interval'"});
}

TEST_CASE("a value of the wrong type names what was expected and what came", "[config]") {
    require_error(preamble + "workers: { count: 2 }\n", 8, 10,
                  {"workers: must be auto or an integer from 1 to 1024, got a map"});
    require_error(preamble + "limits: [1, 2]\n", 8, 9, {"limits: must be a map, got a list"});
    require_error("listeners: web\n", 1, 12, {"listeners: must be a list, got \"web\""});
    require_error(yaml(R"(
listeners:
  - name: [web]
    address: 127.0.0.1:8080
)"),
                  2, 11, {"listeners[0].name: must be a name, got a list"});
    require_error(preamble + yaml(R"(
  third:
    targets: [{ address: 127.0.0.1:9003, weight: { a: 1 } }]
)"),
                  9, 50, {"upstreams.third.targets[0].weight: must be an integer", "got a map"});
    require_error(preamble + yaml(R"(
  third:
    targets: [127.0.0.1:9003]
    tls: { verify: maybe }
)"),
                  10, 20, {"upstreams.third.tls.verify: must be true or false, got \"maybe\""});
}

TEST_CASE("a value left empty is reported at its key", "[config]") {
    require_error(yaml(R"(
listeners:
  - name: web
    address:
)"),
                  3, 5, {"listeners[0].address: must be an address", "got nothing"});
}

TEST_CASE("a key given twice in one map is an error", "[config]") {
    require_error(yaml(R"(
listeners:
  - name: web
    address: 127.0.0.1:8080
    name: other
)"),
                  4, 5, {"listeners[0].name: duplicate key, first given at line 2"});
}

TEST_CASE("two upstreams with one name are an error", "[config]") {
    require_error(preamble + "  app:\n    targets: [127.0.0.1:9009]\n", 8, 3,
                  {"upstreams.app: duplicate upstream name, first given at line 4"});
}

TEST_CASE("two routes with one name are an error", "[config]") {
    require_error(preamble + yaml(R"(
routes:
  - { name: r, upstream: app }
  - { name: r, upstream: canary }
)"),
                  10, 13, {"routes[1].name: duplicate route name 'r', first used at line 9"});
}

TEST_CASE("two listeners with one name are an error", "[config]") {
    require_error(yaml(R"(
listeners:
  - { name: web, address: 127.0.0.1:8080 }
  - { name: web, address: 127.0.0.1:8081 }
)"),
                  3, 13,
                  {"listeners[1].name: duplicate listener name 'web'", "first used at line 2"});
}

TEST_CASE("two listeners on one address are an error, however written", "[config]") {
    require_error(yaml(R"(
listeners:
  - { name: a, address: ":8080" }
  - { name: b, address: 0.0.0.0:8080 }
)"),
                  3, 25,
                  {"listeners[1].address: duplicate listener address \"0.0.0.0:8080\"",
                   "first used at line 2"});
}

TEST_CASE("a route naming an unknown upstream is an error at the name", "[config]") {
    require_error(preamble + yaml(R"(
routes:
  - name: r
    upstream: ap
)"),
                  10, 15, {"routes[0].upstream: no upstream named 'ap'", "did you mean 'app'?"});
}

TEST_CASE("a split naming an unknown upstream is an error at the name", "[config]") {
    require_error(preamble + yaml(R"(
routes:
  - name: r
    split:
      - { upstream: app, weight: 90 }
      - { upstream: nowhere, weight: 10 }
)"),
                  12, 21,
                  {"routes[0].split[1].upstream: no upstream named 'nowhere'",
                   "the upstreams are: app, canary"});
}

TEST_CASE("a listener address that does not parse is an error", "[config]") {
    require_error(
        yaml(R"(
listeners:
  - { name: web, address: "localhost" }
)"),
        2, 27,
        {"listeners[0].address: must be an address like 127.0.0.1:8080", "got \"localhost\""});
}

TEST_CASE("a target address that does not parse or cannot be reached is an error", "[config]") {
    require_error(preamble + yaml(R"(
  bad:
    targets:
      - 127.0.0.1:9001
      - backend.internal:80
)"),
                  11, 9,
                  {"upstreams.bad.targets[1]: must be an address", "names are not looked up",
                   "got \"backend.internal:80\""});
    require_error(preamble + "  bad:\n    targets: [127.0.0.1:0]\n", 9, 15,
                  {"upstreams.bad.targets[0]: needs a port from 1 to 65535"});
    require_error(preamble + "  bad:\n    targets: [\":9000\"]\n", 9, 15,
                  {"upstreams.bad.targets[0]: needs the address of a host"});
}

TEST_CASE("weights must be integers of at least 0", "[config]") {
    require_error(preamble + yaml(R"(
  bad:
    targets: [{ address: 127.0.0.1:9003, weight: -1 }]
)"),
                  9, 50, {"upstreams.bad.targets[0].weight: must be an integer", "got \"-1\""});
    require_error(preamble + yaml(R"(
routes:
  - name: r
    split:
      - { upstream: app, weight: 2.5 }
)"),
                  11, 34, {"routes[0].split[0].weight: must be an integer", "got \"2.5\""});
}

TEST_CASE("weights that add up to 0 are an error", "[config]") {
    require_error(preamble + yaml(R"(
routes:
  - name: r
    split:
      - { upstream: app, weight: 0 }
      - { upstream: canary, weight: 0 }
)"),
                  11, 7, {"routes[0].split: the weights add up to 0"});
    require_error(preamble + yaml(R"(
  bad:
    targets: [{ address: 127.0.0.1:9003, weight: 0 }]
)"),
                  9, 14, {"upstreams.bad.targets: the weights add up to 0"});
}

TEST_CASE("a split or target list must not be empty", "[config]") {
    require_error(preamble + "routes:\n  - { name: r, split: [] }\n", 9, 23,
                  {"routes[0].split: needs at least one"});
    require_error(preamble + "  bad:\n    targets: []\n", 9, 14,
                  {"upstreams.bad.targets: needs at least one target"});
    require_error(preamble + "  bad: { balance: random_two }\n", 8, 8,
                  {"upstreams.bad: missing key 'targets'"});
}

TEST_CASE("a split naming one upstream twice is an error", "[config]") {
    require_error(preamble + yaml(R"(
routes:
  - name: r
    split: [{ upstream: app, weight: 1 }, { upstream: app, weight: 2 }]
)"),
                  10, 55, {"routes[0].split[1].upstream: duplicate split upstream 'app'"});
}

TEST_CASE("header and connection limits are counts", "[config]") {
    require_error(preamble + "limits:\n  max_headers: 0\n", 9, 16, {"limits.max_headers"});
    require_error(preamble + "limits:\n  max_headers: 16k\n", 9, 16, {"limits.max_headers"});
    require_error(preamble + "limits:\n  max_connections: -1\n", 9, 20, {"limits.max_connections"});
    require_error(preamble + "limits:\n  send_timeout: 0s\n", 9, 17, {"limits.send_timeout"});
}

TEST_CASE("durations need a unit and may not be negative", "[config]") {
    require_error(preamble + "limits:\n  header_timeout: 10\n", 9, 19,
                  {"limits.header_timeout: must be a duration like 500ms, 10s, 5m or 1h",
                   "got \"10\" (add a unit)"});
    require_error(preamble + "limits:\n  idle_timeout: -5s\n", 9, 17,
                  {"limits.idle_timeout: must be a duration", "got \"-5s\""});
    require_error(preamble + "limits:\n  drain_timeout: 99999999999999999999h\n", 9, 18,
                  {"limits.drain_timeout: must be a duration"});
    require_error(preamble + "limits:\n  drain_timeout: \"\"\n", 9, 18,
                  {"limits.drain_timeout: must be a duration", "got \"\""});
    require_error(preamble + "  bad:\n    targets: [127.0.0.1:1]\n    timeouts: { connect: 0s }\n",
                  10, 26, {"upstreams.bad.timeouts.connect: must be longer than 0"});
}

TEST_CASE("sizes take only k, m and g as units", "[config]") {
    require_error(
        preamble + "limits:\n  max_header_bytes: 16kb\n", 9, 21,
        {"limits.max_header_bytes: must be a size like 512, 16k, 1m or 1g", "got \"16kb\""});
    require_error(preamble + "limits:\n  max_body_bytes: -1\n", 9, 19,
                  {"limits.max_body_bytes: must be a size"});
}

TEST_CASE("a route with both upstream and split is an error", "[config]") {
    require_error(preamble + yaml(R"(
routes:
  - name: r
    upstream: app
    split: [{ upstream: canary, weight: 1 }]
)"),
                  11, 12, {"routes[0].split: give either upstream or split, not both"});
}

TEST_CASE("a route with neither upstream nor split is an error", "[config]") {
    require_error(preamble + yaml(R"(
routes:
  - name: r
    strip_prefix: /x
)"),
                  9, 5, {"routes[0]: needs upstream: NAME or split:"});
}

TEST_CASE("a match with both path and path_prefix is an error", "[config]") {
    require_error(
        preamble + yaml(R"(
routes:
  - name: r
    upstream: app
    match:
      path: /a
      path_prefix: /b
)"),
        13, 20,
        {"routes[0].match.path_prefix: give either path (exact) or path_prefix", "not both"});
}

TEST_CASE("match values are checked", "[config]") {
    std::string route = preamble + "routes:\n  - name: r\n    upstream: app\n    match: ";
    // The value after "    match: " starts at column 12 of line 11.
    require_error(route + "{ host: \"api.*\" }\n", 11, 20,
                  {"routes[0].match.host: must be a host name", "*.example.com"});
    require_error(route + "{ host: \"*\" }\n", 11, 20, {"routes[0].match.host"});
    require_error(route + "{ path_prefix: api }\n", 11, 27,
                  {"routes[0].match.path_prefix: must be a path starting with '/'"});
    require_error(route + "{ methods: [GET, \"BAD METHOD\"] }\n", 11, 29,
                  {"routes[0].match.methods[1]: must be an HTTP method"});
    require_error(route + "{ methods: [] }\n", 11, 23, {"routes[0].match.methods: an empty list"});
    require_error(route + "{ headers: { \"X Bad\": 1 } }\n", 11, 25,
                  {"routes[0].match.headers.X Bad: is not a valid header name"});
    require_error(
        route + "{ headers: { X-A: 1, x-a: 2 } }\n", 11, 33,
        {"routes[0].match.headers.x-a: duplicate header name 'x-a'", "first used at line 11"});
}

TEST_CASE("header rules may not set or remove a body's framing", "[config]") {
    std::string route = preamble + "routes:\n  - name: r\n    upstream: app\n    ";
    // Line 11 of each config is the rule's.
    require_error(route + "request_headers: { set: { Content-Length: \"5\" } }\n", 11, 31,
                  {"routes[0].request_headers.set.Content-Length: 'Content-Length' frames the "
                   "body, which turnout writes for each message itself; a header rule may not "
                   "set or remove it"});
    require_error(route + "request_headers: { remove: [transfer-encoding] }\n", 11, 33,
                  {"routes[0].request_headers.remove[0]: 'transfer-encoding' frames the body"});
    require_error(route + "response_headers: { set: { TRANSFER-ENCODING: chunked } }\n", 11, 32,
                  {"routes[0].response_headers.set.TRANSFER-ENCODING: 'TRANSFER-ENCODING' "
                   "frames the body"});
    require_error(route + "response_headers: { remove: [Server, content-length] }\n", 11, 42,
                  {"routes[0].response_headers.remove[1]: 'content-length' frames the body"});
}

TEST_CASE("hash_key goes with balance: hash and only with it", "[config]") {
    require_error(preamble + "  h:\n    targets: [127.0.0.1:9003]\n    balance: hash\n", 10, 14,
                  {"upstreams.h.balance: hash needs hash_key"});
    require_error(preamble + "  h:\n    targets: [127.0.0.1:9003]\n    hash_key: client_ip\n", 10,
                  15, {"upstreams.h.hash_key: only applies with balance: hash"});
    require_error(preamble + "  h:\n    targets: [127.0.0.1:9003]\n    balance: hsah\n", 10, 14,
                  {"upstreams.h.balance: must be one of", "did you mean 'hash'?"});
    require_error(preamble + "routes:\n  - { name: r, upstream: app, sticky: ip }\n", 9, 39,
                  {"routes[0].sticky: must be header:NAME, cookie:NAME or client_ip"});
}

TEST_CASE("admin settings are checked", "[config]") {
    require_error(preamble + "admin: { mode: \"0999\" }\n", 8, 16,
                  {"admin.mode: must be an octal file mode"});
    require_error(preamble + "admin: { mode: \"0400\" }\n", 8, 16,
                  {"admin.mode: must let the owner read and write"});
    require_error(preamble + "admin: { allow_uids: [-1] }\n", 8, 23,
                  {"admin.allow_uids[0]: must be an integer"});
    require_error(preamble + "admin: { socket: /" + std::string(120, 'a') + " }\n", 8, 18,
                  {"admin.socket: resolves to a path of 121 bytes, too long for a Unix socket"});
}

TEST_CASE("listener TLS needs certificates and a known version", "[config]") {
    require_error("listeners:\n  - { name: s, address: \":8443\", tls: { certificates: [] } }\n", 2,
                  55, {"listeners[0].tls.certificates: needs at least one certificate"});
    require_error(yaml(R"(
listeners:
  - name: s
    address: ":8443"
    tls: { certificates: [{ cert: a.pem }] }
)"),
                  4, 27, {"listeners[0].tls.certificates[0]: missing key 'key'"});
    require_error(yaml(R"(
listeners:
  - name: s
    address: ":8443"
    tls: { certificates: [{ cert: a.pem, key: a.key }], min_version: "1.1" }
)"),
                  4, 70, {"listeners[0].tls.min_version: must be one of 1.2, 1.3, got \"1.1\""});
}

TEST_CASE("listener http2 is true, false or settings in range", "[config]") {
    require_error("listeners:\n  - { name: s, address: \":80\", http2: yes please }\n", 2, 39,
                  {"listeners[0].http2: must be true or false"});
    require_error("listeners:\n  - { name: s, address: \":80\", http2: { streams: 4 } }\n", 2, 41,
                  {"listeners[0].http2.streams: unknown key; expected one of"});
    require_error(
        "listeners:\n  - { name: s, address: \":80\", http2: { max_concurrent_streams: 0 } }\n", 2,
        65, {"listeners[0].http2.max_concurrent_streams: must be an integer from 1"});
    require_error(
        "listeners:\n  - { name: s, address: \":80\", http2: { initial_window_size: 3g } }\n", 2,
        62,
        {"listeners[0].http2.initial_window_size: must be at most 2147483647 bytes, got \"3g\""});
}

TEST_CASE("a config without listeners is an error", "[config]") {
    require_error("", 1, 1, {"the config is empty"});
    require_error("upstreams: {}\n", 1, 1, {"missing key 'listeners'"});
    require_error("listeners: []\n", 1, 12, {"listeners: needs at least one listener"});
    require_error("- a\n- b\n", 1, 1, {"the config must be a map of sections", "got a list"});
}

TEST_CASE("a YAML syntax error is one error at its place", "[config]") {
    require_error(preamble + "workers: auto: 2\n", 8, 14,
                  {"YAML syntax error", "illegal map value"});
    require_error(preamble + "routes: [{ name: r, upstream: app }\n", 9, 1, {"YAML syntax error"});
}

TEST_CASE("a second YAML document is an error", "[config]") {
    require_error(preamble + "---\nworkers: 2\n", 9, 1, {"only one YAML document"});
}

// Found by the config_loader fuzz target: yaml-cpp's LoadAll never returns
// on these, growing memory until the process is killed.
TEST_CASE("a ',' where a YAML node belongs is a syntax error, not a hang", "[config]") {
    ConfigErrors errors = load_errors(",x\n");
    CHECK(errors[0].line == 1);
    CHECK(errors[0].column == 1);
    CHECK_THAT(errors[0].message, Catch::Matchers::Contains("YAML syntax error"));
    CHECK_THAT(describe(load_errors("1\n---\n,workers..\n")),
               Catch::Matchers::Contains("3:1: only one YAML document"));
}

TEST_CASE("every error in a config is reported, in file order", "[config]") {
    ConfigErrors errors = load_errors(yaml(R"(
workers: many
listeners:
  - { name: web, address: nowhere }
upstreams:
  app:
    targets: [127.0.0.1:9001]
    retries: lots
routes:
  - { name: r, upstream: missing }
)"));
    INFO(describe(errors));
    REQUIRE(errors.size() == 4);
    CHECK(errors[0].line == 1);
    CHECK(errors[0].column == 10);
    CHECK_THAT(errors[0].message, Catch::Matchers::StartsWith("workers:"));
    CHECK(errors[1].line == 3);
    CHECK(errors[1].column == 27);
    CHECK_THAT(errors[1].message, Catch::Matchers::StartsWith("listeners[0].address:"));
    CHECK(errors[2].line == 7);
    CHECK(errors[2].column == 14);
    CHECK_THAT(errors[2].message, Catch::Matchers::StartsWith("upstreams.app.retries:"));
    CHECK(errors[3].line == 9);
    CHECK(errors[3].column == 26);
    CHECK_THAT(errors[3].message, Catch::Matchers::StartsWith("routes[0].upstream:"));
}

TEST_CASE("YAML nested too deeply is an error, not a crash", "[config]") {
    ConfigErrors errors = load_errors(std::string(5000, '['));
    INFO(describe(errors));
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].line == 1);
    CHECK_THAT(errors[0].message, Catch::Matchers::Contains("nesting is too deep"));
}

TEST_CASE("a YAML alias inside the node it names is an error, not a crash", "[config]") {
    // Found by the config_loader fuzz target: the mapping anchored &up
    // holds *up, so yaml-cpp's tree is a cycle.
    ConfigErrors errors = load_errors("upstreams: &up\n  app: *up\n");
    INFO(describe(errors));
    REQUIRE(errors.size() == 1);
    CHECK_THAT(errors[0].message,
               Catch::Matchers::Contains("alias refers to a node that contains it"));
}

TEST_CASE("names must be usable in URLs and command lines", "[config]") {
    require_error(preamble + "  \"app=1\":\n    targets: [127.0.0.1:9003]\n", 8, 3,
                  {"upstreams.app=1: upstream names may only contain letters, digits"});
    require_error(preamble + "routes:\n  - { name: \"a/b\", upstream: app }\n", 9, 13,
                  {"routes[0].name: must be a name of letters, digits"});
}

TEST_CASE("a route naming an upstream when there are none says where to add it", "[config]") {
    require_error("listeners: [{ name: web, address: \":80\" }]\n"
                  "routes: [{ name: r, upstream: a }]\n",
                  2, 31, {"routes[0].upstream: no upstream named 'a'; define it under upstreams:"});
}

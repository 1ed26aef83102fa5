#pragma once

// Shared by the JSON codec, YAML writer and edit tests: a config that sets
// every field the model has (with awkward strings where a writer could go
// wrong), and a field-by-field comparison of two Configs that names the
// part that differs.

#include "config/json_codec.hpp"
#include "tests/unit/config/load_helpers.hpp"

#include <boost/json/serialize.hpp>

namespace turnout::config::test {

// Every key of SPEC §3 set to a value other than its default, plus strings
// that need quoting in YAML ("null", "~", "", " spaced ", "a: b", "#x").
inline const std::string every_field_yaml = yaml(R"(
workers: 4
admin:
  socket: run/admin.sock
  mode: "0660"
  allow_uids: [1000, 1001]
state_dir: /var/lib/turnout
access_log: logs/access.log
limits:
  max_header_bytes: 1500
  max_body_bytes: 1g
  header_timeout: 1500ms
  idle_timeout: 5m
  drain_timeout: 0s
listeners:
  - name: web
    address: ":8080"
    http2: true
  - name: websecure
    address: "[::1]:8443"
    http2: { max_concurrent_streams: 32, initial_window_size: 1m, max_header_list_size: 32k }
    tls:
      certificates:
        - { cert: certs/a.pem, key: certs/a.key }
        - { cert: /abs/b.pem, key: /abs/b.key }
      min_version: "1.3"
upstreams:
  app-v1:
    targets:
      - 127.0.0.1:9001
      - { address: 127.0.0.1:9002, weight: 3 }
      - { address: "[::1]:9004", weight: 0 }
    balance: hash
    hash_key: header:X-User
    keepalive: { max_idle: 32, idle_timeout: 90s }
    timeouts: { connect: 2s, response: 1h }
    retries: 0
    health_check:
      path: /healthz?full=1
      interval: 2500ms
      timeout: 1s
      unhealthy_after: 4
      healthy_after: 1
    outlier:
      consecutive_failures: 0
      eject_for: 45s
    tls: { verify: false, ca: certs/ca.pem, sni: app.internal }
  app-v2:
    targets: [localhost:9003]
    balance: least_request
    health_check: {}
    tls: {}
  "null":
    targets: [10.0.0.1:80, 10.0.0.2:80]
    balance: random_two
    keepalive: { max_idle: 0 }
routes:
  - name: api
    match:
      host: API.Example.com
      path_prefix: /api/
      methods: [GET, post]
      headers: { X-Env: canary, X-Null: "null", X-Empty: "", "~": " spaced " }
    split:
      - { upstream: app-v1, weight: 90 }
      - { upstream: app-v2, weight: 10 }
      - { upstream: "null", weight: 0 }
    sticky: cookie:session
    strip_prefix: /api
    request_headers:  { set: { X-Route: api, X-Two: "2", X-Colon: "a: b", X-Hash: "#x" }, remove: [X-Debug] }
    response_headers: { set: {}, remove: [Server, "~"] }
  - name: exact
    match: { host: "*.example.com", path: /login }
    upstream: app-v2
    sticky: client_ip
  - name: "true"
    upstream: "null"
    sticky: header:X-Session
    response_headers: { set: { X-Served-By: "{turnout}" } }
  - name: single-as-split
    match: { path: / }
    split:
      - { upstream: app-v1, weight: 1 }
)");

// A config of `count` routes over 20 upstreams, each route with a match,
// a split and header rules: the shape of a large real config.
inline Config large_config(std::size_t count) {
    Config config = *load_ok(preamble);
    for (int i = 0; i < 20; ++i) {
        Upstream upstream = config.upstreams[0];
        upstream.name = "pool-" + std::to_string(i);
        upstream.targets.push_back(
            Target{*parse_address("10.0.0." + std::to_string(i + 1) + ":8080"), 2});
        upstream.health_check = HealthCheck{};
        config.upstreams.push_back(std::move(upstream));
    }
    config.routes.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        Route route;
        route.name = "route-" + std::to_string(i);
        route.match.host = "svc" + std::to_string(i % 500) + ".example.com";
        route.match.path = "/api/v1/items/" + std::to_string(i) + "/";
        route.match.methods = {"GET", "POST"};
        route.match.headers = {{"X-Tenant", "tenant-" + std::to_string(i % 7)}};
        route.split = {SplitEntry{"pool-" + std::to_string(i % 20), 90},
                       SplitEntry{"pool-" + std::to_string((i + 1) % 20), 10}};
        route.sticky = KeySource{KeySource::Kind::cookie, "session"};
        route.strip_prefix = "/api";
        route.request_headers.set = {{"X-Route", route.name}};
        route.response_headers.remove = {"Server"};
        config.routes.push_back(std::move(route));
    }
    return config;
}

// CHECKs that `a` and `b` are equal, part by part, so a failure shows which
// part differs (Config has no operator==; its parts do).
inline void check_same_config(const Config& a, const Config& b) {
    CHECK(a.source_path == b.source_path);
    CHECK(a.workers == b.workers);
    CHECK(a.admin == b.admin);
    CHECK(a.state_dir == b.state_dir);
    CHECK(a.access_log == b.access_log);
    CHECK(a.limits == b.limits);
    CHECK(a.listeners == b.listeners);
    REQUIRE(a.upstreams.size() == b.upstreams.size());
    for (std::size_t i = 0; i < a.upstreams.size(); ++i) {
        INFO("upstream " << i << "\n"
                         << boost::json::serialize(to_json(a.upstreams[i])) << "\n"
                         << boost::json::serialize(to_json(b.upstreams[i])));
        CHECK(a.upstreams[i] == b.upstreams[i]);
    }
    REQUIRE(a.routes.size() == b.routes.size());
    for (std::size_t i = 0; i < a.routes.size(); ++i) {
        INFO("route " << i << "\n"
                      << boost::json::serialize(to_json(a.routes[i])) << "\n"
                      << boost::json::serialize(to_json(b.routes[i])));
        CHECK(a.routes[i] == b.routes[i]);
    }
}

}  // namespace turnout::config::test

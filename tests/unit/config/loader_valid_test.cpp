// Valid configs: every key lands in the model, with the right defaults.

#include "tests/unit/config/load_helpers.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace turnout::config;
using namespace turnout::config::test;
using namespace std::chrono_literals;

namespace {

// SPEC §3's example with every key set, plus the upstream its split names.
const std::string full_config = yaml(R"(
workers: 4
admin:
  socket: run/admin.sock
  mode: "0660"
  allow_uids: [1000, 1001]
state_dir: /var/lib/turnout
access_log: logs/access.log
limits:
  max_header_bytes: 16k
  max_body_bytes: 1g
  header_timeout: 10s
  idle_timeout: 500ms
  drain_timeout: 1m
  send_timeout: 5s
  max_headers: 50
  max_connections: 0
listeners:
  - name: web
    address: 127.0.0.1:8080
  - name: websecure
    address: "[::1]:8443"
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
    balance: hash
    hash_key: header:X-User
    keepalive: { max_idle: 32, idle_timeout: 90s }
    timeouts: { connect: 2s, response: 1h }
    retries: 2
    health_check:
      path: /healthz
      interval: 5s
      timeout: 1s
      unhealthy_after: 4
      healthy_after: 2
    outlier:
      consecutive_failures: 7
      eject_for: 30s
    tls: { verify: false, ca: certs/ca.pem, sni: app.internal }
  app-v2:
    targets: [localhost:9003]
    balance: least_request
routes:
  - name: api
    match:
      host: API.Example.com
      path_prefix: /api/
      methods: [GET, post]
      headers: { X-Env: canary }
    split:
      - { upstream: app-v1, weight: 90 }
      - { upstream: app-v2, weight: 10 }
    sticky: cookie:session
    strip_prefix: /api
    request_headers:  { set: { X-Route: api, X-Two: "2" }, remove: [X-Debug] }
    response_headers: { set: {}, remove: [Server] }
  - name: exact
    match: { host: "*.example.com", path: /login }
    upstream: app-v2
    sticky: client_ip
)");

}  // namespace

TEST_CASE("a config with every key loads into the model", "[config]") {
    auto config = load_ok(full_config);
    CHECK(config->workers == 4);
    CHECK(config->admin.socket == "/etc/turnout/run/admin.sock");
    CHECK(config->admin.mode == 0660U);
    CHECK(config->admin.allow_uids == std::vector<unsigned>{1000, 1001});
    CHECK(config->state_dir == "/var/lib/turnout");
    CHECK(config->access_log == "/etc/turnout/logs/access.log");
    CHECK(config->limits.max_header_bytes == 16 * 1024);
    CHECK(config->limits.max_body_bytes == 1024ULL * 1024 * 1024);
    CHECK(config->limits.header_timeout == 10s);
    CHECK(config->limits.idle_timeout == 500ms);
    CHECK(config->limits.drain_timeout == 1min);
    CHECK(config->limits.send_timeout == 5s);
    CHECK(config->limits.max_headers == 50);
    CHECK(config->limits.max_connections == 0);
    CHECK(config->source_path.empty());
}

TEST_CASE("listeners load with their addresses and TLS settings", "[config]") {
    auto config = load_ok(full_config);
    REQUIRE(config->listeners.size() == 2);
    const Listener& web = config->listeners[0];
    CHECK(web.name == "web");
    CHECK(web.address.text == "127.0.0.1:8080");
    CHECK(web.address.endpoint.port() == 8080);
    CHECK_FALSE(web.tls);

    const Listener& secure = config->listeners[1];
    CHECK(secure.name == "websecure");
    CHECK(secure.address.endpoint.address().to_string() == "::1");
    REQUIRE(secure.tls);
    REQUIRE(secure.tls->certificates.size() == 2);
    CHECK(secure.tls->certificates[0].cert == "/etc/turnout/certs/a.pem");
    CHECK(secure.tls->certificates[0].key == "/etc/turnout/certs/a.key");
    CHECK(secure.tls->certificates[1].cert == "/abs/b.pem");
    CHECK(secure.tls->min_version == "1.3");
}

TEST_CASE("upstreams load every setting in file order", "[config]") {
    auto config = load_ok(full_config);
    REQUIRE(config->upstreams.size() == 2);
    const Upstream& app = config->upstreams[0];
    CHECK(app.name == "app-v1");
    REQUIRE(app.targets.size() == 2);
    CHECK(app.targets[0].address.text == "127.0.0.1:9001");
    CHECK(app.targets[0].weight == 1);
    CHECK(app.targets[1].address.endpoint.port() == 9002);
    CHECK(app.targets[1].weight == 3);
    CHECK(app.balance == Balance::hash);
    CHECK(app.hash_key == KeySource{KeySource::Kind::header, "X-User"});
    CHECK(app.keepalive.max_idle == 32);
    CHECK(app.keepalive.idle_timeout == 90s);
    CHECK(app.timeouts.connect == 2s);
    CHECK(app.timeouts.response == 1h);
    CHECK(app.retries == 2);
    REQUIRE(app.health_check);
    CHECK(app.health_check->path == "/healthz");
    CHECK(app.health_check->interval == 5s);
    CHECK(app.health_check->timeout == 1s);
    CHECK(app.health_check->unhealthy_after == 4);
    CHECK(app.health_check->healthy_after == 2);
    CHECK(app.outlier.consecutive_failures == 7);
    CHECK(app.outlier.eject_for == 30s);
    REQUIRE(app.tls);
    CHECK_FALSE(app.tls->verify);
    CHECK(app.tls->ca == "/etc/turnout/certs/ca.pem");
    CHECK(app.tls->sni == "app.internal");

    const Upstream& v2 = config->upstreams[1];
    CHECK(v2.targets[0].address.endpoint.address().to_string() == "127.0.0.1");
    CHECK(v2.balance == Balance::least_request);
    CHECK(v2.hash_key.kind == KeySource::Kind::none);
    CHECK(config->find_upstream("app-v2") == &v2);
    CHECK(config->find_upstream("nope") == nullptr);
}

TEST_CASE("routes load their match, split and header rules", "[config]") {
    auto config = load_ok(full_config);
    REQUIRE(config->routes.size() == 2);
    const Route& api = config->routes[0];
    CHECK(api.name == "api");
    CHECK(api.match.host == "api.example.com");
    CHECK(api.match.path == "/api/");
    CHECK_FALSE(api.match.path_exact);
    CHECK(api.match.methods == std::vector<std::string>{"GET", "POST"});
    CHECK(api.match.headers == HeaderList{{"X-Env", "canary"}});
    REQUIRE(api.split.size() == 2);
    CHECK(api.split[0].upstream == "app-v1");
    CHECK(api.split[0].weight == 90);
    CHECK(api.split[1].upstream == "app-v2");
    CHECK(api.split[1].weight == 10);
    CHECK_FALSE(api.single_upstream);
    CHECK(api.sticky == KeySource{KeySource::Kind::cookie, "session"});
    CHECK(api.strip_prefix == "/api");
    CHECK(api.request_headers.set == HeaderList{{"X-Route", "api"}, {"X-Two", "2"}});
    CHECK(api.request_headers.remove == std::vector<std::string>{"X-Debug"});
    CHECK(api.response_headers.set.empty());
    CHECK(api.response_headers.remove == std::vector<std::string>{"Server"});

    const Route& exact = config->routes[1];
    CHECK(exact.match.host == "*.example.com");
    CHECK(exact.match.path == "/login");
    CHECK(exact.match.path_exact);
    REQUIRE(exact.split.size() == 1);
    CHECK(exact.split[0].upstream == "app-v2");
    CHECK(exact.split[0].weight == 1);
    CHECK(exact.single_upstream);
    CHECK(exact.sticky.kind == KeySource::Kind::client_ip);
    CHECK(config->find_route("exact") == &exact);
    CHECK(config->find_route("missing") == nullptr);
}

TEST_CASE("keys left out take the defaults of SPEC 3", "[config]") {
    auto config = load_ok(preamble + "routes:\n  - { name: r, upstream: app }\n");
    CHECK(config->workers == 0);
    CHECK(config->admin.socket == "/etc/turnout/run/admin.sock");
    CHECK_FALSE(config->admin.mode);
    CHECK(config->admin.allow_uids.empty());
    CHECK(config->state_dir == "/etc/turnout/run/state");
    CHECK_FALSE(config->access_log);
    CHECK(config->limits.max_header_bytes == 16 * 1024);
    CHECK(config->limits.max_body_bytes == 0);
    CHECK(config->limits.header_timeout == 10s);
    CHECK(config->limits.idle_timeout == 60s);
    CHECK(config->limits.drain_timeout == 30s);
    CHECK(config->limits.send_timeout == 60s);
    CHECK(config->limits.max_headers == 100);
    CHECK(config->limits.max_connections == 10000);

    const Upstream& app = config->upstreams.at(0);
    CHECK(app.balance == Balance::round_robin);
    CHECK(app.keepalive.max_idle == 64);
    CHECK(app.keepalive.idle_timeout == 60s);
    CHECK(app.timeouts.connect == 3s);
    CHECK(app.timeouts.response == 60s);
    CHECK(app.retries == 1);
    CHECK_FALSE(app.health_check);
    CHECK(app.outlier.consecutive_failures == 5);
    CHECK(app.outlier.eject_for == 30s);
    CHECK_FALSE(app.tls);

    const Route& route = config->routes.at(0);
    CHECK(route.match.host.empty());
    CHECK(route.match.path == "/");
    CHECK_FALSE(route.match.path_exact);
    CHECK(route.match.methods.empty());
    CHECK(route.match.headers.empty());
    CHECK(route.sticky.kind == KeySource::Kind::none);
    CHECK(route.strip_prefix.empty());
}

TEST_CASE("empty sub-sections take their defaults", "[config]") {
    auto config = load_ok(preamble + yaml(R"(
  third:
    targets: [127.0.0.1:9003]
    health_check:
    tls: {}
limits:
)"));
    const Upstream& third = config->upstreams.at(2);
    REQUIRE(third.health_check);
    CHECK(third.health_check->path == "/healthz");
    CHECK(third.health_check->interval == 5s);
    CHECK(third.health_check->unhealthy_after == 3);
    REQUIRE(third.tls);
    CHECK(third.tls->verify);
    CHECK(third.tls->ca.empty());
    CHECK(config->limits.idle_timeout == 60s);
}

TEST_CASE("values in their other accepted forms", "[config]") {
    auto config = load_ok(yaml(R"(
workers: auto
admin: { mode: 660 }
access_log: stdout
limits: { max_header_bytes: 8192, max_body_bytes: 0 }
listeners:
  - { name: any, address: ":8080" }
  - { name: ephemeral, address: "127.0.0.1:0" }
  - { name: ephemeral2, address: "127.0.0.1:0" }
  - { name: local, address: "localhost:8081" }
upstreams:
  app:
    targets: [{ address: 127.0.0.1:9001 }, { address: "[::1]:9002", weight: 0 }]
    balance: hash
    hash_key: cookie:uid
)"));
    CHECK(config->workers == 0);
    CHECK(config->admin.mode == 0660U);
    CHECK(config->access_log == "stdout");
    CHECK(config->limits.max_header_bytes == 8192);
    CHECK(config->listeners[0].address.endpoint.address().to_string() == "0.0.0.0");
    CHECK(config->listeners[1].address.endpoint.port() == 0);
    CHECK(config->listeners[3].address.endpoint.address().to_string() == "127.0.0.1");
    CHECK(config->upstreams[0].targets[0].weight == 1);
    CHECK(config->upstreams[0].targets[1].weight == 0);
    CHECK(config->upstreams[0].hash_key == KeySource{KeySource::Kind::cookie, "uid"});
    CHECK(config->routes.empty());
}

TEST_CASE("a config file resolves relative paths against its folder", "[config]") {
    auto folder = std::filesystem::temp_directory_path() /
                  ("turnout-config-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(folder);
    auto path = folder / "turnout.yaml";
    std::ofstream(path) << "state_dir: state\n" << preamble;

    auto result = load_config_file(path.string());
    std::filesystem::remove_all(folder);
    auto* config = std::get_if<std::shared_ptr<const Config>>(&result);
    REQUIRE(config);
    CHECK((*config)->source_path == path.string());
    CHECK((*config)->state_dir == (folder / "state").string());
    CHECK((*config)->admin.socket == (folder / "run/admin.sock").string());
}

TEST_CASE("a config file that cannot be read is one error without a place", "[config]") {
    auto result = load_config_file("/nonexistent/turnout.yaml");
    auto* errors = std::get_if<ConfigErrors>(&result);
    REQUIRE(errors);
    REQUIRE(errors->size() == 1);
    CHECK((*errors)[0].file == "/nonexistent/turnout.yaml");
    CHECK((*errors)[0].line == 0);
    CHECK_THAT((*errors)[0].message, Catch::Matchers::Contains("No such file"));
    CHECK_THAT((*errors)[0].to_string(),
               Catch::Matchers::StartsWith("/nonexistent/turnout.yaml: cannot read"));
}

TEST_CASE("errors print as FILE:LINE:COL: message", "[config]") {
    ConfigError error{"a.yaml", 3, 7, "routes[0].upstream: no upstream named 'x'"};
    CHECK(error.to_string() == "a.yaml:3:7: routes[0].upstream: no upstream named 'x'");
}

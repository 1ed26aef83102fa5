// The bootstrap file's `source: etcd:` section: read, and every mistake
// reported at its line:column.

#include "tests/unit/config/load_helpers.hpp"

using namespace turnout::config;
using namespace turnout::config::test;

namespace {

const std::string head = yaml(R"(
state_dir: run/state
source:
  etcd:
)");

}  // namespace

TEST_CASE("a bootstrap with a source needs no listeners", "[config]") {
    auto config = load_ok(head + yaml(R"(
    endpoints: ["http://127.0.0.1:2379", "https://etcd-2:2379"]
    prefix: /turnout/prod/
    node: edge-1
    tls: { ca: ca.pem, cert: client.pem, key: client.key }
    username: turnout
    password_file: etcd.pass
)"));
    REQUIRE(config->source);
    const auto& source = *config->source;
    CHECK(source.endpoints ==
          std::vector<std::string>{"http://127.0.0.1:2379", "https://etcd-2:2379"});
    CHECK(source.prefix == "/turnout/prod/");
    CHECK(source.node == "edge-1");
    CHECK(source.ca == "/etc/turnout/ca.pem");
    CHECK(source.key == "/etc/turnout/client.key");
    CHECK(source.username == "turnout");
    CHECK(source.password_file == "/etc/turnout/etcd.pass");
    CHECK(config->listeners.empty());
}

TEST_CASE("the node defaults to the host name", "[config]") {
    auto config = load_ok(head + "    endpoints: [\"http://127.0.0.1:2379\"]\n    prefix: /p/\n");
    REQUIRE(config->source);
    CHECK_FALSE(config->source->node.empty());
}

TEST_CASE("a config without a source still needs listeners", "[config]") {
    require_error("state_dir: run/state\n", 1, 1, {"missing key 'listeners'"});
}

TEST_CASE("source mistakes are reported where they are", "[config]") {
    SECTION("no endpoints") {
        require_error(head + "    prefix: /p/\n", 4, 5, {"missing key 'endpoints'"});
    }
    SECTION("an empty endpoint list") {
        require_error(head + "    endpoints: []\n    prefix: /p/\n", 4, 16,
                      {"at least one endpoint"});
    }
    SECTION("an endpoint that is no URL") {
        require_error(head + "    endpoints: [\"127.0.0.1:2379\"]\n    prefix: /p/\n", 4, 17,
                      {"endpoints[0]", "http://127.0.0.1:2379"});
    }
    SECTION("an endpoint with a path") {
        require_error(head + "    endpoints: [\"http://h:2379/v3\"]\n    prefix: /p/\n", 4, 17,
                      {"no path"});
    }
    SECTION("a prefix not ending with a slash") {
        require_error(head + "    endpoints: [\"http://h:2379\"]\n    prefix: /p\n", 5, 13,
                      {"must end with '/'"});
    }
    SECTION("a node name with a space") {
        require_error(head +
                          "    endpoints: [\"http://h:2379\"]\n    prefix: /p/\n    node: edge 1\n",
                      6, 11, {"node", "letters, digits"});
    }
    SECTION("a username without a password file") {
        require_error(head +
                          "    endpoints: [\"http://h:2379\"]\n    prefix: /p/\n    username: u\n",
                      4, 5, {"username and password_file go together"});
    }
    SECTION("a client cert without its key") {
        require_error(
            head +
                "    endpoints: [\"http://h:2379\"]\n    prefix: /p/\n    tls: { cert: c.pem }\n",
            6, 10, {"cert and key go together"});
    }
    SECTION("an unknown key") {
        require_error(head +
                          "    endpoints: [\"http://h:2379\"]\n    prefix: /p/\n    prefixx: /q/\n",
                      6, 5, {"prefixx"});
    }
    SECTION("a source other than etcd") {
        const auto errors = describe(load_errors("source:\n  consul: {}\n"));
        CHECK_THAT(errors, Catch::Matchers::Contains("test.yaml:2:3: source.consul: unknown key"));
        CHECK_THAT(errors, Catch::Matchers::Contains("missing key 'etcd'"));
    }
}

#include "master/tls_files.hpp"

#include "tests/unit/server/tls/test_certificates.hpp"
#include "tests/unit/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using turnout::config::Config;
using turnout::config::ConfigErrors;
using turnout::config::Listener;
using turnout::config::ListenerTls;
using turnout::config::Upstream;
using turnout::config::UpstreamTls;
using turnout::master::check_tls_files;
using turnout::master::check_upstream_ca;
using turnout::master::read_listener_tls;
using turnout::server::TlsMaterial;
using turnout::test::make_certificate;
using turnout::test::TempDir;

namespace {

std::string write(const TempDir& dir, const std::string& name, const std::string& text) {
    const auto path = (dir.path() / name).string();
    std::ofstream{path} << text;
    return path;
}

Listener tls_listener(std::string name, std::vector<turnout::config::TlsCertificate> certificates) {
    Listener listener;
    listener.name = std::move(name);
    listener.tls = ListenerTls{std::move(certificates), "1.2"};
    return listener;
}

// The errors' messages, one string each.
std::vector<std::string> messages(const ConfigErrors& errors) {
    std::vector<std::string> out;
    for (const auto& error : errors) {
        out.push_back(error.message);
    }
    return out;
}

}  // namespace

TEST_CASE("Listener certificates are read whole, with their paths", "[tls]") {
    TempDir dir;
    const auto a = make_certificate("a.test");
    const auto b = make_certificate("b.test");
    Config config;
    config.listeners.push_back(Listener{"web", {}, std::nullopt});
    config.listeners.push_back(
        tls_listener("websecure", {{write(dir, "a.pem", a.cert), write(dir, "a.key", a.key)},
                                   {write(dir, "b.pem", b.cert), write(dir, "b.key", b.key)}}));
    const std::string keys(80, 'k');
    auto read = read_listener_tls(config, keys, "turnout.yaml");
    auto* material = std::get_if<TlsMaterial>(&read);
    REQUIRE(material);
    CHECK(material->ticket_keys == keys);
    REQUIRE(material->listeners.size() == 1);
    const auto& listener = material->listeners.at("websecure");
    REQUIRE(listener.certificates.size() == 2);
    CHECK(listener.certificates[0].cert == a.cert);
    CHECK(listener.certificates[1].key == b.key);
    CHECK(listener.certificates[1].key_path == (dir.path() / "b.key").string());
}

TEST_CASE("A certificate file that does not load fails with its path", "[tls]") {
    TempDir dir;
    const auto good = make_certificate("good.test");
    const auto other = make_certificate("other.test");
    const auto cert = write(dir, "good.pem", good.cert);
    const auto key = write(dir, "good.key", good.key);
    Config config;
    SECTION("missing") {
        const auto missing = (dir.path() / "missing.pem").string();
        config.listeners.push_back(tls_listener("websecure", {{missing, key}}));
        auto read = read_listener_tls(config, {}, "turnout.yaml");
        auto* errors = std::get_if<ConfigErrors>(&read);
        REQUIRE(errors);
        REQUIRE(errors->size() == 1);
        CHECK(errors->front().file == "turnout.yaml");
        CHECK(errors->front().message == "listener websecure: certificate " + missing +
                                             " cannot be read: No such file or directory");
    }
    SECTION("broken, or a key of another certificate, on two listeners: both reported") {
        const auto broken = write(dir, "broken.pem", "-----BEGIN CERTIFICATE-----\nnot base64\n");
        const auto other_key = write(dir, "other.key", other.key);
        config.listeners.push_back(tls_listener("one", {{broken, key}}));
        config.listeners.push_back(tls_listener("two", {{cert, other_key}}));
        auto read = read_listener_tls(config, {}, "turnout.yaml");
        auto* errors = std::get_if<ConfigErrors>(&read);
        REQUIRE(errors);
        const auto texts = messages(*errors);
        REQUIRE(texts.size() == 2);
        CHECK_THAT(texts[0],
                   Catch::StartsWith("listener one: certificate " + broken + " does not load"));
        CHECK(texts[1] == "listener two: key " + other_key + " does not match certificate " + cert);
    }
}

TEST_CASE("An upstream CA file is checked only when it is used", "[tls]") {
    TempDir dir;
    const auto ca = make_certificate("ca.test");
    Upstream upstream;
    upstream.name = "internal";
    upstream.tls = UpstreamTls{true, write(dir, "ca.pem", ca.cert), ""};
    CHECK(check_upstream_ca(upstream, "f.yaml").empty());

    upstream.tls->ca = write(dir, "junk.pem", "not a certificate");
    const auto errors = check_upstream_ca(upstream, "f.yaml");
    REQUIRE(errors.size() == 1);
    CHECK_THAT(errors.front().message, Catch::StartsWith("upstream internal: CA file " +
                                                         upstream.tls->ca + " does not load"));

    upstream.tls->verify = false;
    CHECK(check_upstream_ca(upstream, "f.yaml").empty());
}

TEST_CASE("check_tls_files reports listeners and upstreams together", "[tls]") {
    TempDir dir;
    const auto missing = (dir.path() / "missing.pem").string();
    Config config;
    config.listeners.push_back(tls_listener("websecure", {{missing, missing}}));
    Upstream upstream;
    upstream.name = "internal";
    upstream.tls = UpstreamTls{true, missing, ""};
    config.upstreams.push_back(upstream);
    const auto texts = messages(check_tls_files(config, "f.yaml"));
    REQUIRE(texts.size() == 2);
    CHECK_THAT(texts[0], Catch::Contains(missing));
    CHECK_THAT(texts[1], Catch::StartsWith("upstream internal: CA file " + missing));
}

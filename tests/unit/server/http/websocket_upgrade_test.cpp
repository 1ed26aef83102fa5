#include "server/http/websocket_upgrade.hpp"

#include "server/http/header_rules.hpp"

#include <catch2/catch.hpp>

namespace http = boost::beast::http;
using turnout::server::Fields;
using turnout::server::is_websocket_upgrade;
using turnout::server::keep_websocket_upgrade;

namespace {

http::request_header<Fields> upgrade_request(std::string_view upgrade, std::string_view connection,
                                             http::verb method = http::verb::get,
                                             unsigned version = 11) {
    http::request_header<Fields> request;
    request.method(method);
    request.version(version);
    request.target("/chat");
    request.set(http::field::host, "ws.example.com");
    request.set(http::field::upgrade, upgrade);
    request.set(http::field::connection, connection);
    return request;
}

}  // namespace

TEST_CASE("A WebSocket upgrade is a 1.1 GET naming websocket and upgrade", "[websocket]") {
    CHECK(is_websocket_upgrade(upgrade_request("websocket", "Upgrade")));
    CHECK(is_websocket_upgrade(upgrade_request("WebSocket", "keep-alive, Upgrade")));
    CHECK(is_websocket_upgrade(upgrade_request("h2c, websocket", "upgrade ,close")));
}

TEST_CASE("Other upgrades are not WebSocket upgrades", "[websocket]") {
    CHECK_FALSE(is_websocket_upgrade(upgrade_request("h2c", "Upgrade")));
    CHECK_FALSE(is_websocket_upgrade(upgrade_request("websocketx", "Upgrade")));
    CHECK_FALSE(is_websocket_upgrade(upgrade_request("websocket", "keep-alive")));
    CHECK_FALSE(is_websocket_upgrade(upgrade_request("websocket", "Upgrade", http::verb::post)));
    CHECK_FALSE(is_websocket_upgrade(upgrade_request("websocket", "Upgrade", http::verb::get, 10)));
    http::request_header<Fields> plain;
    plain.method(http::verb::get);
    plain.version(11);
    CHECK_FALSE(is_websocket_upgrade(plain));
}

TEST_CASE("The upgrade headers survive hop-by-hop removal only when put back", "[websocket]") {
    auto request = upgrade_request("websocket", "Upgrade, X-Private");
    request.set("X-Private", "secret");
    request.set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
    turnout::server::remove_hop_by_hop(request);
    CHECK(request.count(http::field::upgrade) == 0);
    keep_websocket_upgrade(request);
    CHECK(request[http::field::upgrade] == "websocket");
    CHECK(request[http::field::connection] == "Upgrade");
    CHECK(request.count("X-Private") == 0);
    CHECK(request["Sec-WebSocket-Key"] == "dGhlIHNhbXBsZSBub25jZQ==");
}

#include "server/http/websocket_upgrade.hpp"

#include "server/http/header_rules.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>

namespace http = boost::beast::http;
using turnout::server::HeadFields;
using turnout::server::is_websocket_upgrade;
using turnout::server::keep_websocket_upgrade;
using turnout::server::RequestHead;

namespace {

// A head stays where it was made (its fields point into it): one on the heap.
std::unique_ptr<RequestHead> upgrade_request(std::string_view upgrade, std::string_view connection,
                                             http::verb method = http::verb::get,
                                             unsigned version = 11) {
    auto request = std::make_unique<RequestHead>();
    request->start(method, http::to_string(method), "/chat", version);
    request->set(http::field::host, "ws.example.com");
    request->set(http::field::upgrade, upgrade);
    request->set(http::field::connection, connection);
    return request;
}

std::size_t count(const HeadFields& fields, std::string_view name) {
    const HeadFields::Name wanted{name};
    return static_cast<std::size_t>(std::ranges::count_if(
        fields, [&wanted](const HeadFields::Field& field) { return wanted.matches(field); }));
}

}  // namespace

TEST_CASE("A WebSocket upgrade is a 1.1 GET naming websocket and upgrade", "[websocket]") {
    CHECK(is_websocket_upgrade(*upgrade_request("websocket", "Upgrade")));
    CHECK(is_websocket_upgrade(*upgrade_request("WebSocket", "keep-alive, Upgrade")));
    CHECK(is_websocket_upgrade(*upgrade_request("h2c, websocket", "upgrade ,close")));
}

TEST_CASE("Other upgrades are not WebSocket upgrades", "[websocket]") {
    CHECK_FALSE(is_websocket_upgrade(*upgrade_request("h2c", "Upgrade")));
    CHECK_FALSE(is_websocket_upgrade(*upgrade_request("websocketx", "Upgrade")));
    CHECK_FALSE(is_websocket_upgrade(*upgrade_request("websocket", "keep-alive")));
    CHECK_FALSE(is_websocket_upgrade(*upgrade_request("websocket", "Upgrade", http::verb::post)));
    CHECK_FALSE(
        is_websocket_upgrade(*upgrade_request("websocket", "Upgrade", http::verb::get, 10)));
    RequestHead plain;
    plain.start(http::verb::get, "GET", "/", 11);
    CHECK_FALSE(is_websocket_upgrade(plain));
}

TEST_CASE("The upgrade headers survive hop-by-hop removal only when put back", "[websocket]") {
    const auto upgrade = upgrade_request("websocket", "Upgrade, X-Private");
    auto& request = *upgrade;
    request.set("X-Private", "secret");
    request.set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
    turnout::server::remove_hop_by_hop(request);
    CHECK(count(request, "Upgrade") == 0);
    keep_websocket_upgrade(request);
    CHECK(request[http::field::upgrade] == "websocket");
    CHECK(request[http::field::connection] == "Upgrade");
    CHECK(count(request, "X-Private") == 0);
    CHECK(request["Sec-WebSocket-Key"] == "dGhlIHNhbXBsZSBub25jZQ==");
}

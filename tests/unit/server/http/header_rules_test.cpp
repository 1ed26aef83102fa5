#include "server/http/header_rules.hpp"

#include "server/http/request_head.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace http = boost::beast::http;
using turnout::config::HeaderRules;
using turnout::server::add_forwarded_headers;
using turnout::server::apply_header_rules;
using Fields = turnout::server::RequestHead;
using turnout::server::remove_hop_by_hop;

namespace {

// Every value of `name`, in order.
std::vector<std::string> values(const Fields& fields, std::string_view name) {
    std::vector<std::string> result;
    for (const auto& field : fields) {
        if (boost::beast::iequals(field.name_string(), name)) {
            result.emplace_back(field.value());
        }
    }
    return result;
}

std::size_t count(const Fields& fields) {
    return static_cast<std::size_t>(std::distance(fields.begin(), fields.end()));
}

}  // namespace

TEST_CASE("each hop-by-hop header is removed", "[server][header_rules]") {
    auto name = GENERATE("Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer",
                         "Transfer-Encoding", "Upgrade", "connection", "transfer-encoding");
    Fields fields;
    fields.insert("Host", "example.com");
    fields.insert(name, "x");
    fields.insert("Accept", "*/*");
    remove_hop_by_hop(fields);
    CHECK(values(fields, name).empty());
    CHECK(values(fields, "Host") == std::vector<std::string>{"example.com"});
    CHECK(values(fields, "Accept") == std::vector<std::string>{"*/*"});
    CHECK(count(fields) == 2);
}

TEST_CASE("headers named in Connection are removed", "[server][header_rules]") {
    Fields fields;
    fields.insert("Connection", "close, X-Foo ,\tx-bar");
    fields.insert("X-Foo", "1");
    fields.insert("X-Bar", "2");
    fields.insert("X-Baz", "3");
    fields.insert("x-foo", "4");
    fields.insert("Connection", "X-Qux");
    fields.insert("X-Qux", "5");
    remove_hop_by_hop(fields);
    CHECK(values(fields, "X-Foo").empty());
    CHECK(values(fields, "X-Bar").empty());
    CHECK(values(fields, "X-Qux").empty());
    CHECK(values(fields, "Connection").empty());
    CHECK(values(fields, "X-Baz") == std::vector<std::string>{"3"});
    CHECK(count(fields) == 1);
}

TEST_CASE("hop-by-hop headers named in Connection go, and only they", "[server][header_rules]") {
    Fields fields;
    fields.insert("Connection", "keep-alive, Upgrade, te");
    fields.insert("Keep-Alive", "timeout=5");
    fields.insert("Upgrade", "websocket");
    fields.insert("Server", "backend");
    fields.insert("Content-Length", "0");
    remove_hop_by_hop(fields);
    CHECK(values(fields, "Keep-Alive").empty());
    CHECK(values(fields, "Upgrade").empty());
    CHECK(values(fields, "Server") == std::vector<std::string>{"backend"});
    CHECK(values(fields, "Content-Length") == std::vector<std::string>{"0"});
    CHECK(count(fields) == 2);
}

TEST_CASE("Connection cannot strip Host or Content-Length", "[server][header_rules]") {
    // Dropping Content-Length would let the body pass as the next request.
    Fields fields;
    fields.insert("Connection", "Host, Content-Length, keep-alive, , X-A");
    fields.insert("Host", "example.com");
    fields.insert("Content-Length", "5");
    fields.insert("Keep-Alive", "timeout=5");
    fields.insert("X-A", "a");
    remove_hop_by_hop(fields);
    CHECK(values(fields, "Host") == std::vector<std::string>{"example.com"});
    CHECK(values(fields, "Content-Length") == std::vector<std::string>{"5"});
    CHECK(count(fields) == 2);
}

TEST_CASE("header rules remove, then set", "[server][header_rules]") {
    Fields fields;
    fields.insert("X-Debug", "1");
    fields.insert("Server", "backend/1.0");
    fields.insert("X-Route", "old-1");
    fields.insert("X-Keep", "k");
    fields.insert("x-route", "old-2");
    fields.insert("X-Tag", "before");

    HeaderRules rules;
    rules.remove = {"x-debug", "SERVER", "X-Tag", "X-Absent"};
    rules.set = {{"X-Route", "api"}, {"X-Tag", "after"}, {"X-New", "n"}};
    apply_header_rules(fields, rules);

    CHECK(values(fields, "X-Debug").empty());
    CHECK(values(fields, "Server").empty());
    CHECK(values(fields, "X-Route") == std::vector<std::string>{"api"});
    CHECK(values(fields, "X-Tag") == std::vector<std::string>{"after"});
    CHECK(values(fields, "X-New") == std::vector<std::string>{"n"});
    CHECK(values(fields, "X-Keep") == std::vector<std::string>{"k"});
    CHECK(count(fields) == 4);
}

TEST_CASE("empty header rules change nothing", "[server][header_rules]") {
    Fields fields;
    fields.insert("A", "1");
    fields.insert("B", "2");
    apply_header_rules(fields, HeaderRules{});
    CHECK(count(fields) == 2);
}

TEST_CASE("X-Forwarded-For is set, or appended to", "[server][header_rules]") {
    Fields fields;
    fields.insert("Host", "example.com");
    add_forwarded_headers(fields, "10.0.0.1", "http");
    CHECK(values(fields, "X-Forwarded-For") == std::vector<std::string>{"10.0.0.1"});

    Fields proxied;
    proxied.insert("X-Forwarded-For", "203.0.113.7");
    add_forwarded_headers(proxied, "10.0.0.1", "http");
    CHECK(values(proxied, "X-Forwarded-For") == std::vector<std::string>{"203.0.113.7, 10.0.0.1"});

    // Several fields are one list (RFC 9110 §5.3), kept in order.
    Fields split;
    split.insert("X-Forwarded-For", "198.51.100.1");
    split.insert("Accept", "*/*");
    split.insert("X-Forwarded-For", "203.0.113.7");
    add_forwarded_headers(split, "::1", "https");
    CHECK(values(split, "X-Forwarded-For") ==
          std::vector<std::string>{"198.51.100.1, 203.0.113.7, ::1"});
}

TEST_CASE("X-Forwarded-Proto and X-Forwarded-Host are ours", "[server][header_rules]") {
    Fields fields;
    fields.insert("Host", "shop.example.com:8443");
    fields.insert("X-Forwarded-Proto", "http");
    fields.insert("X-Forwarded-Host", "evil.example");
    add_forwarded_headers(fields, "10.0.0.1", "https");
    CHECK(values(fields, "X-Forwarded-Proto") == std::vector<std::string>{"https"});
    CHECK(values(fields, "X-Forwarded-Host") == std::vector<std::string>{"shop.example.com:8443"});
    CHECK(values(fields, "Host") == std::vector<std::string>{"shop.example.com:8443"});

    // No Host (HTTP/1.0): no X-Forwarded-Host, not even the client's.
    Fields no_host;
    no_host.insert("X-Forwarded-Host", "evil.example");
    add_forwarded_headers(no_host, "10.0.0.1", "http");
    CHECK(values(no_host, "X-Forwarded-Host").empty());
}

TEST_CASE("Via is set, or appended to", "[server][header_rules]") {
    Fields fields;
    add_forwarded_headers(fields, "10.0.0.1", "http");
    CHECK(values(fields, "Via") == std::vector<std::string>{"1.1 turnout"});

    Fields proxied;
    proxied.insert("Via", "1.0 fred, 1.1 p.example.net");
    add_forwarded_headers(proxied, "10.0.0.1", "http");
    CHECK(values(proxied, "Via") ==
          std::vector<std::string>{"1.0 fred, 1.1 p.example.net, 1.1 turnout"});
}

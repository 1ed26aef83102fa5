#include "server/tls/sni_table.hpp"

#include <catch2/catch.hpp>

using turnout::server::SniTable;

namespace {

// Certificate 0 is the default; 1 and 2 carry the names the tests ask for.
SniTable make_table() {
    SniTable table;
    table.add(0, "default.test");
    table.add(1, "api.example.com");
    table.add(1, "www.example.com");
    table.add(2, "*.example.com");
    table.add(2, "*.apps.example.org");
    return table;
}

}  // namespace

TEST_CASE("SNI picks the certificate that names the host exactly", "[sni]") {
    const auto table = make_table();
    CHECK(table.pick("api.example.com") == 1);
    CHECK(table.pick("www.example.com") == 1);
    CHECK(table.pick("default.test") == 0);
}

TEST_CASE("SNI wildcards cover exactly one label", "[sni]") {
    const auto table = make_table();
    CHECK(table.pick("shop.example.com") == 2);
    CHECK(table.pick("x.apps.example.org") == 2);
    SECTION("not the bare domain") {
        CHECK(table.pick("example.com") == 0);
    }
    SECTION("not two labels deep") {
        CHECK(table.pick("a.shop.example.com") == 0);
    }
    SECTION("not an empty first label") {
        CHECK(table.pick(".example.com") == 0);
    }
}

TEST_CASE("SNI prefers an exact name over a wildcard, whatever the order", "[sni]") {
    SniTable table;
    table.add(0, "other.test");
    table.add(1, "*.example.com");
    table.add(2, "api.example.com");
    CHECK(table.pick("api.example.com") == 2);
    CHECK(table.pick("www.example.com") == 1);
}

TEST_CASE("SNI names compare case-insensitively and ignore a trailing dot", "[sni]") {
    const auto table = make_table();
    CHECK(table.pick("API.Example.COM") == 1);
    CHECK(table.pick("api.example.com.") == 1);
    CHECK(table.pick("Shop.EXAMPLE.com") == 2);
}

TEST_CASE("SNI gives the first certificate for unknown or absent names", "[sni]") {
    const auto table = make_table();
    CHECK(table.pick("") == 0);
    CHECK(table.pick("unknown.test") == 0);
    CHECK(table.pick("localhost") == 0);
}

TEST_CASE("SNI: a name on two certificates stays with the first", "[sni]") {
    SniTable table;
    table.add(0, "a.test");
    table.add(1, "shared.test");
    table.add(2, "shared.test");
    table.add(1, "*.wild.test");
    table.add(2, "*.wild.test");
    CHECK(table.pick("shared.test") == 1);
    CHECK(table.pick("x.wild.test") == 1);
}

TEST_CASE("SNI ignores names that cannot match", "[sni]") {
    SniTable table;
    table.add(0, "default.test");
    table.add(1, "a*.example.com");   // partial wildcard
    table.add(1, "*.*.example.com");  // more than one
    table.add(1, "");
    table.add(1, "*.");
    CHECK(table.pick("ab.example.com") == 0);
    CHECK(table.pick("a.b.example.com") == 0);
    CHECK(table.pick("a*.example.com") == 0);
}

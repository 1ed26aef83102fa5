#include "server/tls/tls_material.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

using turnout::server::TlsMaterial;

TEST_CASE("TLS material survives the trip to the workers", "[tls]") {
    TlsMaterial material;
    material.ticket_keys = std::string("\x00\x01\xfe\xff", 4) + std::string(76, 'k');
    material.listeners["websecure"] = {"1.3",
                                       {{"/c/a.pem", "/c/a.key", "-----CERT A-----\n", "KEY A\n"},
                                        {"/c/b.pem", "/c/b.key", "CERT B", "KEY B"}}};
    material.listeners["other"] = {"1.2", {{"/c/o.pem", "/c/o.key", "O", "OK"}}};
    const auto text = boost::json::serialize(to_json(material));
    const auto decoded = turnout::server::tls_material_from_json(boost::json::parse(text));
    REQUIRE(decoded);
    CHECK(*decoded == material);
}

TEST_CASE("TLS material that is not what to_json writes does not decode", "[tls]") {
    using turnout::server::tls_material_from_json;
    CHECK_FALSE(tls_material_from_json(boost::json::parse(R"({"listeners": {}})")));
    CHECK_FALSE(
        tls_material_from_json(boost::json::parse(R"({"listeners": {}, "ticket_keys": "0g"})")));
    CHECK_FALSE(tls_material_from_json(boost::json::parse(
        R"({"listeners": {"web": {"min_version": "1.2", "certificates": [{"cert": "x"}]}}, "ticket_keys": ""})")));
    CHECK(tls_material_from_json(boost::json::parse(R"({"listeners": {}, "ticket_keys": ""})")));
}

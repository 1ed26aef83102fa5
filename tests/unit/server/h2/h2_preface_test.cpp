#include "server/h2/h2_preface.hpp"

#include <catch2/catch.hpp>

using turnout::server::is_h2_preface_head;

TEST_CASE("the HTTP/2 preface's head is told from HTTP/1.1 requests", "[h2]") {
    CHECK(is_h2_preface_head("PRI * HTTP/2.0\r\n\r\n"));
    CHECK_FALSE(is_h2_preface_head("PRI * HTTP/1.1\r\n\r\n"));
    CHECK_FALSE(is_h2_preface_head("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
    CHECK_FALSE(is_h2_preface_head("PRI * HTTP/2.0\r\nHost: a\r\n\r\n"));
}

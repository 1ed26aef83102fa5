#include "server/logfmt.hpp"

#include <catch2/catch.hpp>

#include <string>

using turnout::log_value;

namespace {

std::string logged(std::string_view text) {
    return fmt::format("error={}", log_value(text));
}

}  // namespace

TEST_CASE("a plain token is written bare", "[logfmt]") {
    CHECK(logged("timeout") == "error=timeout");
    CHECK(logged("127.0.0.1:8080") == "error=127.0.0.1:8080");
    CHECK(logged("/var/lib/turnout/state") == "error=/var/lib/turnout/state");
}

TEST_CASE("UTF-8 passes through, bare or quoted", "[logfmt]") {
    CHECK(logged("café") == "error=café");
    CHECK(logged("naïve → ok") == "error=\"naïve → ok\"");
}

TEST_CASE("spaces, equals signs and the empty value are quoted", "[logfmt]") {
    CHECK(logged("Connection refused") == "error=\"Connection refused\"");
    CHECK(logged("a=b") == "error=\"a=b\"");
    CHECK(logged("") == "error=\"\"");
}

TEST_CASE("quotes and backslashes are escaped", "[logfmt]") {
    CHECK(logged(R"(bad "name")") == R"(error="bad \"name\"")");
    CHECK(logged(R"(C:\dir)") == R"(error="C:\\dir")");
    CHECK(logged(R"(")") == R"(error="\"")");
}

TEST_CASE("control characters cannot break the line", "[logfmt]") {
    CHECK(logged("line one\nline two") == R"(error="line one\nline two")");
    CHECK(logged("a\r\tb") == R"(error="a\r\tb")");
    CHECK(logged(std::string_view{"nul\0bell\a", 9}) == R"(error="nul\u0000bell\u0007")");
    CHECK(logged("del\x7f") == R"(error="del\u007f")");
}

TEST_CASE("a whole line stays one line of key=value pairs", "[logfmt]") {
    const std::string line = fmt::format("msg=\"cannot start\" error={} slot={}",
                                         log_value("bad \"x\"\nlevel=error forged"), 3);
    CHECK(line == R"(msg="cannot start" error="bad \"x\"\nlevel=error forged" slot=3)");
    CHECK(line.find('\n') == std::string::npos);
}

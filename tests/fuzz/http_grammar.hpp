#pragma once

// The few RFC 9110 character rules the fuzz targets check turnout against,
// written out here rather than taken from server/, so the oracle does not
// share a bug with the code under test.

#include <string_view>

namespace turnout::test {

// tchar (RFC 9110 §5.6.2).
inline bool is_tchar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// A control byte, which no field value may hold (HTAB aside).
inline bool is_control(char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

}  // namespace turnout::test

#pragma once

// Small pieces of HTTP's text grammar (RFC 9110 §5.6) shared by the code
// that reads request heads and chunked bodies.

#include <array>
#include <string_view>

namespace turnout::server {

// By byte value: letters, digits and the bytes of `extra`.
constexpr std::array<bool, 256> alnum_and(std::string_view extra) {
    std::array<bool, 256> table{};
    for (int c = '0'; c <= '9'; ++c)
        table[c] = true;
    for (int c = 'a'; c <= 'z'; ++c)
        table[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c)
        table[c] = true;
    for (char c : extra)
        table[static_cast<unsigned char>(c)] = true;
    return table;
}

// RFC 9110 §5.6.2 tchar: what tokens (methods, field names, transfer
// codings) are made of.
inline constexpr std::array<bool, 256> tchar_table = alnum_and("!#$%&'*+-.^_`|~");

inline bool is_tchar(char c) {
    return tchar_table[static_cast<unsigned char>(c)];
}

// Removes optional whitespace (SP and HTAB) from both ends.
inline std::string_view trim_ows(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    return text;
}

}  // namespace turnout::server

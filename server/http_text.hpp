#pragma once

// Small pieces of HTTP's text grammar (RFC 9110 §5.6) shared by the code
// that reads field values.

#include <string_view>

namespace turnout::server {

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

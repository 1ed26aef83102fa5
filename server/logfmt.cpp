#include "server/logfmt.hpp"

namespace turnout {

namespace {

bool is_control(unsigned char byte) {
    return byte < 0x20 || byte == 0x7f;
}

}  // namespace

bool is_logfmt_token(std::string_view text) {
    return !text.empty() && std::none_of(text.begin(), text.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return is_control(byte) || c == ' ' || c == '=' || c == '"' || c == '\\';
    });
}

std::string logfmt_quoted(std::string_view text) {
    std::string quoted;
    quoted.reserve(text.size() + 2);
    quoted += '"';
    for (const char c : text) {
        switch (c) {
        case '"':
            quoted += "\\\"";
            break;
        case '\\':
            quoted += "\\\\";
            break;
        case '\n':
            quoted += "\\n";
            break;
        case '\r':
            quoted += "\\r";
            break;
        case '\t':
            quoted += "\\t";
            break;
        default:
            if (is_control(static_cast<unsigned char>(c))) {
                quoted += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
            } else {
                quoted += c;
            }
        }
    }
    quoted += '"';
    return quoted;
}

}  // namespace turnout

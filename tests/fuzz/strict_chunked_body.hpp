#pragma once

// A strict reader of a chunked body (RFC 9112 §7.1), written for the fuzz
// targets to compare turnout with: plain and slow, every rule spelled out,
// and turnout's one addition, chunk sizes of at most 16 hex digits.

#include "tests/fuzz/http_grammar.hpp"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace turnout::test {

struct StrictChunkedBody {
    std::string body;
    std::size_t end = 0;  // one past the body's last CRLF
};

namespace strict_detail {

inline int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// Reads what `is` accepts from the front of `text`; how many bytes.
template <typename Predicate>
std::size_t span(std::string_view text, Predicate is) {
    std::size_t n = 0;
    while (n < text.size() && is(text[n])) {
        ++n;
    }
    return n;
}

inline std::size_t ows(std::string_view text) {
    return span(text, [](char c) { return c == ' ' || c == '\t'; });
}

// quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE; its length or 0.
inline std::size_t quoted_string(std::string_view text) {
    if (text.empty() || text[0] != '"') {
        return 0;
    }
    for (std::size_t i = 1; i < text.size(); ++i) {
        if (text[i] == '"') {
            return i + 1;
        }
        if (text[i] == '\\' && ++i == text.size()) {
            return 0;
        }
        if (is_control(text[i])) {
            return 0;
        }
    }
    return 0;
}

// chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
inline bool chunk_extensions(std::string_view text) {
    while (!text.empty()) {
        text.remove_prefix(ows(text));
        if (text.empty() || text[0] != ';') {
            return false;
        }
        text.remove_prefix(1);
        text.remove_prefix(ows(text));
        const std::size_t name = span(text, is_tchar);
        if (name == 0) {
            return false;
        }
        text.remove_prefix(name);
        const std::size_t before_equals = ows(text);
        if (before_equals < text.size() && text[before_equals] == '=') {
            text.remove_prefix(before_equals + 1);
            text.remove_prefix(ows(text));
            std::size_t value = span(text, is_tchar);
            if (value == 0) {
                value = quoted_string(text);
            }
            if (value == 0) {
                return false;
            }
            text.remove_prefix(value);
        }
    }
    return true;
}

// field-line = field-name ":" OWS field-value OWS, no control bytes.
inline bool field_line(std::string_view line) {
    const std::size_t name = span(line, is_tchar);
    if (name == 0 || name == line.size() || line[name] != ':') {
        return false;
    }
    const std::string_view value = line.substr(name + 1);
    return std::none_of(value.begin(), value.end(), is_control);
}

}  // namespace strict_detail

// The body and its end, or nullopt when `stream` does not start with a
// whole, well-formed chunked body.
inline std::optional<StrictChunkedBody> read_chunked_strictly(std::string_view stream) {
    using namespace strict_detail;
    StrictChunkedBody result;
    std::size_t at = 0;
    // The next line without its CRLF; nullopt at the end of the stream or
    // on a CR or LF that is not part of a CRLF.
    auto next_line = [&]() -> std::optional<std::string_view> {
        const std::size_t crlf = stream.find("\r\n", at);
        if (crlf == std::string_view::npos) {
            return std::nullopt;
        }
        const std::string_view line = stream.substr(at, crlf - at);
        if (line.find_first_of("\r\n") != std::string_view::npos) {
            return std::nullopt;
        }
        at = crlf + 2;
        return line;
    };
    while (true) {
        const auto line = next_line();
        if (!line) {
            return std::nullopt;
        }
        const std::size_t digits = span(*line, [](char c) { return hex_value(c) >= 0; });
        if (digits == 0 || digits > 16 || !chunk_extensions(line->substr(digits))) {
            return std::nullopt;
        }
        std::size_t size = 0;
        for (char c : line->substr(0, digits)) {
            size = size * 16 + static_cast<std::size_t>(hex_value(c));
        }
        if (size == 0) {
            break;
        }
        if (stream.size() - at < size || stream.substr(at + size, 2) != "\r\n") {
            return std::nullopt;
        }
        result.body.append(stream.substr(at, size));
        at += size + 2;
    }
    while (true) {
        const auto line = next_line();
        if (!line) {
            return std::nullopt;
        }
        if (line->empty()) {
            result.end = at;
            return result;
        }
        if (!field_line(*line)) {
            return std::nullopt;
        }
    }
}

}  // namespace turnout::test

#include "config/syntax.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>

namespace turnout::config::detail {

namespace {

bool is_tchar(char c) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0) {
        return true;
    }
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Edits (insert, delete, replace, swap two neighbours) from a to b: the
// optimal string alignment distance, so "hsah" is one edit from "hash".
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) {
        d[i][0] = i;
    }
    for (std::size_t j = 0; j <= b.size(); ++j) {
        d[0][j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
    }
    return d[a.size()][b.size()];
}

}  // namespace

std::optional<std::uint64_t> parse_uint(std::string_view text) {
    if (text.empty() || text.size() > 20) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (UINT64_MAX - digit) / 10) {
            return std::nullopt;
        }
        value = value * 10 + digit;
    }
    return value;
}

bool is_token(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), is_tchar);
}

bool is_field_value(std::string_view text) {
    return std::none_of(text.begin(), text.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return (u < 0x20 && c != '\t') || u == 0x7f;
    });
}

bool is_name(std::string_view text) {
    if (text.empty() || text.size() > 128) {
        return false;
    }
    return std::all_of(text.begin(), text.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
    });
}

std::string to_lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string to_upper(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return out;
}

std::optional<KeySource> parse_key_source(std::string_view text) {
    if (text == "client_ip") {
        return KeySource{KeySource::Kind::client_ip, ""};
    }
    constexpr std::string_view header = "header:";
    constexpr std::string_view cookie = "cookie:";
    if (text.starts_with(header) && is_token(text.substr(header.size()))) {
        return KeySource{KeySource::Kind::header, std::string(text.substr(header.size()))};
    }
    if (text.starts_with(cookie) && is_token(text.substr(cookie.size()))) {
        return KeySource{KeySource::Kind::cookie, std::string(text.substr(cookie.size()))};
    }
    return std::nullopt;
}

std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates) {
    // A typo changes a few characters, not most of the word.
    std::size_t allowed = std::max<std::size_t>(1, std::min<std::size_t>(3, word.size() / 3));
    constexpr std::size_t max_word = 64;  // keeps the cost of a hint small
    if (word.size() > max_word) {
        return std::nullopt;
    }
    std::optional<std::string> best;
    std::size_t best_distance = allowed + 1;
    std::string lower = to_lower(word);
    for (const auto& candidate : candidates) {
        std::size_t length_gap = candidate.size() > word.size() ? candidate.size() - word.size()
                                                                : word.size() - candidate.size();
        if (length_gap >= best_distance) {
            continue;
        }
        std::size_t distance = edit_distance(lower, to_lower(candidate));
        if (distance < best_distance) {
            best = candidate;
            best_distance = distance;
        }
    }
    return best;
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) {
            out += separator;
        }
        out += item;
    }
    return out;
}

std::string quote(std::string_view text) {
    constexpr std::size_t max_shown = 60;
    std::string out = "\"";
    for (std::size_t i = 0; i < text.size() && i < max_shown; ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7f) {
            char buffer[8];
            std::snprintf(buffer, sizeof buffer, "\\x%02x", c);
            out += buffer;
        } else {
            out += static_cast<char>(c);
        }
    }
    if (text.size() > max_shown) {
        out += "...";
    }
    out += '"';
    return out;
}

}  // namespace turnout::config::detail

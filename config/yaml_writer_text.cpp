// How single values are written in YAML (see yaml_writer_text.hpp).

#include "config/yaml_writer_text.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace turnout::config::detail {

namespace {

bool all_of_chars(std::string_view text, std::string_view allowed) {
    return !text.empty() && text.find_first_not_of(allowed) == std::string_view::npos;
}

// An integer, float, sexagesimal or date as YAML 1.1 or 1.2 would read it:
// "2", "-1.5", "1e3", "0x1f", "0o17", ".inf", "10:30", "2024-01-31".
bool looks_like_number(std::string_view text) {
    if (text.size() >= 5 && all_of_chars(text.substr(0, 4), "0123456789") && text[4] == '-') {
        return true;
    }
    if (text.starts_with('+') || text.starts_with('-')) {
        text.remove_prefix(1);
    }
    if (text.starts_with("0x") || text.starts_with("0o")) {
        return all_of_chars(text.substr(2), text[1] == 'x' ? "0123456789abcdefABCDEF" : "01234567");
    }
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == ".inf" || lower == ".nan" || all_of_chars(text, "0123456789:_")) {
        return true;
    }
    std::size_t mantissa_end = text.find_first_of("eE");
    std::string_view mantissa = text.substr(0, mantissa_end);
    bool mantissa_ok = mantissa.find_first_of("0123456789") != std::string_view::npos &&
                       all_of_chars(mantissa, "0123456789_.") &&
                       std::count(mantissa.begin(), mantissa.end(), '.') <= 1;
    if (!mantissa_ok || mantissa_end == std::string_view::npos) {
        return mantissa_ok;
    }
    std::string_view exponent = text.substr(mantissa_end + 1);
    if (exponent.starts_with('+') || exponent.starts_with('-')) {
        exponent.remove_prefix(1);
    }
    return all_of_chars(exponent, "0123456789");
}

// Words YAML 1.1 or 1.2 reads as booleans or null.
bool is_keyword(std::string_view text) {
    static constexpr std::string_view words[] = {
        "true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes", "YES",
        "no",   "No",   "NO",   "on",    "On",    "ON",    "off", "Off", "OFF",
        "y",    "Y",    "n",    "N",     "null",  "Null",  "NULL"};
    return std::find(std::begin(words), std::end(words), text) != std::end(words);
}

// Whether `text` reads back as itself, as a string, when written plain, in
// block and in flow context alike: letters, digits and "-_./:@+=", not
// starting with an indicator, no ':' at the end, and not a number or
// keyword to any YAML reader.
bool can_be_plain(std::string_view text) {
    constexpr std::string_view safe =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@+=";
    if (!all_of_chars(text, safe) || text.front() == '-' || text.front() == ':' ||
        text.front() == '@' || text.front() == '=' || text.back() == ':') {
        return false;
    }
    return !is_keyword(text) && !looks_like_number(text);
}

// "1500ms", "10s", "5m", "1h" — or "16k" for sizes: the largest unit that
// divides the value exactly.
struct Unit {
    const char* suffix;
    std::uint64_t size;
};

std::string in_units(std::uint64_t value, std::initializer_list<Unit> units, const char* zero) {
    if (value == 0) {
        return zero;
    }
    for (const Unit& unit : units) {
        if (value % unit.size == 0) {
            return std::to_string(value / unit.size) + unit.suffix;
        }
    }
    return std::to_string(value);
}

}  // namespace

// Appends `text` as a YAML scalar: plain when safe, else double-quoted.
// Bytes from 0x80 up are written as they are (YAML is UTF-8).
void scalar(std::string& out, std::string_view text) {
    if (can_be_plain(text)) {
        out += text;
        return;
    }
    out += '"';
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (c == '\t') {
            out += "\\t";
        } else if (c == '\n') {
            out += "\\n";
        } else if (byte < 0x20 || byte == 0x7f) {
            char escape[8];
            std::snprintf(escape, sizeof escape, "\\x%02x", byte);
            out += escape;
        } else {
            out += c;
        }
    }
    out += '"';
}

std::string duration_text(Duration value) {
    return in_units(static_cast<std::uint64_t>(value.count()),
                    {{"h", 3'600'000}, {"m", 60'000}, {"s", 1000}, {"ms", 1}}, "0s");
}

std::string size_text(std::uint64_t value) {
    return in_units(value, {{"g", 1ULL << 30}, {"m", 1ULL << 20}, {"k", 1ULL << 10}, {"", 1}}, "0");
}

}  // namespace turnout::config::detail

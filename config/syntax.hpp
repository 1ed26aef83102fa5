#pragma once

// Internal to the loader: small checks on the text of config values (names,
// header tokens, key sources) and helpers for writing error messages.

#include "config/config.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace turnout::config::detail {

// Decimal digits only (no sign, no spaces) that fit in 64 bits.
std::optional<std::uint64_t> parse_uint(std::string_view text);

// An RFC 9110 token (header names, methods): one or more tchar.
bool is_token(std::string_view text);

// A header value a rule may set or match: no control characters but HTAB.
bool is_field_value(std::string_view text);

// A listener, upstream or route name: letters, digits, '.', '_' and '-'.
// Names travel in URLs, CLI arguments (UPSTREAM=WEIGHT) and metric labels.
bool is_name(std::string_view text);

std::string to_lower(std::string_view text);
std::string to_upper(std::string_view text);

// "header:NAME", "cookie:NAME" or "client_ip"; nullopt for anything else.
std::optional<KeySource> parse_key_source(std::string_view text);

// The candidate closest to `word` by edit distance, when it is close enough
// to be a likely typo; nullopt otherwise.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

// "a, b, c"
std::string join(const std::vector<std::string>& items, std::string_view separator = ", ");

// The text in double quotes, control characters escaped, long text cut.
std::string quote(std::string_view text);

}  // namespace turnout::config::detail

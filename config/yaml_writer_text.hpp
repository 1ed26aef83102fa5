#pragma once

// Internal to the YAML writer: single values as YAML text.

#include "config/config.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace turnout::config::detail {

// Appends `text` as a YAML scalar that yaml-cpp, and YAML 1.1 and 1.2
// readers generally, read back as the same string. It is written plain
// only when made of letters, digits and "-_./:@+=", starting with none of
// "-:@=", not ending in ':', and not spelling a number, date or keyword
// ("2", "1e3", "0x1f", "10:30", "2024-01-31", "yes", "null"); otherwise
// double-quoted, with '"', '\\' and control characters escaped and bytes from
// 0x80 up left as they are.
void scalar(std::string& out, std::string_view text);

// The shortest exact form: "1500ms", "10s", "5m", "1h"; "0s" for zero.
std::string duration_text(Duration value);

// The shortest exact form: "1500", "16k", "1m", "1g"; "0" for zero.
std::string size_text(std::uint64_t value);

}  // namespace turnout::config::detail

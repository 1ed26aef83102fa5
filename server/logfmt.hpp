#pragma once

// Values in turnout's log lines, which are logfmt: `key=value` pairs on one
// line. A value that is a plain token is written bare; any other (empty, or
// holding a space, `=`, `"`, `\` or a control character) is double-quoted
// with `"` and `\` backslash-escaped and control characters written as
// `\n`, `\r`, `\t` or `\u00XX`, so an error text holding a quote or a
// newline cannot end the value or the line early. Bytes of UTF-8 pass
// through as they are.
//
// Every process logs this way (server, worker and master code), so it sits
// in the lowest layer that logs:
//     spdlog::warn("msg=\"accept failed\" listener={} error={}",
//                  log_value(name), log_value(ec.message()));

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <string_view>

namespace turnout {

// A string to be written as a logfmt value. It holds a view: format it
// within the statement that made it.
struct LogValue {
    std::string_view text;
};

inline LogValue log_value(std::string_view text) {
    return LogValue{text};
}

// True when `text` can be written bare.
bool is_logfmt_token(std::string_view text);

// `text` double-quoted and escaped as described above.
std::string logfmt_quoted(std::string_view text);

}  // namespace turnout

template <>
struct fmt::formatter<turnout::LogValue> {
    constexpr auto parse(fmt::format_parse_context& context) { return context.begin(); }

    template <typename FormatContext>
    auto format(const turnout::LogValue& value, FormatContext& context) const {
        if (turnout::is_logfmt_token(value.text)) {
            return std::copy(value.text.begin(), value.text.end(), context.out());
        }
        const std::string quoted = turnout::logfmt_quoted(value.text);
        return std::copy(quoted.begin(), quoted.end(), context.out());
    }
};

// Typed readers for scalar config values (see yaml_reader.hpp).

#include "config/syntax.hpp"
#include "config/yaml_reader.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <limits>

namespace turnout::config::detail {

namespace {

std::string expected(const Cursor& at, std::string_view what) {
    return "must be " + std::string(what) + ", got " + at.describe();
}

// read_string() for values that must be scalars, with a message that says
// which kind of scalar.
std::optional<std::string> read_scalar(Context& context, const Cursor& at, std::string_view what) {
    if (!at.is_scalar()) {
        context.error(at, expected(at, what));
        return std::nullopt;
    }
    return at.scalar();
}

}  // namespace

std::optional<std::uint64_t> read_uint(Context& context, const Cursor& at, std::uint64_t min,
                                       std::uint64_t max) {
    std::string what = "an integer >= " + std::to_string(min);
    if (max != std::numeric_limits<std::uint64_t>::max()) {
        what = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
    }
    auto text = read_scalar(context, at, what);
    if (!text) {
        return std::nullopt;
    }
    auto value = parse_uint(*text);
    if (!value || *value < min || *value > max) {
        context.error(at, expected(at, what));
        return std::nullopt;
    }
    return value;
}

std::optional<std::uint32_t> read_u32(Context& context, const Cursor& at, std::uint32_t min) {
    auto value = read_uint(context, at, min, std::numeric_limits<std::uint32_t>::max());
    if (!value) {
        return std::nullopt;
    }
    return static_cast<std::uint32_t>(*value);
}

std::optional<bool> read_bool(Context& context, const Cursor& at) {
    auto text = read_scalar(context, at, "true or false");
    if (!text) {
        return std::nullopt;
    }
    bool value = false;
    if (!YAML::convert<bool>::decode(YAML::Node(*text), value)) {
        context.error(at, expected(at, "true or false"));
        return std::nullopt;
    }
    return value;
}

std::optional<Duration> read_duration(Context& context, const Cursor& at, Duration min) {
    constexpr std::string_view what = "a duration like 500ms, 10s, 5m or 1h";
    auto text = read_scalar(context, at, what);
    if (!text) {
        return std::nullopt;
    }
    auto value = parse_duration(*text);
    if (!value) {
        std::string message = expected(at, what);
        if (parse_uint(*text)) {
            message += " (add a unit)";
        }
        context.error(at, message);
        return std::nullopt;
    }
    if (*value < min) {
        context.error(at, "must be longer than 0, got " + at.describe());
        return std::nullopt;
    }
    return value;
}

std::optional<std::uint64_t> read_size(Context& context, const Cursor& at, std::uint64_t min) {
    constexpr std::string_view what = "a size like 512, 16k, 1m or 1g";
    auto text = read_scalar(context, at, what);
    if (!text) {
        return std::nullopt;
    }
    auto value = parse_size(*text);
    if (!value) {
        context.error(at, expected(at, what));
        return std::nullopt;
    }
    if (*value < min) {
        context.error(at, "must be at least " + std::to_string(min) + ", got " + at.describe());
        return std::nullopt;
    }
    return value;
}

std::optional<std::string> read_path(Context& context, const Cursor& at) {
    auto text = read_nonempty_string(context, at);
    if (!text) {
        return std::nullopt;
    }
    if (text->find('\0') != std::string::npos) {
        context.error(at, "must not contain a NUL character");
        return std::nullopt;
    }
    return context.resolve_path(*text);
}

std::optional<Address> read_address(Context& context, const Cursor& at, AddressUse use) {
    std::string what = use == AddressUse::listener
                           ? "an address like 127.0.0.1:8080, [::1]:8080 or :8080"
                           : "an address like 127.0.0.1:9001 or [::1]:9001 (an IP address and "
                             "a port; names are not looked up)";
    auto text = read_scalar(context, at, what);
    if (!text) {
        return std::nullopt;
    }
    auto address = parse_address(*text);
    if (!address) {
        context.error(at, expected(at, what));
        return std::nullopt;
    }
    if (use == AddressUse::target && address->endpoint.port() == 0) {
        context.error(at, "needs a port from 1 to 65535, got " + at.describe());
        return std::nullopt;
    }
    if (use == AddressUse::target && address->endpoint.address().is_unspecified()) {
        context.error(at, "needs the address of a host to connect to, got " + at.describe());
        return std::nullopt;
    }
    return address;
}

std::optional<std::string> read_url_path(Context& context, const Cursor& at, bool allow_query) {
    auto text = read_scalar(context, at, "a path starting with '/'");
    if (!text) {
        return std::nullopt;
    }
    if (!text->starts_with('/')) {
        context.error(at, expected(at, "a path starting with '/'"));
        return std::nullopt;
    }
    bool bad_char = std::any_of(text->begin(), text->end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u <= 0x20 || u == 0x7f;
    });
    if (bad_char) {
        context.error(at, "must not contain spaces or control characters, got " + at.describe());
        return std::nullopt;
    }
    if (!allow_query && text->find_first_of("?#") != std::string::npos) {
        context.error(at, "must not contain '?' or '#' (routes match the path without the "
                          "query), got " +
                              at.describe());
        return std::nullopt;
    }
    return text;
}

std::optional<KeySource> read_key_source(Context& context, const Cursor& at) {
    constexpr std::string_view what = "header:NAME, cookie:NAME or client_ip";
    auto text = read_scalar(context, at, what);
    if (!text) {
        return std::nullopt;
    }
    auto source = parse_key_source(*text);
    if (!source) {
        context.error(at, expected(at, what));
    }
    return source;
}

std::optional<std::string> read_name(Context& context, const Cursor& at) {
    auto text = read_scalar(context, at, "a name");
    if (!text) {
        return std::nullopt;
    }
    if (!is_name(*text)) {
        context.error(at, "must be a name of letters, digits, '.', '_' and '-' (at most 128), "
                          "got " +
                              at.describe());
        return std::nullopt;
    }
    return text;
}

std::optional<std::string> read_choice(Context& context, const Cursor& at,
                                       const std::vector<std::string>& choices) {
    std::string what = "one of " + join(choices, ", ");
    auto text = read_scalar(context, at, what);
    if (!text) {
        return std::nullopt;
    }
    if (std::find(choices.begin(), choices.end(), *text) != choices.end()) {
        return text;
    }
    std::string message = expected(at, what);
    if (auto near = closest_match(*text, choices)) {
        message += "; did you mean '" + *near + "'?";
    }
    context.error(at, message);
    return std::nullopt;
}

}  // namespace turnout::config::detail

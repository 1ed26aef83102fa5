#include "config/route_match.hpp"

#include "config/syntax.hpp"

#include <algorithm>

namespace turnout::config::detail {

namespace {

bool is_host_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

std::optional<std::string> read_host(Context& context, const Cursor& at) {
    auto text = read_string(context, at);
    if (!text) {
        return std::nullopt;
    }
    std::string host = to_lower(*text);
    if (host.empty()) {
        context.error(at, "must not be empty; leave host out to match any host");
        return std::nullopt;
    }
    std::string_view name = host;
    if (name.starts_with("*.")) {
        name.remove_prefix(2);
    }
    bool ok = !name.empty() && std::all_of(name.begin(), name.end(), is_host_char) &&
              !name.starts_with('.') && !name.ends_with('.') &&
              name.find("..") == std::string_view::npos;
    if (!ok) {
        std::string message =
            "must be a host name like api.example.com or *.example.com, got " + at.describe();
        if (host.find('*') != std::string::npos) {
            message += "; '*' may only be the whole first label, as in *.example.com";
        } else if (host.find(':') != std::string::npos) {
            message += "; leave the port out";
        }
        context.error(at, message);
        return std::nullopt;
    }
    return host;
}

// `path_prefix: /api/` or `path: /exact`, not both; neither means prefix "/".
void read_path_match(Context& context, const MapReader& map, RouteMatch& match) {
    auto prefix = map.get("path_prefix");
    auto exact = map.get("path");
    if (prefix && exact) {
        const Cursor& later = prefix->mark.pos > exact->mark.pos ? *prefix : *exact;
        context.error(later, "give either path (exact) or path_prefix, not both");
        return;
    }
    auto read = [&context](const Cursor& at) { return read_url_path(context, at, false); };
    if (prefix) {
        match.path = read(*prefix).value_or(match.path);
    } else if (exact) {
        if (auto path = read(*exact)) {
            match.path = *path;
            match.path_exact = true;
        }
    }
}

std::optional<std::vector<std::string>> read_methods(Context& context, const Cursor& at) {
    std::vector<std::string> methods;
    bool all_read = true;
    bool is_list = for_each_item(context, at, [&](const Cursor& item) {
        auto text = read_string(context, item);
        if (text && !is_token(*text)) {
            context.error(item, "must be an HTTP method like GET, got " + item.describe());
            text.reset();
        }
        if (!text) {
            all_read = false;
            return;
        }
        std::string method = to_upper(*text);
        if (std::find(methods.begin(), methods.end(), method) == methods.end()) {
            methods.push_back(std::move(method));
        }
    });
    if (!is_list || !all_read) {
        return std::nullopt;
    }
    if (methods.empty()) {
        context.error(at, "an empty list matches no request; leave methods out to match any");
        return std::nullopt;
    }
    return methods;
}

// Content-Length and Transfer-Encoding say where a body ends, and turnout
// writes them for each message it sends. A header rule that set or removed
// one would send a body its receiver reads to another end: a request
// smuggled behind it upstream, or a client waiting for bytes that never come.
bool frames_the_body(std::string_view name) {
    const auto lower = to_lower(name);
    return lower == "content-length" || lower == "transfer-encoding";
}

// A header rule naming `name` is refused when it frames the body.
bool may_rewrite(Context& context, const Cursor& at, std::string_view name) {
    if (frames_the_body(name)) {
        context.error(at, "'" + std::string{name} +
                              "' frames the body, which turnout writes for each message "
                              "itself; a header rule may not set or remove it");
        return false;
    }
    return true;
}

// What a header map is for: matching requests, or rewriting messages.
enum class HeaderUse { match, rewrite };

// NAME: VALUE pairs, in file order; names are compared without case.
HeaderList read_header_map(Context& context, const Cursor& at, HeaderUse use) {
    MapReader map(context, at, "header name");
    UniqueCheck seen("header name");
    HeaderList headers;
    for (const auto& entry : map.entries()) {
        Cursor key_at{entry.value.node, entry.value.path, entry.key_mark};
        if (!is_token(entry.key)) {
            context.error(key_at, "is not a valid header name (letters, digits and "
                                  "!#$%&'*+-.^_`|~)");
            continue;
        }
        if (!seen.check(context, key_at, to_lower(entry.key), "'" + entry.key + "'")) {
            continue;
        }
        if (use == HeaderUse::rewrite && !may_rewrite(context, key_at, entry.key)) {
            continue;
        }
        auto value = read_string(context, entry.value);
        if (value && !is_field_value(*value)) {
            context.error(entry.value, "must not contain control characters");
            continue;
        }
        if (value) {
            headers.emplace_back(entry.key, std::move(*value));
        }
    }
    return headers;
}

std::optional<std::vector<std::string>> read_header_names(Context& context, const Cursor& at) {
    std::vector<std::string> names;
    for_each_item(context, at, [&](const Cursor& item) {
        auto name = read_string(context, item);
        if (name && !is_token(*name)) {
            context.error(item, "must be a header name, got " + item.describe());
            return;
        }
        if (name && !may_rewrite(context, item, *name)) {
            return;
        }
        if (name) {
            names.push_back(std::move(*name));
        }
    });
    return names;
}

}  // namespace

RouteMatch read_route_match(Context& context, const Cursor& at) {
    MapReader map(context, at, {"host", "path_prefix", "path", "methods", "headers"});
    RouteMatch match;
    map.read("host", match.host, read_host);
    read_path_match(context, map, match);
    map.read("methods", match.methods, read_methods);
    if (auto headers = map.get("headers")) {
        match.headers = read_header_map(context, *headers, HeaderUse::match);
    }
    return match;
}

HeaderRules read_header_rules(Context& context, const Cursor& at) {
    MapReader map(context, at, {"set", "remove"});
    HeaderRules rules;
    if (auto set = map.get("set")) {
        rules.set = read_header_map(context, *set, HeaderUse::rewrite);
    }
    map.read("remove", rules.remove, read_header_names);
    return rules;
}

}  // namespace turnout::config::detail

#include "server/http/header_rules.hpp"

#include "server/http/http_text.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>

#include <array>
#include <string>
#include <vector>

namespace turnout::server {

namespace http = boost::beast::http;

namespace {

constexpr std::array<http::field, 6> hop_by_hop_fields{
    http::field::keep_alive, http::field::proxy_connection,  http::field::te,
    http::field::trailer,    http::field::transfer_encoding, http::field::upgrade,
};

// Headers a client may not strip by naming them in Connection: without Host
// the upstream cannot route the request, and without Content-Length it would
// read the body as the next request (smuggling).
bool may_be_nominated(std::string_view name) {
    return !boost::beast::iequals(name, "host") && !boost::beast::iequals(name, "content-length") &&
           !boost::beast::iequals(name, "connection");
}

// Adds the header names listed in one Connection value to `names`.
void add_nominated(std::vector<std::string_view>& names, std::string_view value) {
    while (!value.empty()) {
        std::size_t comma = value.find(',');
        std::string_view token = trim_ows(value.substr(0, comma));
        if (!token.empty() && may_be_nominated(token)) {
            names.push_back(token);
        }
        if (comma == std::string_view::npos) {
            break;
        }
        value.remove_prefix(comma + 1);
    }
}

// All values of `name` joined with ", " (a list header may arrive as several
// fields), or an empty string when there are none.
std::string joined_values(const http::fields& fields, std::string_view name) {
    std::string joined;
    auto [first, last] = fields.equal_range(name);
    for (auto it = first; it != last; ++it) {
        if (!joined.empty()) {
            joined += ", ";
        }
        joined += it->value();
    }
    return joined;
}

// Sets `name` to its existing values followed by `value`, as one field.
void append_value(http::fields& fields, std::string_view name, std::string_view value) {
    std::string joined = joined_values(fields, name);
    if (!joined.empty()) {
        joined += ", ";
    }
    joined += value;
    fields.set(name, joined);
}

}  // namespace

void remove_hop_by_hop(http::fields& fields) {
    // Collect first, erase after: erasing while walking the list would
    // invalidate the walk. The names are views into the Connection fields,
    // which stay in place until they are erased last.
    std::vector<std::string_view> nominated;
    auto [first, last] = fields.equal_range(http::field::connection);
    for (auto it = first; it != last; ++it) {
        add_nominated(nominated, it->value());
    }
    for (std::string_view name : nominated) {
        fields.erase(name);
    }
    fields.erase(http::field::connection);
    for (http::field name : hop_by_hop_fields) {
        fields.erase(name);
    }
}

void apply_header_rules(http::fields& fields, const config::HeaderRules& rules) {
    for (const std::string& name : rules.remove) {
        fields.erase(name);
    }
    for (const auto& [name, value] : rules.set) {
        fields.set(name, value);
    }
}

void add_forwarded_headers(http::fields& fields, std::string_view client_ip,
                           std::string_view proto) {
    append_value(fields, "X-Forwarded-For", client_ip);
    fields.set("X-Forwarded-Proto", proto);
    auto host = fields.find(http::field::host);
    if (host != fields.end()) {
        fields.set("X-Forwarded-Host", host->value());
    } else {
        // A client's own X-Forwarded-Host would otherwise pass as ours.
        fields.erase("X-Forwarded-Host");
    }
    append_value(fields, "Via", "1.1 turnout");
}

}  // namespace turnout::server

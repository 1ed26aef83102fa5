#include "server/http/header_rules.hpp"

#include "server/http/http_text.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/container/small_vector.hpp>

#include <algorithm>
#include <array>
#include <string>

namespace turnout::server {

namespace http = boost::beast::http;

namespace {

constexpr std::array<http::field, 6> hop_by_hop_fields{
    http::field::keep_alive, http::field::proxy_connection,  http::field::te,
    http::field::trailer,    http::field::transfer_encoding, http::field::upgrade,
};

// Indexed by field code: one load per field where a search of the six
// codes was the walk's largest cost.
constexpr std::size_t field_codes = static_cast<std::size_t>(http::field::xref) + 1;
constexpr auto hop_by_hop_codes = [] {
    std::array<bool, field_codes> codes{};
    for (http::field field : hop_by_hop_fields) {
        codes[static_cast<std::size_t>(field)] = true;
    }
    return codes;
}();

bool is_hop_by_hop(http::field field) {
    const auto code = static_cast<std::size_t>(field);
    return code < field_codes && hop_by_hop_codes[code];
}

// Headers a client may not strip by naming them in Connection: without Host
// the upstream cannot route the request, and without Content-Length it would
// read the body as the next request (smuggling).
bool may_be_nominated(std::string_view name) {
    return !boost::beast::iequals(name, "host") && !boost::beast::iequals(name, "content-length") &&
           !boost::beast::iequals(name, "connection");
}

// Adds the header names listed in one Connection value to `names`.
void add_nominated(boost::container::small_vector_base<std::string_view>& names,
                   std::string_view value) {
    while (!value.empty()) {
        std::size_t comma = value.find(',');
        std::string_view token = trim_ows(value.substr(0, comma));
        // A nominated hop-by-hop header goes anyway; leaving it out keeps
        // the usual "Connection: keep-alive" from costing a comparison per
        // field.
        if (!token.empty() && may_be_nominated(token) &&
            !is_hop_by_hop(http::string_to_field(token))) {
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
std::string joined_values(const HeadFields& fields, std::string_view name) {
    std::string joined;
    const HeadFields::Name wanted{name};
    for (const auto& field : fields) {
        if (wanted.matches(field)) {
            if (!joined.empty()) {
                joined += ", ";
            }
            joined += field.value();
        }
    }
    return joined;
}

// Sets `name` to its existing values followed by `value`, as one field.
void append_value(HeadFields& fields, std::string_view name, std::string_view value) {
    std::string joined = joined_values(fields, name);
    if (!joined.empty()) {
        joined += ", ";
    }
    joined += value;
    fields.set(name, joined);
}

}  // namespace

// The fields are walked twice, once for the names Connection lists and
// once to remove: a lookup by name per hop-by-hop header (seven of them)
// cost more than comparing each field's known-name code once. The listed
// names are views into the text of the Connection fields, which removing
// fields from the list leaves in place.
void remove_hop_by_hop(HeadFields& fields) {
    // Room for the usual few names without an allocation.
    boost::container::small_vector<std::string_view, 4> nominated;
    for (const auto& field : fields) {
        if (field.name() == http::field::connection) {
            add_nominated(nominated, field.value());
        }
    }
    const auto is_nominated = [&nominated](std::string_view name) {
        return std::ranges::any_of(nominated, [name](std::string_view nominee) {
            return boost::beast::iequals(name, nominee);
        });
    };
    fields.erase_if([&](const HeadFields::Field& field) {
        return field.name() == http::field::connection || is_hop_by_hop(field.name()) ||
               (!nominated.empty() && is_nominated(field.name_string()));
    });
}

void apply_header_rules(HeadFields& fields, const config::HeaderRules& rules) {
    for (const std::string& name : rules.remove) {
        fields.erase(name);
    }
    for (const auto& [name, value] : rules.set) {
        fields.set(name, value);
    }
}

// One walk finds which of these headers the client sent: each one it did
// not (the usual case) is a plain insert, not a lookup and an erase.
void add_forwarded_headers(HeadFields& fields, std::string_view client_ip, std::string_view proto) {
    bool sent_for = false;
    bool sent_proto = false;
    bool sent_host = false;
    bool sent_via = false;
    bool sent_host_field = false;
    for (const auto& field : fields) {
        const auto name = field.name();
        if (name == http::field::host) {
            sent_host_field = true;
        } else if (name == http::field::via) {
            sent_via = true;
        } else if (name == http::field::unknown) {
            const auto text = field.name_string();
            sent_for = sent_for || boost::beast::iequals(text, "X-Forwarded-For");
            sent_proto = sent_proto || boost::beast::iequals(text, "X-Forwarded-Proto");
            sent_host = sent_host || boost::beast::iequals(text, "X-Forwarded-Host");
        }
    }
    if (sent_for) {
        append_value(fields, "X-Forwarded-For", client_ip);
    } else {
        fields.insert("X-Forwarded-For", client_ip);
    }
    if (sent_proto) {
        fields.erase("X-Forwarded-Proto");
    }
    fields.insert("X-Forwarded-Proto", proto);
    // A client's own X-Forwarded-Host would otherwise pass as ours.
    if (sent_host) {
        fields.erase("X-Forwarded-Host");
    }
    // Looked up now: the inserts above may have moved the fields' text.
    if (sent_host_field) {
        fields.insert("X-Forwarded-Host", fields[http::field::host]);
    }
    if (sent_via) {
        append_value(fields, "Via", "1.1 turnout");
    } else {
        fields.insert(http::field::via, "1.1 turnout");
    }
}

}  // namespace turnout::server

#include "server/routing/request_key.hpp"

#include "server/http/http_text.hpp"

namespace turnout::server {

std::string_view find_cookie(std::string_view cookie_header, std::string_view name) {
    while (!cookie_header.empty()) {
        const auto end = cookie_header.find(';');
        const auto pair = trim_ows(cookie_header.substr(0, end));
        const auto equals = pair.find('=');
        if (equals != std::string_view::npos && trim_ows(pair.substr(0, equals)) == name) {
            return trim_ows(pair.substr(equals + 1));
        }
        if (end == std::string_view::npos) {
            break;
        }
        cookie_header.remove_prefix(end + 1);
    }
    return {};
}

std::string_view request_key(const config::KeySource& source, const HeadFields& fields,
                             std::string_view client_ip) {
    using Kind = config::KeySource::Kind;
    switch (source.kind) {
    case Kind::none:
        return {};
    case Kind::client_ip:
        return client_ip;
    case Kind::header:
        return fields[source.name];
    case Kind::cookie:
        // A request may split its cookies over several Cookie headers.
        for (const auto& field : fields) {
            if (field.name() != boost::beast::http::field::cookie) {
                continue;
            }
            if (auto value = find_cookie(field.value(), source.name); !value.empty()) {
                return value;
            }
        }
        return {};
    }
    return {};
}

}  // namespace turnout::server

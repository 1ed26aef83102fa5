#include "server/http/websocket_upgrade.hpp"

#include <boost/beast/core/string.hpp>

namespace turnout::server {

namespace http = boost::beast::http;

namespace {

// Whether any value of `field` holds `token` in its comma-separated list.
bool has_token(const HeadFields& fields, http::field field, std::string_view token) {
    for (const auto& named : fields) {
        if (named.name() != field) {
            continue;
        }
        std::string_view list = named.value();
        while (!list.empty()) {
            const auto comma = list.find(',');
            std::string_view item = list.substr(0, comma);
            while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) {
                item.remove_prefix(1);
            }
            while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) {
                item.remove_suffix(1);
            }
            if (boost::beast::iequals(item, token)) {
                return true;
            }
            list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        }
    }
    return false;
}

}  // namespace

bool is_websocket_upgrade(const RequestHead& request) {
    return request.method() == http::verb::get && request.version() >= 11 &&
           has_token(request, http::field::upgrade, "websocket") &&
           has_token(request, http::field::connection, "upgrade");
}

void keep_websocket_upgrade(HeadFields& fields) {
    fields.set(http::field::connection, "Upgrade");
    fields.set(http::field::upgrade, "websocket");
}

}  // namespace turnout::server

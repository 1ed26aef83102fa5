#include "server/http/response_head.hpp"

#include "server/http/http_text.hpp"

#include <ostream>  // Beast 1.81's string_view header uses std::ostream without including it

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/status.hpp>

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace turnout::server {

namespace http = boost::beast::http;

namespace {

// The tokens of a Connection value but those equal to `drop` or `also_drop`,
// joined with ", "; whether `wanted` was among them is reported too.
struct FilteredTokens {
    std::string list;
    bool had_wanted = false;
};
FilteredTokens filter_tokens(std::string_view value, std::string_view drop,
                             std::string_view also_drop, std::string_view wanted) {
    FilteredTokens out;
    while (!value.empty()) {
        const auto comma = value.find(',');
        const auto token = trim_ows(value.substr(0, comma));
        out.had_wanted = out.had_wanted || boost::beast::iequals(token, wanted);
        if (!token.empty() && !boost::beast::iequals(token, drop) &&
            !(!also_drop.empty() && boost::beast::iequals(token, also_drop))) {
            if (!out.list.empty()) {
                out.list += ", ";
            }
            out.list += token;
        }
        value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
    }
    return out;
}

}  // namespace

void ResponseHead::start(unsigned status, std::string_view reason, unsigned version) {
    clear_fields();
    reason_.assign(reason);
    status_ = status;
    version_ = version;
    body_ = Body{};
}

void ResponseHead::release_room_over(std::size_t bytes) {
    start(0, {}, 11);
    release_fields_room_over(bytes);
    if (reason_.capacity() > bytes) {
        std::string{}.swap(reason_);
    }
}

std::string_view ResponseHead::reason() const {
    if (!reason_.empty()) {
        return reason_;
    }
    return http::obsolete_reason(result());
}

void ResponseHead::keep_alive(bool keep_alive) {
    const auto value = (*this)[http::field::connection];
    if (value.empty()) {
        // The usual case: remove_hop_by_hop took the upstream's Connection.
        if (version_ >= 11 && !keep_alive) {
            insert(http::field::connection, "Connection", "close");
        } else if (version_ < 11 && keep_alive) {
            insert(http::field::connection, "Connection", "keep-alive");
        }
        return;
    }
    // What a header rule left: the other tokens stay, as Beast's keep_alive.
    const bool add_keep_alive = version_ < 11 && keep_alive;
    const bool add_close = version_ >= 11 && !keep_alive;
    auto filtered = add_keep_alive ? filter_tokens(value, "close", {}, "keep-alive")
                    : add_close    ? filter_tokens(value, "keep-alive", {}, "close")
                                   : filter_tokens(value, "close", "keep-alive", {});
    const std::string_view added = add_keep_alive ? "keep-alive" : add_close ? "close" : "";
    if (!added.empty() && (filtered.list.empty() || !filtered.had_wanted)) {
        filtered.list += filtered.list.empty() ? "" : ", ";
        filtered.list += added;
    }
    if (filtered.list.empty()) {
        erase(http::field::connection);
    } else {
        set(http::field::connection, filtered.list);
    }
}

}  // namespace turnout::server

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

// Beast's rule for the last coding of Transfer-Encoding: the body is
// chunked when the list ends with "chunked".
bool ends_with_chunked(std::string_view codings) {
    const auto comma = codings.rfind(',');
    const auto last =
        trim_ows(comma == std::string_view::npos ? codings : codings.substr(comma + 1));
    return boost::beast::iequals(last, "chunked");
}

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

std::uint32_t checked_size(std::size_t size) {
    if (size > std::numeric_limits<std::uint32_t>::max()) {
        throw std::length_error{"response head field too large"};
    }
    return static_cast<std::uint32_t>(size);
}

}  // namespace

void ResponseHead::start(unsigned status, std::string_view reason, unsigned version) {
    text_.clear();
    fields_.clear();
    reason_.assign(reason);
    status_ = status;
    version_ = version;
    chunked_ = false;
    body_ = Body{};
}

void ResponseHead::release_room_over(std::size_t bytes) {
    start(0, {}, 11);
    if (text_.capacity() > bytes) {
        std::string{}.swap(text_);
    }
    if (fields_.capacity() * sizeof(Field) > bytes) {
        std::vector<Field>{}.swap(fields_);
    }
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

std::string_view ResponseHead::operator[](http::field name) const {
    const auto found =
        std::ranges::find_if(fields_, [name](const Field& f) { return f.name() == name; });
    return found == fields_.end() ? std::string_view{} : found->value();
}

void ResponseHead::insert(http::field name, std::string_view name_string, std::string_view value) {
    add_received(name, name_string, trim_ows(value));
}

void ResponseHead::add_received(http::field name, std::string_view name_string,
                                std::string_view value) {
    const auto at = checked_size(text_.size());
    text_.append(name_string).append(value);
    fields_.push_back(
        Field{text_, name, at, checked_size(name_string.size()), checked_size(value.size())});
    if (name == http::field::transfer_encoding) {
        refresh_chunked();
    }
}

void ResponseHead::insert(std::string_view name, std::string_view value) {
    insert(http::string_to_field(name), name, value);
}

void ResponseHead::set(http::field name, std::string_view value) {
    erase(name);
    insert(name, http::to_string(name), value);
}

void ResponseHead::set(std::string_view name, std::string_view value) {
    erase(name);
    insert(name, value);
}

ResponseHead::const_iterator ResponseHead::erase(const_iterator field) {
    const bool encoding = field->name() == http::field::transfer_encoding;
    const auto next = fields_.erase(field);
    if (encoding) {
        refresh_chunked();
    }
    return next;
}

void ResponseHead::erase(http::field name) {
    std::erase_if(fields_, [name](const Field& f) { return f.name() == name; });
    if (name == http::field::transfer_encoding) {
        refresh_chunked();
    }
}

void ResponseHead::erase(std::string_view name) {
    const auto code = http::string_to_field(name);
    if (code != http::field::unknown) {
        erase(code);
        return;
    }
    std::erase_if(fields_,
                  [name](const Field& f) { return boost::beast::iequals(f.name_string(), name); });
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

void ResponseHead::refresh_chunked() {
    const auto first = std::ranges::find_if(
        fields_, [](const Field& f) { return f.name() == http::field::transfer_encoding; });
    chunked_ = first != fields_.end() && ends_with_chunked(first->value());
}

void ResponseHead::chunked(bool chunked) {
    if (chunked) {
        set(http::field::transfer_encoding, "chunked");
    } else {
        erase(http::field::transfer_encoding);
    }
}

}  // namespace turnout::server

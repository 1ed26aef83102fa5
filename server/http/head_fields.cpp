#include "server/http/head_fields.hpp"

#include "server/http/http_text.hpp"

#include <ostream>  // Beast 1.81's string_view header uses std::ostream without including it

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <utility>

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

std::uint32_t checked_size(std::size_t size) {
    if (size > std::numeric_limits<std::uint32_t>::max()) {
        throw std::length_error{"header field too large"};
    }
    return static_cast<std::uint32_t>(size);
}

}  // namespace

HeadFields::Name::Name(std::string_view name) : code_{http::string_to_field(name)}, text_{name} {}

bool HeadFields::Name::matches(const Field& field) const {
    return code_ != http::field::unknown ? field.name() == code_
                                         : boost::beast::iequals(field.name_string(), text_);
}

void HeadFields::clear_fields() {
    text_size_ = 0;
    fields_.clear();
    chunked_ = false;
}

void HeadFields::release_fields_room_over(std::size_t bytes) {
    clear_fields();
    if (text_room_ > bytes) {
        text_.reset();
        text_room_ = 0;
    }
    if (fields_.capacity() * sizeof(Field) > bytes) {
        std::vector<Field>{}.swap(fields_);
    }
}

std::string_view HeadFields::operator[](http::field name) const {
    const auto found =
        std::ranges::find_if(fields_, [name](const Field& f) { return f.name() == name; });
    return found == fields_.end() ? std::string_view{} : found->value();
}

std::string_view HeadFields::operator[](std::string_view name) const {
    const Name wanted{name};
    const auto found =
        std::ranges::find_if(fields_, [&wanted](const Field& f) { return wanted.matches(f); });
    return found == fields_.end() ? std::string_view{} : found->value();
}

void HeadFields::insert(http::field name, std::string_view name_string, std::string_view value) {
    add_received(name, name_string, trim_ows(value));
}

void HeadFields::add_received(http::field name, std::string_view name_string,
                              std::string_view value) {
    const std::size_t at = text_size_;
    const std::size_t end = at + name_string.size() + value.size();
    // The name or value may be a view into this text (a field copied under
    // another name: X-Forwarded-Host from Host): the old text stays until
    // both are copied.
    std::unique_ptr<char[]> old;
    if (end > text_room_) {
        const std::size_t room = std::max({end, std::size_t{text_room_} * 2, usual_text});
        auto grown = std::make_unique_for_overwrite<char[]>(room);
        if (at > 0) {
            std::memcpy(grown.get(), text_.get(), at);
        }
        old = std::exchange(text_, std::move(grown));
        text_room_ = checked_size(room);
    }
    char* out = text_.get() + at;
    if (!name_string.empty()) {
        std::memcpy(out, name_string.data(), name_string.size());
    }
    if (!value.empty()) {
        std::memcpy(out + name_string.size(), value.data(), value.size());
    }
    text_size_ = static_cast<std::uint32_t>(end);
    if (fields_.capacity() == 0) {
        fields_.reserve(usual_fields);
    }
    fields_.push_back(Field{text_, name, static_cast<std::uint32_t>(at),
                            static_cast<std::uint32_t>(name_string.size()),
                            static_cast<std::uint32_t>(value.size())});
    if (name == http::field::transfer_encoding) {
        refresh_chunked();
    }
}

void HeadFields::insert(http::field name, std::string_view value) {
    insert(name, http::to_string(name), value);
}

void HeadFields::insert(std::string_view name, std::string_view value) {
    insert(http::string_to_field(name), name, value);
}

void HeadFields::set(http::field name, std::string_view value) {
    erase(name);
    insert(name, value);
}

void HeadFields::set(std::string_view name, std::string_view value) {
    erase(name);
    insert(name, value);
}

void HeadFields::erase(http::field name) {
    std::erase_if(fields_, [name](const Field& f) { return f.name() == name; });
    if (name == http::field::transfer_encoding) {
        refresh_chunked();
    }
}

void HeadFields::erase(std::string_view name) {
    const Name wanted{name};
    const auto erased =
        std::erase_if(fields_, [&wanted](const Field& f) { return wanted.matches(f); });
    if (erased > 0) {
        refresh_chunked();
    }
}

void HeadFields::refresh_chunked() {
    const auto first = std::ranges::find_if(
        fields_, [](const Field& f) { return f.name() == http::field::transfer_encoding; });
    chunked_ = first != fields_.end() && ends_with_chunked(first->value());
}

void HeadFields::chunked(bool chunked) {
    if (chunked) {
        set(http::field::transfer_encoding, "chunked");
    } else {
        erase(http::field::transfer_encoding);
    }
}

}  // namespace turnout::server

#pragma once

// An upstream's response head as turnout relays it: the status line, the
// header fields in the order received, and the body piece on its way to the
// client. Each name and value is copied once, into one text buffer, as
// Beast's parser reads it (ResponseHeadParser). Beast's basic_fields built a
// node per field and put it into a case-insensitive tree, about 270
// instructions a field (half of what parsing the field cost), for a head
// that is read once and sent on; here it is about 100. The
// members named as basic_fields' are the ones header_rules and
// websocket_upgrade use, with the same meaning, so those apply to requests
// (Fields) and responses alike.
//
// The buffers are kept from one response to the next: the UpstreamAttempt
// that owns it is lent with its exchange, so a response allocates nothing
// once the buffers have grown to the size of the heads it sees (up to a
// bound: see release_room_over).

#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace turnout::server {

class ResponseHead {
public:
    // One header field. It reads its text through its head, so it stays
    // right as the head's text grows; iterators are invalidated by edits,
    // as a vector's are.
    class Field {
    public:
        boost::beast::http::field name() const { return name_; }
        std::string_view name_string() const { return {text_->data() + at_, name_size_}; }
        std::string_view value() const { return {text_->data() + at_ + name_size_, value_size_}; }

    private:
        friend class ResponseHead;
        Field(const std::string& text, boost::beast::http::field name, std::uint32_t at,
              std::uint32_t name_size, std::uint32_t value_size)
            : text_{&text}, name_{name}, at_{at}, name_size_{name_size}, value_size_{value_size} {}

        const std::string* text_;
        boost::beast::http::field name_;
        std::uint32_t at_;
        std::uint32_t name_size_;
        std::uint32_t value_size_;
    };
    using const_iterator = std::vector<Field>::const_iterator;
    using Body = boost::beast::http::buffer_body::value_type;

    ResponseHead() = default;
    // Fields point into the text: a head stays where it was made.
    ResponseHead(const ResponseHead&) = delete;
    ResponseHead& operator=(const ResponseHead&) = delete;

    // A new head: no fields, no body piece; the buffers keep their room.
    void start(unsigned status, std::string_view reason, unsigned version);
    // Frees each buffer whose room is over `bytes`, emptying the head: one
    // unusually large head is not kept for every later response.
    void release_room_over(std::size_t bytes);

    unsigned result_int() const { return status_; }
    boost::beast::http::status result() const { return boost::beast::http::int_to_status(status_); }
    // The reason phrase received, else the status's own (as Beast's header).
    std::string_view reason() const;
    unsigned version() const { return version_; }
    void version(unsigned version) { version_ = version; }

    const_iterator begin() const { return fields_.begin(); }
    const_iterator end() const { return fields_.end(); }
    // The value of the first field named `name`, or "".
    std::string_view operator[](boost::beast::http::field name) const;

    // Appends a field; the value's leading and trailing whitespace is not
    // kept (as Beast's). A field the parser read comes trimmed already:
    // add_received skips the trim.
    void add_received(boost::beast::http::field name, std::string_view name_string,
                      std::string_view value);
    void insert(boost::beast::http::field name, std::string_view name_string,
                std::string_view value);
    void insert(std::string_view name, std::string_view value);
    // Every field of that name replaced by one, at the end.
    void set(boost::beast::http::field name, std::string_view value);
    void set(std::string_view name, std::string_view value);
    const_iterator erase(const_iterator field);
    void erase(boost::beast::http::field name);
    void erase(std::string_view name);

    // Writes the Connection field the way Beast's keep_alive(bool) does:
    // HTTP/1.1 says "close" when not kept, HTTP/1.0 "keep-alive" when kept,
    // and other tokens already there stay.
    void keep_alive(bool keep_alive);

    // Sets Transfer-Encoding to chunked, or removes it.
    void chunked(bool chunked);
    // Whether the first Transfer-Encoding field ends with chunked (Beast's
    // reading), kept up to date by every change to that field.
    bool chunked() const { return chunked_; }

    Body& body() { return body_; }
    const Body& body() const { return body_; }

private:
    void refresh_chunked();

    std::string text_;  // each field's name, then its value, one after another
    std::vector<Field> fields_;
    std::string reason_;
    unsigned status_ = 0;
    unsigned version_ = 11;
    bool chunked_ = false;
    Body body_{};
};

}  // namespace turnout::server

#pragma once

// The header fields of a message head as turnout relays it: in the order
// received, each name and value copied once into one text buffer. Beast's
// basic_fields built a node per field and put it into a case-insensitive
// tree, about 270 instructions a field (half of what parsing the field
// cost), for a head that is read a few times and sent on; here a field costs
// two copies into room already there and a vector push, about 70. A lookup
// walks the fields: a head has a dozen or two. The members named as
// basic_fields' mean what they mean there.
//
// The buffers keep their room from one head to the next (the owner is
// lent with its exchange), so a head allocates nothing once they have
// grown to the size of the heads it sees, up to a bound: see
// release_fields_room_over.

#include <boost/beast/http/field.hpp>

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace turnout::server {

class HeadFields {
public:
    // One header field. It reads its text through its head, so it stays
    // right as the head's text grows; iterators are invalidated by edits,
    // as a vector's are.
    class Field {
    public:
        boost::beast::http::field name() const { return name_; }
        std::string_view name_string() const { return {text_->get() + at_, name_size_}; }
        std::string_view value() const { return {text_->get() + at_ + name_size_, value_size_}; }

    private:
        friend class HeadFields;
        Field(const std::unique_ptr<char[]>& text, boost::beast::http::field name, std::uint32_t at,
              std::uint32_t name_size, std::uint32_t value_size)
            : text_{&text}, name_{name}, at_{at}, name_size_{name_size}, value_size_{value_size} {}

        const std::unique_ptr<char[]>* text_;
        boost::beast::http::field name_;
        std::uint32_t at_;
        std::uint32_t name_size_;
        std::uint32_t value_size_;
    };
    using const_iterator = std::vector<Field>::const_iterator;

    // A field name as a lookup compares it: by its code when Beast knows
    // the name, else by its text in any case (basic_fields' equality).
    class Name {
    public:
        explicit Name(std::string_view name);
        bool matches(const Field& field) const;

    private:
        boost::beast::http::field code_;
        std::string_view text_;
    };

    HeadFields() = default;
    // Fields point into the text: a head stays where it was made.
    HeadFields(const HeadFields&) = delete;
    HeadFields& operator=(const HeadFields&) = delete;

    const_iterator begin() const { return fields_.begin(); }
    const_iterator end() const { return fields_.end(); }
    // The value of the first field named `name`, or "".
    std::string_view operator[](boost::beast::http::field name) const;
    std::string_view operator[](std::string_view name) const;

    // Appends a field; the value's leading and trailing whitespace is not
    // kept (as Beast's). A field a parser read comes trimmed already:
    // add_received skips the trim.
    void add_received(boost::beast::http::field name, std::string_view name_string,
                      std::string_view value);
    void insert(boost::beast::http::field name, std::string_view name_string,
                std::string_view value);
    void insert(boost::beast::http::field name, std::string_view value);
    void insert(std::string_view name, std::string_view value);
    // Every field of that name replaced by one, at the end.
    void set(boost::beast::http::field name, std::string_view value);
    void set(std::string_view name, std::string_view value);
    void erase(boost::beast::http::field name);
    void erase(std::string_view name);
    // Every field `remove(field)` holds for, in one walk.
    template <class Predicate>
    void erase_if(Predicate remove) {
        bool encoding = false;
        std::erase_if(fields_, [&](const Field& field) {
            const bool removed = remove(field);
            encoding = encoding ||
                       (removed && field.name() == boost::beast::http::field::transfer_encoding);
            return removed;
        });
        if (encoding) {
            refresh_chunked();
        }
    }

    // Sets Transfer-Encoding to chunked, or removes it.
    void chunked(bool chunked);
    // Whether the first Transfer-Encoding field ends with chunked (Beast's
    // reading), kept up to date by every change to that field.
    bool chunked() const { return chunked_; }

protected:
    ~HeadFields() = default;

    // No fields; the buffers keep their room.
    void clear_fields();
    // Frees each buffer whose room is over `bytes`, and clears the fields.
    void release_fields_room_over(std::size_t bytes);

private:
    // Room made at the first field, for a small head. The pools keep the
    // heads of every exchange a burst of connections ran at this size
    // (1 KiB made the idle bench's figure 0.05 kB a connection higher),
    // and a head built from nothing (an HTTP/2 stream's) grows a few times,
    // not once per doubling from a byte.
    static constexpr std::size_t usual_text = 256;
    static constexpr std::size_t usual_fields = 8;

    void refresh_chunked();

    // Each field's name, then its value, one after another: text_size_
    // bytes used of text_room_. Two copies of known length into room that
    // is there cost a third of what two std::string appends did.
    std::unique_ptr<char[]> text_;
    std::uint32_t text_size_ = 0;
    std::uint32_t text_room_ = 0;
    std::vector<Field> fields_;
    bool chunked_ = false;
};

}  // namespace turnout::server

#include "server/http/head_text.hpp"

#include <cstring>

namespace turnout::server {

namespace {

// One append: a push_back per character cost a capacity check each.
void append_version(std::string& out, unsigned version) {
    const char text[] = {'H', 'T',
                         'T', 'P',
                         '/', static_cast<char>('0' + version / 10 % 10),
                         '.', static_cast<char>('0' + version % 10)};
    out.append(text, sizeof text);
}

// The length of the fields' text and the blank line.
std::size_t fields_size(const HeadFields& fields) {
    std::size_t size = 2;
    for (const auto& field : fields) {
        size += field.name_string().size() + field.value().size() + 4;
    }
    return size;
}

// The fields and the blank line (`size` bytes), copied into room made for
// them at once: no capacity check per piece.
void append_fields(std::string& out, const HeadFields& fields, std::size_t size) {
    const std::size_t start = out.size();
    out.resize(start + size);
    char* cursor = out.data() + start;
    const auto copy = [&cursor](std::string_view piece) {
        std::memcpy(cursor, piece.data(), piece.size());
        cursor += piece.size();
    };
    for (const auto& field : fields) {
        copy(field.name_string());
        copy(": ");
        copy(field.value());
        copy("\r\n");
    }
    copy("\r\n");
}

}  // namespace

// Each reserves the whole head first: one allocation for a string that
// grows, not one per doubling.
void append_head_text(std::string& out, const RequestHead& head) {
    const auto fields = fields_size(head);
    out.reserve(out.size() + head.method_string().size() + head.target().size() + 11 + fields);
    out.append(head.method_string()).push_back(' ');
    out.append(head.target()).push_back(' ');
    append_version(out, head.version());
    out.append("\r\n");
    append_fields(out, head, fields);
}

void append_head_text(std::string& out, const ResponseHead& head) {
    const auto fields = fields_size(head);
    out.reserve(out.size() + head.reason().size() + 15 + fields);
    append_version(out, head.version());
    const unsigned code = head.result_int();
    const char digits[] = {' ', static_cast<char>('0' + code / 100),
                           static_cast<char>('0' + code / 10 % 10),
                           static_cast<char>('0' + code % 10), ' '};
    out.append(digits, sizeof digits).append(head.reason()).append("\r\n");
    append_fields(out, head, fields);
}

}  // namespace turnout::server

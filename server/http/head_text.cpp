#include "server/http/head_text.hpp"

namespace turnout::server {

namespace {

void append_version(std::string& out, unsigned version) {
    out.append("HTTP/");
    out.push_back(static_cast<char>('0' + version / 10));
    out.push_back('.');
    out.push_back(static_cast<char>('0' + version % 10));
}

// Reserves room for the start line and every field first: one allocation
// for a string that grows, not one per doubling.
void reserve_head(std::string& out, std::size_t start_line,
                  const boost::beast::http::fields& fields) {
    std::size_t size = out.size() + start_line + 2;
    for (const auto& field : fields) {
        size += field.name_string().size() + field.value().size() + 4;
    }
    out.reserve(size);
}

void append_fields(std::string& out, const boost::beast::http::fields& fields) {
    for (const auto& field : fields) {
        out.append(field.name_string()).append(": ").append(field.value()).append("\r\n");
    }
    out.append("\r\n");
}

}  // namespace

void append_head_text(std::string& out, const boost::beast::http::request_header<>& head) {
    reserve_head(out, head.method_string().size() + head.target().size() + 11, head);
    out.append(head.method_string()).push_back(' ');
    out.append(head.target()).push_back(' ');
    append_version(out, head.version());
    out.append("\r\n");
    append_fields(out, head);
}

void append_head_text(std::string& out, const boost::beast::http::response_header<>& head) {
    reserve_head(out, head.reason().size() + 15, head);
    append_version(out, head.version());
    const unsigned code = head.result_int();
    const char digits[] = {' ', static_cast<char>('0' + code / 100),
                           static_cast<char>('0' + code / 10 % 10),
                           static_cast<char>('0' + code % 10), ' '};
    out.append(digits, sizeof digits).append(head.reason()).append("\r\n");
    append_fields(out, head);
}

}  // namespace turnout::server

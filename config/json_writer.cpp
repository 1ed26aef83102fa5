#include "config/json_writer.hpp"

namespace turnout::config {

namespace {

bool needs_escape(char c) {
    return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
}

}  // namespace

// Runs of plain bytes are appended whole; only quotes, backslashes and
// control characters are escaped, as boost::json::serialize does.
void JsonWriter::quoted(std::string_view text) {
    out_ += '"';
    std::size_t plain = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (!needs_escape(c)) {
            continue;
        }
        out_.append(text.data() + plain, i - plain);
        plain = i + 1;
        switch (c) {
        case '"':
            out_ += "\\\"";
            break;
        case '\\':
            out_ += "\\\\";
            break;
        case '\n':
            out_ += "\\n";
            break;
        case '\r':
            out_ += "\\r";
            break;
        case '\t':
            out_ += "\\t";
            break;
        default: {
            static constexpr char hex[] = "0123456789abcdef";
            const auto byte = static_cast<unsigned char>(c);
            out_ += "\\u00";
            out_ += hex[byte >> 4];
            out_ += hex[byte & 0xf];
        }
        }
    }
    out_.append(text.data() + plain, text.size() - plain);
    out_ += '"';
}

}  // namespace turnout::config

#include "server/http/request_head_check.hpp"

#include "server/http/http_text.hpp"

#include <ostream>  // Beast 1.81's string_view header uses std::ostream without including it

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <array>
#include <cstdint>

namespace turnout::server {

namespace {

using status = boost::beast::http::status;
using boost::beast::iequals;

constexpr std::string_view crlf = "\r\n";

// A Host value: reg-name or IP literal, optional port (RFC 3986 §3.2.2).
constexpr std::array<bool, 256> host_chars = alnum_and("-._~!$&'()*+,;=:[]%");

// Non-empty, and every byte in `allowed`. No exit per byte: the names are
// short and nearly always valid, so a branch per byte only cost time.
bool made_of(std::string_view text, const std::array<bool, 256>& allowed) {
    bool all = !text.empty();
    for (unsigned char c : text) {
        all &= allowed[c];
    }
    return all;
}

bool is_token(std::string_view text) {
    return made_of(text, tchar_table);
}

// `[` and `]` only around an IP literal that opens the value, followed by
// nothing or a port (RFC 3986 §3.2.2): "[::1" or "a]b" would be read as
// different hosts by different parsers.
bool has_sound_brackets(std::string_view host) {
    const auto open = host.find('[');
    const auto close = host.find(']');
    if (open == std::string_view::npos && close == std::string_view::npos) {
        return true;
    }
    if (open != 0 || close == std::string_view::npos || close < 2 ||
        host.find_first_of("[]", 1) != close ||
        host.find_first_of("[]", close + 1) != std::string_view::npos) {
        return false;
    }
    return close + 1 == host.size() || host[close + 1] == ':';
}

bool is_host(std::string_view text) {
    return made_of(text, host_chars) && has_sound_brackets(text);
}

// A byte no field value may hold (RFC 9110 §5.5): a control character
// other than HTAB (CR and LF included), or DEL.
bool is_control(unsigned char c) {
    return ((c < 0x20) & (c != '\t')) | (c == 0x7f);
}

bool has_control(std::string_view text) {
    return std::ranges::any_of(text, [](unsigned char c) { return is_control(c); });
}

// Whether the control byte at `i` is the CR or the LF of a CRLF.
bool in_line_end(std::string_view text, std::size_t i) {
    return (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ||
           (text[i] == '\n' && i > 0 && text[i - 1] == '\r');
}

// Whether every control byte in `text` is half of a CRLF: then no field
// line holds one, and no line needs a look of its own. The loop has no
// exit and works on bytes, so the compiler turns it into vector compares
// of 16 bytes at a time over the whole head: a test per line, with an exit
// per byte, cost about as much as Beast's whole parse of the same head.
bool controls_only_in_line_ends(std::string_view text) {
    const std::size_t n = text.size();
    const auto fits = [text](std::size_t i) {
        return !is_control(text[i]) || in_line_end(text, i);
    };
    if (n < 3) {
        for (std::size_t i = 0; i < n; ++i) {
            if (!fits(i)) {
                return false;
            }
        }
        return true;
    }
    const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
    unsigned char stray = 0;
    for (std::size_t i = 1; i + 1 < n; ++i) {
        const unsigned char c = bytes[i];
        const bool cr_of_pair = (c == '\r') & (bytes[i + 1] == '\n');
        const bool lf_of_pair = (c == '\n') & (bytes[i - 1] == '\r');
        stray |= static_cast<unsigned char>(is_control(c) & !cr_of_pair & !lf_of_pair);
    }
    return stray == 0 && fits(0) && fits(n - 1);
}

// 1*DIGIT that fits 64 bits: no sign, no hex, no list, no junk.
bool is_content_length(std::string_view text) {
    if (text.empty()) {
        return false;
    }
    std::uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') {
            return false;
        }
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (UINT64_MAX - digit) / 10) {
            return false;
        }
        value = value * 10 + digit;
    }
    return true;
}

struct RequestLine {
    unsigned version = 0;  // 10 or 11
};

// CONNECT asks for a tunnel, which turnout does not offer; the
// asterisk-form target `*` belongs to OPTIONS alone (RFC 9112 §3.2.4).
std::optional<RequestHeadRejection> check_method_and_target(std::string_view method,
                                                            std::string_view target) {
    if (method == "CONNECT") {
        return RequestHeadRejection{status::method_not_allowed, "connect_not_supported"};
    }
    if (target.front() == '*' && (target != "*" || method != "OPTIONS")) {
        return RequestHeadRejection{status::bad_request, "bad_request_target"};
    }
    return std::nullopt;
}

std::optional<RequestHeadRejection> check_request_line(std::string_view line, RequestLine& out) {
    const RequestHeadRejection bad{status::bad_request, "bad_request_line"};
    const auto method_end = line.find(' ');
    if (method_end == std::string_view::npos || !is_token(line.substr(0, method_end))) {
        return bad;
    }
    const auto target_end = line.find(' ', method_end + 1);
    if (target_end == std::string_view::npos || target_end == method_end + 1) {
        return bad;
    }
    for (unsigned char c : line.substr(method_end + 1, target_end - method_end - 1)) {
        if (c <= 0x20 || c == 0x7f) {
            return bad;
        }
    }
    const auto version = line.substr(target_end + 1);
    const auto digit = [](char c) { return c >= '0' && c <= '9'; };
    if (version.size() != 8 || !version.starts_with("HTTP/") || !digit(version[5]) ||
        version[6] != '.' || !digit(version[7])) {
        return bad;
    }
    if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) {
        return RequestHeadRejection{status::http_version_not_supported, "http_version"};
    }
    out.version = version[7] == '1' ? 11 : 10;
    return check_method_and_target(line.substr(0, method_end),
                                   line.substr(method_end + 1, target_end - method_end - 1));
}

// What the framing-relevant fields said, gathered over every field line.
struct Framing {
    unsigned content_lengths = 0;
    unsigned hosts = 0;
    bool transfer_encoding = false;
    unsigned codings = 0;
    unsigned chunked_codings = 0;
    bool last_coding_chunked = false;
    bool bad_coding = false;
    bool bad_host = false;
    bool bad_content_length = false;
    bool bad_connection = false;

    // Connection and Proxy-Connection: a list of tokens (RFC 9110 §7.6.1),
    // empty elements allowed; Beast refuses anything else later anyway.
    static bool is_token_list(std::string_view value) {
        while (true) {
            const auto comma = value.find(',');
            const auto element = trim_ows(value.substr(0, comma));
            if (!element.empty() && !is_token(element)) {
                return false;
            }
            if (comma == std::string_view::npos) {
                return true;
            }
            value.remove_prefix(comma + 1);
        }
    }

    void add_transfer_codings(std::string_view value) {
        transfer_encoding = true;
        while (true) {
            const auto comma = value.find(',');
            const auto coding = trim_ows(value.substr(0, comma));
            // Empty elements and parameters are legal in general, but no
            // client needs them here and other parsers disagree on them.
            if (!is_token(coding)) {
                bad_coding = true;
            }
            ++codings;
            last_coding_chunked = iequals(coding, "chunked");
            chunked_codings += last_coding_chunked ? 1 : 0;
            if (comma == std::string_view::npos) {
                return;
            }
            value.remove_prefix(comma + 1);
        }
    }

    // `value` untrimmed. Most fields are none of these: the length tells
    // at once, before any comparison or trim.
    void add(std::string_view name, std::string_view value) {
        switch (name.size()) {
        case 4:
            if (iequals(name, "host")) {
                ++hosts;
                bad_host = bad_host || !is_host(trim_ows(value));
            }
            return;
        case 10:
        case 16:
            if (iequals(name, "connection") || iequals(name, "proxy-connection")) {
                bad_connection = bad_connection || !is_token_list(value);
            }
            return;
        case 14:
            if (iequals(name, "content-length")) {
                ++content_lengths;
                bad_content_length = bad_content_length || !is_content_length(trim_ows(value));
            }
            return;
        case 17:
            if (iequals(name, "transfer-encoding")) {
                add_transfer_codings(value);
            }
            return;
        default:
            return;
        }
    }

    std::optional<RequestHeadRejection> verdict(unsigned version) const {
        const auto reject = [](std::string_view reason) {
            return RequestHeadRejection{status::bad_request, reason};
        };
        if (hosts > 1) {
            return reject("duplicate_host");
        }
        if (version >= 11 && hosts == 0) {
            return reject("missing_host");
        }
        if (bad_host) {
            return reject("bad_host");
        }
        if (content_lengths > 1) {
            return reject("duplicate_content_length");
        }
        if (bad_content_length) {
            return reject("bad_content_length");
        }
        if (bad_connection) {
            return reject("bad_connection");
        }
        if (!transfer_encoding) {
            return std::nullopt;
        }
        if (content_lengths > 0) {
            return reject("content_length_and_transfer_encoding");
        }
        if (version < 11) {
            return reject("transfer_encoding_http10");
        }
        if (bad_coding || !last_coding_chunked || chunked_codings > 1) {
            return reject("bad_transfer_encoding");
        }
        if (codings > 1) {
            return RequestHeadRejection{status::not_implemented, "unsupported_transfer_encoding"};
        }
        return std::nullopt;
    }
};

}  // namespace

std::size_t leading_empty_lines(std::string_view head) {
    std::size_t skipped = 0;
    while (head.substr(skipped, 2) == crlf) {
        skipped += 2;
    }
    return skipped;
}

HeadEnd find_head_end(std::string_view bytes, std::size_t from) {
    for (auto i = bytes.find('\n', from); i != std::string_view::npos;
         i = bytes.find('\n', i + 1)) {
        if (i == 0 || bytes[i - 1] != '\r') {
            return HeadEnd{0, true};
        }
        if (i >= 3 && bytes[i - 2] == '\n') {
            return HeadEnd{i + 1, false};
        }
    }
    return HeadEnd{};
}

std::optional<RequestHeadRejection> check_request_head(std::string_view head,
                                                       std::size_t max_headers) {
    head.remove_prefix(leading_empty_lines(head));
    if (!head.ends_with("\r\n\r\n")) {
        return RequestHeadRejection{status::bad_request, "bad_request_line"};
    }
    auto line_end = head.find(crlf);
    RequestLine request_line;
    if (auto rejected = check_request_line(head.substr(0, line_end), request_line)) {
        return rejected;
    }
    const bool clean = controls_only_in_line_ends(head.substr(line_end + 2));
    Framing framing;
    std::size_t fields = 0;
    for (auto start = line_end + 2;; start = line_end + 2) {
        line_end = head.find(crlf, start);
        const auto line = head.substr(start, line_end - start);
        if (line.empty()) {
            break;
        }
        // Which rule a control byte breaks is worked out only when there is one.
        const bool controls = !clean && has_control(line);
        if (controls && line.find('\r') != std::string_view::npos) {
            return RequestHeadRejection{status::bad_request, "bad_line_ending"};
        }
        if (line.front() == ' ' || line.front() == '\t') {
            return RequestHeadRejection{status::bad_request, "obs_fold"};
        }
        if (++fields > max_headers) {
            return RequestHeadRejection{status::request_header_fields_too_large,
                                        "too_many_headers"};
        }
        const auto colon = line.find(':');
        const auto name = line.substr(0, colon);
        if (colon == std::string_view::npos || !is_token(name)) {
            return RequestHeadRejection{status::bad_request, "bad_header_name"};
        }
        // The name is a token, so the control byte is in the value.
        if (controls) {
            return RequestHeadRejection{status::bad_request, "bad_header_value"};
        }
        framing.add(name, line.substr(colon + 1));
    }
    return framing.verdict(request_line.version);
}

}  // namespace turnout::server

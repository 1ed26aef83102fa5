#include "server/http/chunked_scanner.hpp"

#include "server/http/http_text.hpp"

#include <algorithm>

namespace turnout::server {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// Any byte below SP but HTAB, and DEL.
bool is_control(char c) {
    const auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && byte != '\t') || byte == 0x7f;
}

}  // namespace

ChunkedScanner::Result ChunkedScanner::scan(std::string_view bytes) {
    std::size_t i = 0;
    while (i < bytes.size() && state_ != State::done && state_ != State::bad) {
        if (state_ == State::data) {
            // Chunk data is skipped in one step, whatever its bytes.
            const auto take =
                static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, bytes.size() - i));
            i += take;
            remaining_ -= take;
            if (remaining_ == 0) {
                state_ = State::data_cr;
            }
            continue;
        }
        state_ = next(bytes[i++]);
    }
    return Result{i, state_ == State::bad};
}

ChunkedScanner::State ChunkedScanner::next(char c) {
    switch (state_) {
    case State::size:
        if (const int digit = hex_value(c); digit >= 0) {
            if (++digits_ > max_size_digits) {
                return State::bad;
            }
            size_ = size_ * 16 + static_cast<std::uint64_t>(digit);
            return State::size;
        }
        if (digits_ == 0) {
            return State::bad;
        }
        return next_in_extension(c);
    case State::size_lf:
        if (c != '\n') {
            return State::bad;
        }
        if (size_ == 0) {
            return State::trailer_start;
        }
        remaining_ = size_;
        return State::data;
    case State::data_cr:
        return c == '\r' ? State::data_lf : State::bad;
    case State::data_lf:
        if (c != '\n') {
            return State::bad;
        }
        digits_ = 0;
        size_ = 0;
        return State::size;
    case State::trailer_start:
        if (c == '\r') {
            return State::final_lf;
        }
        // A line starting with whitespace is obs-fold, which Beast accepts
        // in trailers too; a name is a token right up to its colon.
        return is_tchar(c) ? State::trailer_name : State::bad;
    case State::trailer_name:
        if (c == ':') {
            return State::trailer;
        }
        return is_tchar(c) ? State::trailer_name : State::bad;
    case State::trailer:
        if (c == '\r') {
            return State::trailer_lf;
        }
        return is_control(c) ? State::bad : State::trailer;
    case State::trailer_lf:
        return c == '\n' ? State::trailer_start : State::bad;
    case State::final_lf:
        return c == '\n' ? State::done : State::bad;
    case State::data:
    case State::done:
    case State::bad:
        break;
    default:
        return next_in_extension(c);
    }
    return state_;
}

// From the end of the chunk size to the CR of its line: chunk extensions,
// exactly as Beast parses them (anything else is its bad_chunk_extension,
// found too late: after the head went upstream), and no control byte in a
// quoted value, where Beast lets one through.
ChunkedScanner::State ChunkedScanner::next_in_extension(char c) const {
    const bool blank = c == ' ' || c == '\t';
    switch (state_) {
    case State::ext_token:
        if (is_tchar(c)) {
            return State::ext_token;
        }
        [[fallthrough]];
    case State::size:
    case State::ext_value_end:
        if (c == '\r') {
            return State::size_lf;
        }
        return c == ';' ? State::ext_name_start : blank ? State::ext_bws : State::bad;
    case State::ext_bws:
        return c == ';' ? State::ext_name_start : blank ? State::ext_bws : State::bad;
    case State::ext_name_start:
        return is_tchar(c) ? State::ext_name : blank ? State::ext_name_start : State::bad;
    case State::ext_name:
        if (c == '\r') {
            return State::size_lf;
        }
        if (is_tchar(c)) {
            return State::ext_name;
        }
        [[fallthrough]];
    case State::ext_name_bws:
        if (c == ';') {
            return State::ext_name_start;
        }
        return c == '=' ? State::ext_value_start : blank ? State::ext_name_bws : State::bad;
    case State::ext_value_start:
        if (c == '"') {
            return State::ext_quoted;
        }
        return is_tchar(c) ? State::ext_token : blank ? State::ext_value_start : State::bad;
    case State::ext_quoted:
        if (c == '"') {
            return State::ext_value_end;
        }
        if (c == '\\') {
            return State::ext_quoted_pair;
        }
        return is_control(c) ? State::bad : State::ext_quoted;
    case State::ext_quoted_pair:
        return is_control(c) ? State::bad : State::ext_quoted;
    default:
        return State::bad;
    }
}

}  // namespace turnout::server

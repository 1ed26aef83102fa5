#pragma once

// Watches the raw bytes of a chunked request body before Beast parses
// them, for the framings Beast 1.81 accepts but other parsers may read
// differently: chunk sizes of more than 16 hex digits (some parsers stop
// at 16 and read the rest as data), line ends that are not CRLF, control
// bytes in chunk extensions, and trailer fields that are not `token:
// value` (obs-fold, whitespace before the colon, control bytes). Beast
// still parses the body; this only refuses earlier and stricter. turnout
// re-chunks what it forwards, so the upstream never sees these bytes as
// the client wrote them — the refusal is about not being the lenient hop.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace turnout::server {

class ChunkedScanner {
public:
    static constexpr unsigned max_size_digits = 16;

    struct Result {
        std::size_t used = 0;  // bytes that belong to the body (stops at its end)
        bool bad = false;
    };

    // Looks at the next bytes of the body; those past its end (a pipelined
    // request) are left alone. Any bytes at hand may be given, before Beast
    // parses any of them: ClientSession scans what arrived with the head
    // before the head goes upstream.
    Result scan(std::string_view bytes);
    bool done() const { return state_ == State::done; }
    void reset() { *this = ChunkedScanner{}; }

private:
    enum class State {
        size,
        // chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )
        ext_bws,         // BWS before ";"
        ext_name_start,  // after ";"
        ext_name,
        ext_name_bws,  // BWS after a name: ";" or "=" must follow
        ext_value_start,
        ext_token,
        ext_quoted,
        ext_quoted_pair,
        ext_value_end,  // after a quoted value: what may follow a token
        size_lf,
        data,
        data_cr,
        data_lf,
        trailer_start,
        trailer_name,
        trailer,
        trailer_lf,
        final_lf,
        done,
        bad
    };

    State next(char c);
    State next_in_extension(char c) const;

    State state_ = State::size;
    unsigned digits_ = 0;
    std::uint64_t size_ = 0;
    std::uint64_t remaining_ = 0;
};

}  // namespace turnout::server

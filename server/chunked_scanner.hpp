#pragma once

// Watches the raw bytes of a chunked request body before Beast parses
// them, for the framings Beast 1.81 accepts but other parsers may read
// differently: chunk sizes of more than 16 hex digits (some parsers stop
// at 16 and read the rest as data), line ends that are not CRLF, control
// bytes in chunk extensions and obs-fold in the trailer section. Beast
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
    // request) are left alone.
    Result scan(std::string_view bytes);
    bool done() const { return state_ == State::done; }
    void reset() { *this = ChunkedScanner{}; }

private:
    enum class State {
        size,
        extension,
        size_lf,
        data,
        data_cr,
        data_lf,
        trailer_start,
        trailer,
        trailer_lf,
        final_lf,
        done,
        bad
    };

    State next(char c);

    State state_ = State::size;
    unsigned digits_ = 0;
    std::uint64_t size_ = 0;
    std::uint64_t remaining_ = 0;
};

}  // namespace turnout::server

#pragma once

// The etcd gateway streams a watch as one chunked HTTP response holding a
// sequence of JSON objects ({"result": …} each, newline-separated). Chunk
// boundaries fall anywhere, inside an object, a string or an escape, so the
// objects are found by scanning: depth, inside-a-string and after-a-backslash
// are carried from one piece to the next. Only whole top-level objects come
// out; what lies between them (whitespace) is skipped.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace turnout::master::etcd {

class JsonObjectSplitter {
public:
    // An object longer than `max_object_bytes` is an error (see feed()).
    explicit JsonObjectSplitter(std::size_t max_object_bytes)
        : max_object_bytes_(max_object_bytes) {}

    // Appends `piece` and returns the objects it completed, in order. False
    // in `ok` when the stream is broken (a byte other than whitespace between
    // objects, a '}' too many, an object over the limit): the stream must
    // then be dropped.
    std::vector<std::string> feed(std::string_view piece, bool& ok);

    // Bytes of an object begun and not yet complete.
    std::size_t pending() const { return current_.size(); }

private:
    std::size_t max_object_bytes_;
    std::string current_;
    int depth_ = 0;
    bool in_string_ = false;
    bool escaped_ = false;
};

}  // namespace turnout::master::etcd

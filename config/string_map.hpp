#pragma once

// A hash map keyed by std::string that is looked up by std::string_view
// without building a string (C++20 heterogeneous lookup). In config/, the
// lowest layer, so the worker's and the master's code share one.

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace turnout::config {

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
        return std::hash<std::string_view>{}(s);
    }
};

template <typename T>
using StringMap = std::unordered_map<std::string, T, StringHash, std::equal_to<>>;

}  // namespace turnout::config

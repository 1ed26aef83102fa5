#pragma once

// A head's header fields as plain (name, value) pairs in their order, so
// that a test compares turnout's heads with Beast's messages in one CHECK.

#include <string>
#include <utility>
#include <vector>

namespace turnout::test {

using FieldList = std::vector<std::pair<std::string, std::string>>;

// Any head a range-for walks whose fields have name_string() and value():
// a RequestHead, a ResponseHead, a Beast message or basic_fields.
template <class Head>
FieldList fields_of(const Head& head) {
    FieldList out;
    for (const auto& field : head) {
        out.emplace_back(std::string{field.name_string()}, std::string{field.value()});
    }
    return out;
}

}  // namespace turnout::test

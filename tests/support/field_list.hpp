#pragma once

// A head's header fields as plain (name, value) pairs, so that a test or a
// fuzz target compares turnout's heads with Beast's messages at once. Any
// head a range-for walks whose fields have name_string() and value() will
// do: a RequestHead, a ResponseHead, a Beast message or basic_fields.

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>
#include <vector>

namespace turnout::test {

using FieldList = std::vector<std::pair<std::string, std::string>>;

// The fields in their order.
template <class Head>
FieldList fields_of(const Head& head) {
    FieldList out;
    for (const auto& field : head) {
        out.emplace_back(std::string{field.name_string()}, std::string{field.value()});
    }
    return out;
}

// The fields by lowercase name, each name's in their order: the order two
// parsers agree on when one groups the fields of a name (Beast's
// basic_fields puts a field behind the last of its name) and one keeps
// the order received (turnout's heads).
template <class Head>
FieldList sorted_fields(const Head& head) {
    FieldList fields = fields_of(head);
    for (auto& [name, value] : fields) {
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    }
    std::stable_sort(fields.begin(), fields.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    return fields;
}

}  // namespace turnout::test

#pragma once

// A head's fields in an order two parsers agree on: Beast's basic_fields
// puts a field behind the last one of its name, turnout's heads keep the
// order received, and both keep the fields of one name in their order.

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>
#include <vector>

namespace turnout::test {

using FieldList = std::vector<std::pair<std::string, std::string>>;

// The fields by lowercase name, each name's in their order.
template <class Head>
FieldList sorted_fields(const Head& head) {
    FieldList fields;
    for (const auto& field : head) {
        std::string name{field.name_string()};
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        fields.emplace_back(std::move(name), std::string{field.value()});
    }
    std::stable_sort(fields.begin(), fields.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    return fields;
}

}  // namespace turnout::test

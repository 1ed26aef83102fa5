#pragma once

// Internal to the loader: YAML text → its one document, without
// YAML::LoadAll, which never returns on some malformed input.

#include "config/yaml_reader.hpp"
#include "config/yaml_tree.hpp"

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>

namespace turnout::config::detail {

// The root of the text's first document (a null node when it is empty).
// Reports a YAML syntax error or too deep nesting and returns nullopt;
// reports a second document with `second_document_message` and still
// returns the first.
std::optional<YAML::Node> read_yaml_document(Context& context, const std::string& yaml,
                                             std::string_view second_document_message);

// The same document as a YamlTree: read by libyaml when the text allows,
// else by read_yaml_document, which reports what is wrong with it.
std::optional<YamlTree> read_yaml_tree(Context& context, const std::string& yaml,
                                       std::string_view second_document_message);

}  // namespace turnout::config::detail

#pragma once

// Internal to the loader: a YAML document as plain nodes with their marks,
// which the readers of yaml_reader.hpp walk. Read from libyaml's events
// when the text allows (a 10,000-route file in a tenth of the time of
// yaml-cpp's parser and node tree), else copied from yaml-cpp's tree, so
// that yaml-cpp stays the one judge of what is valid YAML and every syntax
// error keeps its message and place.

#include <yaml-cpp/mark.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace YAML {
class Node;
}

namespace turnout::config::detail {

struct YamlNode {
    enum class Kind : std::uint8_t { null, scalar, sequence, map };

    Kind kind = Kind::null;
    std::string text;  // a scalar's value
    YAML::Mark mark;   // 0-based, as yaml-cpp gives it
    // A sequence's items; a map's keys and values, alternating.
    std::vector<const YamlNode*> children;
};

class YamlTree {
public:
    YamlTree(const YamlTree&) = delete;
    YamlTree& operator=(const YamlTree&) = delete;
    YamlTree(YamlTree&&) = default;  // moving a deque keeps its elements in place
    YamlTree& operator=(YamlTree&&) = default;

    // The text's one document read with libyaml; nullopt when the text needs
    // yaml-cpp to judge it: a syntax error, a second document, tags,
    // anchors or aliases, directives, deep nesting, or text whose marks
    // libyaml counts otherwise (bytes outside ASCII, '\r').
    static std::optional<YamlTree> read_plain(const std::string& yaml);
    // A tree yaml-cpp built, node for node with its marks. Aliases make
    // yaml-cpp's tree a graph, which may hold a cycle (an alias inside the
    // node its anchor names): YAML::ParserException then, at the node where
    // the copy went deeper than any parsed text can nest.
    static YamlTree copy_of(const YAML::Node& root);

    // The document's root; a null node when the document is empty.
    const YamlNode& root() const { return *root_; }

private:
    YamlTree() = default;

    YamlNode& add(YamlNode::Kind kind, const YAML::Mark& mark);
    const YamlNode* copy_node(const YAML::Node& node, std::size_t depth);

    std::deque<YamlNode> nodes_;  // a deque: adding keeps the pointers valid
    const YamlNode* root_ = nullptr;
};

// Whether a plain scalar reads as null, as yaml-cpp has it.
bool is_null_text(const std::string& text);

}  // namespace turnout::config::detail

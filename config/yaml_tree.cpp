#include "config/yaml_tree.hpp"

#include <yaml-cpp/yaml.h>
#include <yaml.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <memory>

namespace turnout::config::detail {

namespace {

// Deeper than any config: such a text is left to yaml-cpp, whose depth guard
// reports nesting that is too deep.
constexpr std::size_t max_plain_depth = 64;
// yaml-cpp refuses text nested deeper than 2,000 levels (DeepRecursion): a
// tree deeper than that can only be an alias cycle.
constexpr std::size_t max_copy_depth = 2000;
constexpr std::string_view alias_cycle_message =
    "YAML alias refers to a node that contains it: write the repeated part out, or anchor a "
    "node outside it";

YAML::Mark mark_of(const yaml_mark_t& mark) {
    YAML::Mark result;
    result.pos = static_cast<int>(mark.index);
    result.line = static_cast<int>(mark.line);
    result.column = static_cast<int>(mark.column);
    return result;
}

// libyaml's parser and its current event, each freed once.
class EventParser {
public:
    explicit EventParser(const std::string& yaml) {
        yaml_parser_initialize(&parser_);
        yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(yaml.data()),
                                     yaml.size());
    }
    ~EventParser() {
        drop_event();
        yaml_parser_delete(&parser_);
    }
    EventParser(const EventParser&) = delete;
    EventParser& operator=(const EventParser&) = delete;

    // The next event; nullptr on a syntax error.
    const yaml_event_t* next() {
        drop_event();
        if (!yaml_parser_parse(&parser_, &event_)) {
            return nullptr;
        }
        has_event_ = true;
        return &event_;
    }

private:
    void drop_event() {
        if (has_event_) {
            yaml_event_delete(&event_);
            has_event_ = false;
        }
    }

    yaml_parser_t parser_;
    yaml_event_t event_;
    bool has_event_ = false;
};

// Text whose marks libyaml counts as yaml-cpp does: ASCII (yaml-cpp counts
// columns in bytes, libyaml in characters) and no '\r' (line breaks).
bool counts_as_yaml_cpp(const std::string& text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 0x80 && c != '\r'; });
}

// Where the token after `from` starts, past blanks, line breaks and
// comments: yaml-cpp marks an empty value there, libyaml where it noticed
// the value was empty.
YAML::Mark next_token(const std::string& text, YAML::Mark from) {
    auto at = static_cast<std::size_t>(from.pos);
    while (at < text.size()) {
        char c = text[at];
        if (c == '#') {
            while (at < text.size() && text[at] != '\n') {
                ++at;
                ++from.column;
            }
            continue;
        }
        if (c == '\n') {
            ++from.line;
            from.column = 0;
        } else if (c == ' ' || c == '\t') {
            ++from.column;
        } else {
            break;
        }
        ++at;
    }
    from.pos = static_cast<int>(at);
    return from;
}

}  // namespace

bool is_null_text(const std::string& text) {
    return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL";
}

YamlNode& YamlTree::add(YamlNode::Kind kind, const YAML::Mark& mark) {
    YamlNode& node = nodes_.emplace_back();
    node.kind = kind;
    node.mark = mark;
    return node;
}

std::optional<YamlTree> YamlTree::read_plain(const std::string& yaml) {
    if (!counts_as_yaml_cpp(yaml)) {
        return std::nullopt;
    }
    YamlTree tree;
    EventParser parser(yaml);
    std::vector<YamlNode*> open;  // the collections being read, innermost last
    bool document_read = false;
    auto place = [&](YamlNode& node) {
        if (open.empty()) {
            tree.root_ = &node;
        } else {
            open.back()->children.push_back(&node);
        }
    };
    for (;;) {
        const yaml_event_t* event = parser.next();
        if (!event) {
            return std::nullopt;
        }
        switch (event->type) {
        case YAML_STREAM_START_EVENT:
        case YAML_NO_EVENT:
            break;
        case YAML_STREAM_END_EVENT:
            if (!tree.root_) {
                tree.root_ = &tree.add(YamlNode::Kind::null, YAML::Mark());
            }
            return tree;
        case YAML_DOCUMENT_START_EVENT:
            if (document_read || event->data.document_start.version_directive ||
                event->data.document_start.tag_directives.start !=
                    event->data.document_start.tag_directives.end) {
                return std::nullopt;
            }
            break;
        case YAML_DOCUMENT_END_EVENT:
            document_read = true;
            break;
        case YAML_ALIAS_EVENT:
            return std::nullopt;
        case YAML_SCALAR_EVENT: {
            const auto& scalar = event->data.scalar;
            if (scalar.anchor || scalar.tag) {
                return std::nullopt;
            }
            std::string text(reinterpret_cast<const char*>(scalar.value), scalar.length);
            bool null = scalar.style == YAML_PLAIN_SCALAR_STYLE && is_null_text(text);
            YAML::Mark mark = mark_of(event->start_mark);
            if (scalar.length == 0 && scalar.style == YAML_PLAIN_SCALAR_STYLE) {
                mark = next_token(yaml, mark);
            }
            YamlNode& node = tree.add(null ? YamlNode::Kind::null : YamlNode::Kind::scalar, mark);
            if (!null) {
                node.text = std::move(text);
            }
            place(node);
            break;
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
            bool sequence = event->type == YAML_SEQUENCE_START_EVENT;
            const yaml_char_t* anchor =
                sequence ? event->data.sequence_start.anchor : event->data.mapping_start.anchor;
            const yaml_char_t* tag =
                sequence ? event->data.sequence_start.tag : event->data.mapping_start.tag;
            if (anchor || tag || open.size() >= max_plain_depth) {
                return std::nullopt;
            }
            YamlNode& node = tree.add(sequence ? YamlNode::Kind::sequence : YamlNode::Kind::map,
                                      mark_of(event->start_mark));
            place(node);
            open.push_back(&node);
            break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            open.pop_back();
            break;
        }
    }
}

YamlTree YamlTree::copy_of(const YAML::Node& root) {
    YamlTree tree;
    tree.root_ = tree.copy_node(root, 0);
    return tree;
}

const YamlNode* YamlTree::copy_node(const YAML::Node& node, std::size_t depth) {
    if (depth > max_copy_depth) {
        throw YAML::ParserException(node.Mark(), std::string(alias_cycle_message));
    }
    if (!node.IsDefined() || node.IsNull()) {
        return &add(YamlNode::Kind::null, node.Mark());
    }
    if (node.IsScalar()) {
        YamlNode& scalar = add(YamlNode::Kind::scalar, node.Mark());
        scalar.text = node.Scalar();
        return &scalar;
    }
    YamlNode& collection =
        add(node.IsMap() ? YamlNode::Kind::map : YamlNode::Kind::sequence, node.Mark());
    for (auto it = node.begin(); it != node.end(); ++it) {
        if (node.IsMap()) {
            collection.children.push_back(copy_node(it->first, depth + 1));
            collection.children.push_back(copy_node(it->second, depth + 1));
        } else {
            collection.children.push_back(copy_node(*it, depth + 1));
        }
    }
    return &collection;
}

}  // namespace turnout::config::detail

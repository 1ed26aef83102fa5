// The loader's own YAML tree: what libyaml reads must be node for node, mark
// for mark, what yaml-cpp reads, and text yaml-cpp must judge is left to it.

#include "config/yaml_tree.hpp"

#include <catch2/catch.hpp>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using turnout::config::detail::YamlNode;
using turnout::config::detail::YamlTree;

namespace {

// "line:column kind text", one node a line, children indented.
void describe(const YamlNode& node, int depth, std::string& out) {
    static const char* const kinds[] = {"null", "scalar", "sequence", "map"};
    out += std::string(static_cast<std::size_t>(depth) * 2, ' ') + std::to_string(node.mark.line) +
           ":" + std::to_string(node.mark.column) + "@" + std::to_string(node.mark.pos) + " " +
           kinds[static_cast<int>(node.kind)] + " " + node.text + "\n";
    for (const YamlNode* child : node.children) {
        describe(*child, depth + 1, out);
    }
}

std::string describe(const YamlTree& tree) {
    std::string out;
    describe(tree.root(), 0, out);
    return out;
}

void require_same_as_yaml_cpp(const std::string& yaml) {
    INFO("YAML:\n" << yaml);
    auto plain = YamlTree::read_plain(yaml);
    REQUIRE(plain.has_value());
    CHECK(describe(*plain) == describe(YamlTree::copy_of(YAML::Load(yaml))));
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

TEST_CASE("libyaml's tree is yaml-cpp's, marks included", "[config]") {
    require_same_as_yaml_cpp(
        "workers: 2\nlisteners:\n  - { name: web, address: 127.0.0.1:8080 }\n");
    require_same_as_yaml_cpp("listeners:\n  - name: web\n    address: :8080\n");
    require_same_as_yaml_cpp("a:\nb: ~\nc: null\nd: 'null'\ne: \"~\"\nf: NULL\ng: nUll\n");
    require_same_as_yaml_cpp("list:\n- one\n-\n- - nested\n  - [x, y]\n- {k: v, w: }\n");
    require_same_as_yaml_cpp("text: |\n  two\n  lines\nfolded: >\n  a\n  b\nq: 'it''s'\n");
    require_same_as_yaml_cpp("---\nkey: value # comment\n...\n");
    require_same_as_yaml_cpp("a: 1\na: 2\n[x]: 3\n");
    require_same_as_yaml_cpp("a:\n  b:\nc:\n");
    require_same_as_yaml_cpp("a:\n  -\n  -\nb: [ ]\nc: {}\nd:\n");
    require_same_as_yaml_cpp("- a:\n  b:\n-\n");
    require_same_as_yaml_cpp("routes:\n  - name: r\n    match:\n    upstream:\n");
    require_same_as_yaml_cpp("a: # why\n  # more\nb:\n");
    require_same_as_yaml_cpp("- # empty\n-   \n");
}

TEST_CASE("an empty document is one null node", "[config]") {
    for (const std::string yaml : {"", "# only a comment\n", "---\n"}) {
        INFO("YAML: " << yaml);
        auto tree = YamlTree::read_plain(yaml);
        REQUIRE(tree.has_value());
        CHECK(tree->root().kind == YamlNode::Kind::null);
    }
}

TEST_CASE("every config of the fuzz corpus and the examples reads as yaml-cpp reads it",
          "[config]") {
    const std::filesystem::path root(TURNOUT_SOURCE_DIR);
    int compared = 0;
    for (const auto& entry :
         std::filesystem::directory_iterator(root / "tests/fuzz/corpus/config_loader")) {
        const std::string yaml = read_file(entry.path());
        INFO("file: " << entry.path().string());
        if (auto plain = YamlTree::read_plain(yaml)) {
            CHECK(describe(*plain) == describe(YamlTree::copy_of(YAML::Load(yaml))));
            ++compared;
        }
    }
    require_same_as_yaml_cpp(read_file(root / "examples/demo.yaml"));
    CHECK(compared >= 5);
}

TEST_CASE("text that yaml-cpp must judge is not read by libyaml", "[config]") {
    for (const std::string& yaml : std::initializer_list<std::string>{
             "a: &anchor 1\nb: *anchor\n",                   // anchors and aliases
             "a: !!str 1\n",                                 // tags
             "%YAML 1.2\n---\na: 1\n",                       // directives
             "a: 1\n---\nb: 2\n",                            // a second document
             "name: caf\xc3\xa9\n",                          // columns counted in bytes
             "a: 1\r\nb: 2\r\n",                             // lines ending in \r\n
             "a: [1, 2\n",                                   // a syntax error
             "a: { b: :8080 }\n",                            // libyaml refuses ':' first in a flow
             std::string(100, '[') + std::string(100, ']'),  // deep nesting
         }) {
        INFO("YAML: " << yaml);
        CHECK_FALSE(YamlTree::read_plain(yaml).has_value());
    }
}

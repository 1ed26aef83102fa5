#include "config/yaml_document.hpp"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <sstream>
#include <vector>

namespace turnout::config::detail {

namespace {

// Where the root node of each document of a stream is; nothing else.
class DocumentRoots : public YAML::EventHandler {
public:
    std::vector<YAML::Mark> marks;

    void OnDocumentStart(const YAML::Mark&) override { in_root_ = true; }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
    void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  const std::string&) override {
        node(mark);
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {
        node(mark);
    }
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {
        node(mark);
    }
    void OnMapEnd() override {}

private:
    void node(const YAML::Mark& mark) {
        if (in_root_) {
            marks.push_back(mark);
            in_root_ = false;
        }
    }

    bool in_root_ = false;
};

// Reports a second document, or a token no node can start with. On such a
// token (a ',' where a node belongs) yaml-cpp 0.7 ends the document without
// consuming it, so the next "document" starts at the same place, forever:
// YAML::LoadAll never returns and eats memory (jbeder/yaml-cpp#1040). This
// parser stops after two documents.
void check_single_document(Context& context, const std::string& yaml,
                           std::string_view second_document_message) {
    std::istringstream in(yaml);
    YAML::Parser parser(in);
    DocumentRoots roots;
    while (roots.marks.size() < 2 && parser.HandleNextDocument(roots)) {
    }
    if (roots.marks.size() < 2) {
        return;
    }
    if (roots.marks[1].pos == roots.marks[0].pos) {
        context.error_at(roots.marks[1], "YAML syntax error: unexpected character");
    } else {
        context.error_at(roots.marks[1], std::string(second_document_message));
    }
}

}  // namespace

std::optional<YAML::Node> read_yaml_document(Context& context, const std::string& yaml,
                                             std::string_view second_document_message) {
    try {
        YAML::Node root = YAML::Load(yaml);
        check_single_document(context, yaml, second_document_message);
        return root;
    } catch (const YAML::DeepRecursion& error) {
        context.error_at(error.mark,
                         "YAML nesting is too deep (" + std::to_string(error.depth()) + " levels)");
    } catch (const YAML::ParserException& error) {
        context.error_at(error.mark, "YAML syntax error: " + error.msg);
    }
    return std::nullopt;
}

std::optional<YamlTree> read_yaml_tree(Context& context, const std::string& yaml,
                                       std::string_view second_document_message) {
    if (auto tree = YamlTree::read_plain(yaml)) {
        return tree;
    }
    const std::size_t errors_before = context.error_count();
    auto root = read_yaml_document(context, yaml, second_document_message);
    if (!root || context.error_count() > errors_before) {
        return std::nullopt;
    }
    try {
        return YamlTree::copy_of(*root);
    } catch (const YAML::ParserException& error) {
        context.error_at(error.mark, error.msg);
        return std::nullopt;
    }
}

}  // namespace turnout::config::detail

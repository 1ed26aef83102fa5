#include "server/routing/path_trie.hpp"

#include <boost/assert.hpp>

#include <algorithm>

namespace turnout::server::detail {

namespace {

using Edge = std::pair<unsigned char, std::uint32_t>;

bool by_byte(const Edge& edge, unsigned char byte) {
    return edge.first < byte;
}

bool by_order(std::uint64_t order, const RouteSlot& slot) {
    return order < slot.order;
}

unsigned char first_byte(std::string_view s) {
    return static_cast<unsigned char>(s.front());
}

std::size_t common_prefix(std::string_view a, std::string_view b) {
    auto [ia, ib] = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
    return static_cast<std::size_t>(ia - a.begin());
}

}  // namespace

PathTrie::PathTrie() : nodes_(1) {}

std::uint32_t PathTrie::child(std::uint32_t node, unsigned char byte) const {
    const auto& children = nodes_[node].children;
    auto it = std::lower_bound(children.begin(), children.end(), byte, by_byte);
    if (it == children.end() || it->first != byte) {
        return none;
    }
    return it->second;
}

std::uint32_t PathTrie::allocate() {
    if (!free_.empty()) {
        std::uint32_t index = free_.back();
        free_.pop_back();
        return index;
    }
    nodes_.emplace_back();
    return static_cast<std::uint32_t>(nodes_.size() - 1);
}

std::uint32_t PathTrie::new_node(std::uint32_t parent, std::string_view label) {
    std::uint32_t index = allocate();
    nodes_[index].parent = parent;
    nodes_[index].label = label;
    auto& children = nodes_[parent].children;
    unsigned char byte = first_byte(label);
    auto it = std::lower_bound(children.begin(), children.end(), byte, by_byte);
    // make_node() descends into the child that starts with this byte, if any.
    BOOST_ASSERT_MSG(it == children.end() || it->first != byte,
                     "siblings' labels start with different bytes");
    children.insert(it, {byte, index});
    return index;
}

std::uint32_t PathTrie::split_edge(std::uint32_t node, std::size_t at) {
    BOOST_ASSERT_MSG(at > 0 && at < nodes_[node].label.size(),
                     "a cut leaves both labels non-empty");
    // allocate() may move nodes_, so no reference into it is held across.
    std::uint32_t fork = allocate();
    std::uint32_t parent = nodes_[node].parent;
    nodes_[fork].parent = parent;
    nodes_[fork].label = nodes_[node].label.substr(0, at);
    nodes_[node].label.erase(0, at);
    nodes_[node].parent = fork;
    nodes_[fork].children.push_back({first_byte(nodes_[node].label), node});
    replace_child(parent, node, fork);
    return fork;
}

// Points `parent`'s edge to `from` at `to` instead; both labels start with
// the same byte, so the children stay sorted.
void PathTrie::replace_child(std::uint32_t parent, std::uint32_t from, std::uint32_t to) {
    for (Edge& edge : nodes_[parent].children) {
        if (edge.second == from) {
            edge.second = to;
            return;
        }
    }
    BOOST_ASSERT_MSG(false, "a node is among its parent's children");
}

void PathTrie::free_node(std::uint32_t node) {
    // Give the vectors' memory back, not just their contents.
    nodes_[node] = Node{};
    free_.push_back(node);
}

std::uint32_t PathTrie::find_node(std::string_view path) const {
    std::uint32_t node = root;
    std::size_t depth = 0;
    while (depth < path.size()) {
        node = child(node, static_cast<unsigned char>(path[depth]));
        if (node == none || !path.substr(depth).starts_with(nodes_[node].label)) {
            return none;
        }
        depth += nodes_[node].label.size();
    }
    return node;
}

std::uint32_t PathTrie::make_node(std::string_view path) {
    std::uint32_t node = root;
    std::size_t depth = 0;
    while (depth < path.size()) {
        std::string_view rest = path.substr(depth);
        std::uint32_t next = child(node, first_byte(rest));
        if (next == none) {
            return new_node(node, rest);
        }
        std::size_t shared = common_prefix(nodes_[next].label, rest);
        if (shared < nodes_[next].label.size()) {
            // The path ends inside the edge or leaves it: fork there.
            next = split_edge(next, shared);
        }
        node = next;
        depth += shared;
    }
    return node;
}

void PathTrie::insert(std::string_view path, bool exact, RouteSlot slot) {
    std::uint32_t node = make_node(path);
    // Sorted by order: an upserted route comes back to its old rank, a new
    // one (highest order so far) lands at the end.
    auto& list = exact ? nodes_[node].exact : nodes_[node].prefix;
    auto it = std::upper_bound(list.begin(), list.end(), slot.order, by_order);
    list.insert(it, std::move(slot));
    ++route_count_;
}

bool PathTrie::erase(std::string_view path, bool exact, std::uint64_t order) {
    std::uint32_t node = find_node(path);
    if (node == none) {
        return false;
    }
    auto& list = exact ? nodes_[node].exact : nodes_[node].prefix;
    auto it = std::find_if(list.begin(), list.end(),
                           [order](const RouteSlot& slot) { return slot.order == order; });
    if (it == list.end()) {
        return false;
    }
    list.erase(it);
    --route_count_;
    prune(node);
    return true;
}

// Restores the tree's shape after `node` lost a route: a node without routes
// is dropped when it has no children, and folded into its child when it has
// one, so churn neither grows the tree nor lengthens walks.
void PathTrie::prune(std::uint32_t node) {
    while (node != root) {
        Node& n = nodes_[node];
        if (!n.exact.empty() || !n.prefix.empty() || n.children.size() > 1) {
            return;
        }
        std::uint32_t parent = n.parent;
        if (n.children.size() == 1) {
            std::uint32_t only = n.children.front().second;
            nodes_[only].label.insert(0, n.label);
            nodes_[only].parent = parent;
            replace_child(parent, node, only);
            free_node(node);
            return;
        }
        auto& siblings = nodes_[parent].children;
        const auto edge =
            std::lower_bound(siblings.begin(), siblings.end(), first_byte(n.label), by_byte);
        BOOST_ASSERT_MSG(edge != siblings.end() && edge->second == node,
                         "a node is among its parent's children");
        siblings.erase(edge);
        free_node(node);
        node = parent;
    }
}

}  // namespace turnout::server::detail

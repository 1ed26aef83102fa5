#pragma once

// The paths of one host group of the route table: a radix tree (a byte trie
// whose single-child chains are folded into one edge label) whose nodes hold
// the routes whose path ends there, exact and prefix apart. A lookup walks
// the request path once, so it costs time proportional to the path's length
// (bounded by the longest configured path), never to the number of routes;
// folding keeps the nodes it touches, and so its cache misses, few.
// Internal to server/routing/route_table.cpp.

#include "server/routing/route_table.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace turnout::server::detail {

// A route in a trie node's list. `order` is the route's rank in config
// order; lists are kept sorted by it so ties resolve as the config reads.
struct RouteSlot {
    std::uint64_t order = 0;
    std::shared_ptr<RouteEntry> entry;
    // Whether the route filters on methods or headers. Most do not, and
    // then a lookup need not touch the route itself (one cache miss less).
    bool filtered = false;
};

class PathTrie {
public:
    PathTrie();

    // Adds `slot` under `path`, among the exact or the prefix routes.
    void insert(std::string_view path, bool exact, RouteSlot slot);

    // Removes the route of rank `order` from under `path`; false if absent.
    // Nodes left holding nothing are freed, so churn does not grow the trie.
    bool erase(std::string_view path, bool exact, std::uint64_t order);

    bool empty() const { return route_count_ == 0; }

    // The first route, in precedence order, for which `accept(route)` holds:
    // the routes with exactly `path`, then the prefix routes from the longest
    // matching prefix to the shortest, each list in config order. Returns
    // nullptr when none is accepted.
    template <typename Accept>
    const RouteSlot* find(std::string_view path, Accept&& accept) const;

private:
    static constexpr std::uint32_t root = 0;
    static constexpr std::uint32_t none = 0xffffffffu;

    // A node stands for the concatenation of the labels from the root down
    // to it; the root's label is empty.
    struct Node {
        std::uint32_t parent = none;
        std::string label;  // the edge from the parent, never empty below the root
        // By the first byte of the child's label, which differs between
        // siblings; a binary search bounds each step by log2(256).
        std::vector<std::pair<unsigned char, std::uint32_t>> children;
        std::vector<RouteSlot> exact;
        std::vector<RouteSlot> prefix;
    };

    // The child whose label starts with `byte`, or `none`.
    std::uint32_t child(std::uint32_t node, unsigned char byte) const;
    // The node for `path` exactly, or `none`.
    std::uint32_t find_node(std::string_view path) const;
    // The node for `path`, created (splitting an edge if need be) if absent.
    std::uint32_t make_node(std::string_view path);
    std::uint32_t allocate();
    std::uint32_t new_node(std::uint32_t parent, std::string_view label);
    // Cuts the edge into `node` after `at` bytes of its label; returns the
    // new node at the cut, which becomes `node`'s parent.
    std::uint32_t split_edge(std::uint32_t node, std::size_t at);
    void replace_child(std::uint32_t parent, std::uint32_t from, std::uint32_t to);
    void free_node(std::uint32_t node);
    void prune(std::uint32_t node);

    template <typename Accept>
    static const RouteSlot* first_accepted(const std::vector<RouteSlot>& list, Accept& accept);

    std::vector<Node> nodes_;
    std::vector<std::uint32_t> free_;  // indices of freed nodes, reused first
    std::size_t route_count_ = 0;
};

template <typename Accept>
const RouteSlot* PathTrie::first_accepted(const std::vector<RouteSlot>& list, Accept& accept) {
    for (const RouteSlot& slot : list) {
        if (!slot.filtered || accept(slot.entry->route)) {
            return &slot;
        }
    }
    return nullptr;
}

template <typename Accept>
const RouteSlot* PathTrie::find(std::string_view path, Accept&& accept) const {
    // Walk down while whole labels match; the deepest node reached is the
    // longest configured prefix of the path.
    std::uint32_t node = root;
    std::size_t depth = 0;
    while (depth < path.size()) {
        std::uint32_t next = child(node, static_cast<unsigned char>(path[depth]));
        if (next == none || !path.substr(depth).starts_with(nodes_[next].label)) {
            break;
        }
        node = next;
        depth += nodes_[next].label.size();
    }
    if (depth == path.size()) {
        if (const RouteSlot* slot = first_accepted(nodes_[node].exact, accept)) {
            return slot;
        }
    }
    // Back up through the parents: each is a shorter prefix of the path.
    for (std::uint32_t at = node; at != none; at = nodes_[at].parent) {
        if (const RouteSlot* slot = first_accepted(nodes_[at].prefix, accept)) {
            return slot;
        }
    }
    return nullptr;
}

}  // namespace turnout::server::detail

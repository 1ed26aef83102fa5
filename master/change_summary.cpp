#include "master/change_summary.hpp"

#include <map>
#include <vector>

namespace turnout::master {

namespace {

// Names listed per kind before the rest are only counted.
constexpr std::size_t names_shown = 3;

template <typename List>
std::string diff(const char* kind, const List& before, const List& after) {
    using Item = typename List::value_type;
    std::map<std::string, const Item*> old_items;
    for (const auto& item : before) {
        old_items[item.name] = &item;
    }
    std::vector<std::string> changes;
    for (const auto& item : after) {
        auto old = old_items.find(item.name);
        if (old == old_items.end()) {
            changes.push_back("+" + item.name);
        } else {
            if (!(*old->second == item)) {
                changes.push_back("~" + item.name);
            }
            old_items.erase(old);
        }
    }
    for (const auto& [name, item] : old_items) {
        changes.push_back("-" + name);
    }
    if (changes.empty()) {
        return {};
    }
    std::string text = kind;
    for (std::size_t i = 0; i < changes.size() && i < names_shown; ++i) {
        text += " " + changes[i];
    }
    if (changes.size() > names_shown) {
        text += " (+" + std::to_string(changes.size() - names_shown) + " more)";
    }
    return text;
}

}  // namespace

std::string summarize_change(const config::Config& before, const config::Config& after) {
    std::string summary;
    for (auto part : {diff("routes", before.routes, after.routes),
                      diff("upstreams", before.upstreams, after.upstreams),
                      diff("listeners", before.listeners, after.listeners)}) {
        if (part.empty()) {
            continue;
        }
        if (!summary.empty()) {
            summary += "; ";
        }
        summary += part;
    }
    if (!(before.limits == after.limits)) {
        summary += summary.empty() ? "limits" : "; limits";
    }
    return summary.empty() ? "no change" : summary;
}

}  // namespace turnout::master

#include "server/routing/route_table.hpp"

#include "config/string_map.hpp"
#include "server/routing/path_trie.hpp"

#include <boost/assert.hpp>

#include <algorithm>
#include <array>
#include <string>
#include <utility>

namespace turnout::server {

namespace {

// Longer than any DNS name (253 bytes) or bracketed IPv6 literal, so a Host
// that does not fit cannot name a configured host and only the any-host
// routes can match it.
constexpr std::size_t max_host_bytes = 256;

char to_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// The request's Host as routes name it: without ":port" (also after an
// "[IPv6]"), without a trailing dot, lower-cased into `buffer`. Returns an
// empty view when it does not fit, which only the any-host routes match.
std::string_view normalize_host(std::string_view host, std::array<char, max_host_bytes>& buffer) {
    if (!host.empty() && host.front() == '[') {
        std::size_t close = host.find(']');
        if (close != std::string_view::npos) {
            host = host.substr(0, close + 1);
        }
    } else {
        // One colon only: several mean a bare IPv6 address, not a port.
        std::size_t colon = host.rfind(':');
        if (colon != std::string_view::npos && host.find(':') == colon) {
            host = host.substr(0, colon);
        }
    }
    if (!host.empty() && host.back() == '.') {
        host.remove_suffix(1);
    }
    if (host.size() > buffer.size()) {
        return {};
    }
    std::transform(host.begin(), host.end(), buffer.begin(), to_lower);
    return {buffer.data(), host.size()};
}

enum class HostKind { exact, wildcard, any };

struct HostKey {
    HostKind kind = HostKind::any;
    std::string key;  // exact: the host; wildcard: the suffix with its dot
};

// Where a configured `match.host` lives in the index.
HostKey host_key(std::string_view host) {
    HostKey result;
    if (host.empty() || host == "*") {
        return result;
    }
    result.kind = HostKind::exact;
    if (host.starts_with("*.")) {
        result.kind = HostKind::wildcard;
        host.remove_prefix(1);
    }
    if (host.back() == '.') {
        host.remove_suffix(1);
    }
    result.key.resize(host.size());
    std::transform(host.begin(), host.end(), result.key.begin(), to_lower);
    return result;
}

bool has_header_value(const HeadFields& headers, std::string_view name, std::string_view value) {
    const HeadFields::Name wanted{name};
    return std::ranges::any_of(headers, [&](const HeadFields::Field& field) {
        return wanted.matches(field) && field.value() == value;
    });
}

// Whether the route's methods and headers hold for the request; host and
// path were matched by the index.
bool route_accepts(const config::Route& route, const RouteRequest& request) {
    const config::RouteMatch& match = route.match;
    if (!match.methods.empty() && std::find(match.methods.begin(), match.methods.end(),
                                            request.method) == match.methods.end()) {
        return false;
    }
    for (const auto& [name, value] : match.headers) {
        if (!has_header_value(request.headers, name, value)) {
            return false;
        }
    }
    return true;
}

}  // namespace

RouteEntry::RouteEntry(config::Route r)
    : route(std::move(r)), split(route.split), sides(split.entries().size()) {}

// Host groups by specificity, each with its own path trie, and the routes by
// name so one can be replaced or removed without touching the others.
struct RouteTable::Index {
    config::StringMap<detail::PathTrie> exact_hosts;
    config::StringMap<detail::PathTrie> wildcard_hosts;  // "*.example.com" as ".example.com"
    detail::PathTrie any_host;
    config::StringMap<detail::RouteSlot> by_name;
    std::uint64_t next_order = 0;

    void insert_slot(detail::RouteSlot slot);
    void erase_slot(const detail::RouteSlot& slot);
    const detail::RouteSlot* find(const RouteRequest& request) const;
    template <typename Accept>
    const detail::RouteSlot* find_wildcard(std::string_view host, std::string_view path,
                                           Accept& accept) const;
};

void RouteTable::Index::insert_slot(detail::RouteSlot slot) {
    const config::RouteMatch& match = slot.entry->route.match;
    HostKey host = host_key(match.host);
    detail::PathTrie* trie = &any_host;
    if (host.kind == HostKind::exact) {
        trie = &exact_hosts[std::move(host.key)];
    } else if (host.kind == HostKind::wildcard) {
        trie = &wildcard_hosts[std::move(host.key)];
    }
    trie->insert(match.path, match.path_exact, std::move(slot));
}

// Every route in by_name is in the trie of its host group, under its path:
// erasing it must find it there.
void RouteTable::Index::erase_slot(const detail::RouteSlot& slot) {
    const config::RouteMatch& match = slot.entry->route.match;
    HostKey host = host_key(match.host);
    if (host.kind == HostKind::any) {
        [[maybe_unused]] const bool erased =
            any_host.erase(match.path, match.path_exact, slot.order);
        BOOST_ASSERT_MSG(erased, "a named route is in its host group's trie");
        return;
    }
    auto& hosts = host.kind == HostKind::exact ? exact_hosts : wildcard_hosts;
    auto it = hosts.find(host.key);
    BOOST_ASSERT_MSG(it != hosts.end(), "a named route's host group exists");
    if (it == hosts.end()) {
        return;
    }
    [[maybe_unused]] const bool erased = it->second.erase(match.path, match.path_exact, slot.order);
    BOOST_ASSERT_MSG(erased, "a named route is in its host group's trie");
    // Drop empty groups so a host that no longer has routes falls through
    // to the less specific groups without a detour.
    if (it->second.empty()) {
        hosts.erase(it);
    }
}

template <typename Accept>
const detail::RouteSlot* RouteTable::Index::find_wildcard(std::string_view host,
                                                          std::string_view path,
                                                          Accept& accept) const {
    // Each dot after the first label starts a candidate suffix, longest
    // first: "a.b.example.com" tries ".b.example.com", ".example.com", ".com".
    for (std::size_t dot = host.find('.', 1); dot != std::string_view::npos;
         dot = host.find('.', dot + 1)) {
        auto it = wildcard_hosts.find(host.substr(dot));
        if (it == wildcard_hosts.end()) {
            continue;
        }
        if (const detail::RouteSlot* slot = it->second.find(path, accept)) {
            return slot;
        }
    }
    return nullptr;
}

const detail::RouteSlot* RouteTable::Index::find(const RouteRequest& request) const {
    auto accept = [&request](const config::Route& route) { return route_accepts(route, request); };
    std::array<char, max_host_bytes> buffer;
    std::string_view host = normalize_host(request.host, buffer);
    if (!host.empty()) {
        auto exact = exact_hosts.find(host);
        if (exact != exact_hosts.end()) {
            if (const detail::RouteSlot* slot = exact->second.find(request.path, accept)) {
                return slot;
            }
        }
        if (!wildcard_hosts.empty()) {
            if (const detail::RouteSlot* slot = find_wildcard(host, request.path, accept)) {
                return slot;
            }
        }
    }
    return any_host.find(request.path, accept);
}

RouteTable::RouteTable() : index_(std::make_unique<Index>()) {}

RouteTable::RouteTable(config::SharedList<config::Route> routes) : RouteTable() {
    index_->by_name.reserve(routes.size());
    std::move(routes).consume([this](config::Route&& route) { upsert(std::move(route)); });
}

RouteTable::~RouteTable() = default;
RouteTable::RouteTable(RouteTable&&) noexcept = default;
RouteTable& RouteTable::operator=(RouteTable&&) noexcept = default;

RouteEntry& RouteTable::upsert(config::Route route) {
    if (!index_) {
        index_ = std::make_unique<Index>();
    }
    bool filtered = !route.match.methods.empty() || !route.match.headers.empty();
    detail::RouteSlot slot{0, std::make_shared<RouteEntry>(std::move(route)), filtered};
    const std::string& name = slot.entry->route.name;
    auto it = index_->by_name.find(name);
    if (it != index_->by_name.end()) {
        // Same rank as before, so the route keeps its place among ties even
        // when its host or path changed.
        slot.order = it->second.order;
        index_->erase_slot(it->second);
        it->second = slot;
    } else {
        slot.order = index_->next_order++;
        index_->by_name.emplace(name, slot);
    }
    RouteEntry& entry = *slot.entry;
    index_->insert_slot(std::move(slot));
    return entry;
}

bool RouteTable::remove(std::string_view name) {
    if (!index_) {
        return false;
    }
    auto it = index_->by_name.find(name);
    if (it == index_->by_name.end()) {
        return false;
    }
    index_->erase_slot(it->second);
    index_->by_name.erase(it);
    return true;
}

std::shared_ptr<RouteEntry> RouteTable::match(const RouteRequest& request) const {
    if (!index_) {
        return nullptr;
    }
    const detail::RouteSlot* slot = index_->find(request);
    return slot ? slot->entry : nullptr;
}

std::size_t RouteTable::size() const {
    return index_ ? index_->by_name.size() : 0;
}

void RouteTable::for_each(const std::function<void(RouteEntry&)>& visit) {
    if (!index_) {
        return;
    }
    for (auto& [name, slot] : index_->by_name) {
        visit(*slot.entry);
    }
}

}  // namespace turnout::server

#include "server/tls/sni_table.hpp"

#include <algorithm>
#include <cctype>

namespace turnout::server {

namespace {

// Lower case, without the trailing dot of a fully qualified name.
std::string normalized(std::string_view name) {
    if (name.ends_with('.')) {
        name.remove_suffix(1);
    }
    std::string out{name};
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

}  // namespace

void SniTable::add(std::size_t index, std::string_view name) {
    std::string key = normalized(name);
    if (key.starts_with("*.")) {
        key.erase(0, 2);
        if (!key.empty() && key.find('*') == std::string::npos) {
            wildcard_.try_emplace(std::move(key), index);
        }
        return;
    }
    if (!key.empty() && key.find('*') == std::string::npos) {
        exact_.try_emplace(std::move(key), index);
    }
}

std::size_t SniTable::pick(std::string_view server_name) const {
    const std::string name = normalized(server_name);
    if (auto found = exact_.find(name); found != exact_.end()) {
        return found->second;
    }
    const auto dot = name.find('.');
    if (dot != std::string::npos && dot > 0) {
        if (auto found = wildcard_.find(name.substr(dot + 1)); found != wildcard_.end()) {
            return found->second;
        }
    }
    return 0;
}

}  // namespace turnout::server

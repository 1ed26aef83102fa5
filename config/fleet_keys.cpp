#include "config/fleet_keys.hpp"

namespace turnout::master::fleet {

KeyName classify_key(std::string_view relative) {
    using Kind = KeyName::Kind;
    if (relative == "settings") {
        return {Kind::settings, {}};
    }
    constexpr std::pair<std::string_view, Kind> folders[] = {
        {"listeners/", Kind::listener},
        {"upstreams/", Kind::upstream},
        {"routes/", Kind::route},
        {"nodes/", Kind::node_report},
    };
    for (const auto& [folder, kind] : folders) {
        if (relative.starts_with(folder)) {
            return {kind, std::string{relative.substr(folder.size())}};
        }
    }
    return {Kind::unknown, std::string{relative}};
}

std::string node_key(std::string_view prefix, std::string_view node) {
    return std::string{prefix} + "nodes/" + std::string{node};
}

}  // namespace turnout::master::fleet

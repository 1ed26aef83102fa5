#include "master/fleet/incremental.hpp"

#include "config/edits.hpp"
#include "config/fleet_keys.hpp"

namespace turnout::master::fleet {

namespace {

// A route that is not there yet lands last; byte order needs it to sort
// after every route there is.
bool lands_in_order(const config::Config& config, const std::string& name) {
    return config.find_route(name) || config.routes.empty() || config.routes.back().name < name;
}

worker::ConfigDelta delta_of(const config::Config& config, const KeyName& name, bool deleted) {
    using Op = worker::ConfigDelta::Op;
    if (name.kind == KeyName::Kind::route) {
        return deleted
                   ? worker::ConfigDelta{Op::delete_route, name.name, std::nullopt, std::nullopt}
                   : worker::ConfigDelta{Op::put_route, name.name, *config.find_route(name.name),
                                         std::nullopt};
    }
    return deleted ? worker::ConfigDelta{Op::delete_upstream, name.name, std::nullopt, std::nullopt}
                   : worker::ConfigDelta{Op::put_upstream, name.name, std::nullopt,
                                         *config.find_upstream(name.name)};
}

config::EditResult apply_one(const config::Config& config, const KeyName& name,
                             const std::optional<std::string>& value, const std::string& key) {
    if (name.kind == KeyName::Kind::route) {
        return value ? config::put_route(config, name.name, *value, key)
                     : config::delete_route(config, name.name);
    }
    return value ? config::put_upstream(config, name.name, *value, key)
                 : config::delete_upstream(config, name.name);
}

}  // namespace

Edited apply_key_changes(std::shared_ptr<const config::Config> base, const KeyChanges& changes,
                         const std::string& prefix) {
    std::optional<worker::ConfigDelta> delta;
    unsigned edits = 0;
    // Keys in byte order: routes/ before upstreams/, so a transaction that
    // drops a route and the upstream it used deletes the route first.
    for (const auto& [relative, value] : changes) {
        const auto name = classify_key(relative);
        if (!is_config_key(relative)) {
            continue;
        }
        const bool object =
            name.kind == KeyName::Kind::route || name.kind == KeyName::Kind::upstream;
        if (!object ||
            (name.kind == KeyName::Kind::route && value && !lands_in_order(*base, name.name))) {
            return {};
        }
        if (!value && (name.kind == KeyName::Kind::route ? !base->find_route(name.name)
                                                         : !base->find_upstream(name.name))) {
            continue;  // deleting what is not there: nothing to do
        }
        auto result = apply_one(*base, name, value, prefix + relative);
        auto* next = std::get_if<std::shared_ptr<const config::Config>>(&result);
        if (!next) {
            return {};
        }
        base = std::move(*next);
        if (++edits == 1) {
            delta = delta_of(*base, name, !value);
        }
    }
    return {std::move(base), edits == 1 ? std::move(delta) : std::nullopt};
}

}  // namespace turnout::master::fleet

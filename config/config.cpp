#include "config/config.hpp"
#include "config/loader.hpp"
#include "config/start_settings.hpp"

#include <algorithm>

namespace turnout::config {

// Linear scans: these serve the admin API and start-up, never the request
// path, which works from indexes built by the worker.
const Upstream* Config::find_upstream(std::string_view name) const {
    auto it = std::find_if(upstreams.begin(), upstreams.end(),
                           [name](const Upstream& upstream) { return upstream.name == name; });
    return it == upstreams.end() ? nullptr : &*it;
}

const Route* Config::find_route(std::string_view name) const {
    auto it = std::find_if(routes.begin(), routes.end(),
                           [name](const Route& route) { return route.name == name; });
    return it == routes.end() ? nullptr : &*it;
}

// A copy only when they differ: most configs already carry them.
std::shared_ptr<const Config> with_start_settings(std::shared_ptr<const Config> config,
                                                  const Config& in_force) {
    if (config->workers == in_force.workers && config->admin == in_force.admin &&
        config->state_dir == in_force.state_dir) {
        return config;
    }
    auto copy = std::make_shared<Config>(*config);
    copy->workers = in_force.workers;
    copy->admin = in_force.admin;
    copy->state_dir = in_force.state_dir;
    return copy;
}

std::string ConfigError::to_string() const {
    std::string out = file.empty() ? std::string("<config>") : file;
    if (line > 0) {
        out += ':' + std::to_string(line) + ':' + std::to_string(column);
    }
    out += ": ";
    out += message;
    return out;
}

}  // namespace turnout::config

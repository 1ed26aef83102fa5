#include "config/config.hpp"
#include "config/loader.hpp"

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

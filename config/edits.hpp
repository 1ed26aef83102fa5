#pragma once

// Partial changes to a live config (SPEC §4: PUT/DELETE of one route or
// upstream, a route's split). Each takes the live Config and returns a new
// one, or the errors that refuse the change; the live one is never touched.
// Bodies are YAML or JSON (JSON is YAML), holding one route or upstream as
// it would appear in the config file; errors carry line and column within
// the body, and `file` names the body in them (e.g. "PUT /v1/routes/api").

#include "config/config.hpp"
#include "config/loader.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace turnout::config {

// Why an edit was refused: invalid input (HTTP 400), or a conflict with the
// live config such as deleting an upstream a route uses (HTTP 409), or the
// thing to change does not exist (HTTP 404).
struct EditError {
    enum class Kind { invalid, conflict, not_found };
    Kind kind = Kind::invalid;
    ConfigErrors errors;  // at least one
};

using EditResult = std::variant<std::shared_ptr<const Config>, EditError>;

// Adds route `name`, or replaces it in place (keeping its position). The
// body's `name`, if present, must equal `name`. Its upstreams must exist.
EditResult put_route(const Config& live, const std::string& name, const std::string& body,
                     const std::string& file);
EditResult delete_route(const Config& live, const std::string& name);

// Adds or replaces upstream `name`. Targets must parse, etc.
EditResult put_upstream(const Config& live, const std::string& name, const std::string& body,
                        const std::string& file);
// Refused with Kind::conflict while a route names it.
EditResult delete_upstream(const Config& live, const std::string& name);

// Replaces route `name`'s split with `weights` (upstream → weight) in the
// order given, which is the order sticky buckets are laid out in. Weights
// are integers ≥ 0 summing to more than 0; upstreams must exist; the route
// becomes a split route (single_upstream false).
EditResult put_split(const Config& live, const std::string& name,
                     const std::vector<std::pair<std::string, std::int64_t>>& weights);

// The step every put above ends with, also used to replay a stored change
// (worker/config_delta.hpp): the route or upstream replaces the one of the
// same name where it stands, or is appended.
template <typename Named>
void put_named(SharedList<Named>& items, Named item) {
    auto it = std::find_if(items.begin(), items.end(),
                           [&](const Named& existing) { return existing.name == item.name; });
    if (it != items.end()) {
        items.replace(static_cast<std::size_t>(it - items.begin()), std::move(item));
    } else {
        items.push_back(std::move(item));
    }
}

template <typename Named>
void erase_named(SharedList<Named>& items, std::string_view name) {
    items.erase_if([&](const Named& item) { return item.name == name; });
}

}  // namespace turnout::config

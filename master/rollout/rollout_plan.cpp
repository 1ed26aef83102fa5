// Checking a rollout against the live config before it starts.

#include "master/rollout/rollout.hpp"

#include "config/syntax.hpp"

#include <fmt/format.h>

namespace turnout::master {

namespace {

template <typename Item>
std::string unknown_name(std::string_view what, const std::string& name,
                         const config::SharedList<Item>& items) {
    std::vector<std::string> known;
    for (const auto& item : items) {
        known.push_back(item.name);
    }
    auto message = fmt::format("no {} named '{}'", what, name);
    if (auto near = config::detail::closest_match(name, known)) {
        message += "; did you mean '" + *near + "'?";
    }
    return message;
}

}  // namespace

std::variant<Rollout, RolloutError> plan_rollout(RolloutSpec spec, const config::Config& live) {
    using Kind = RolloutError::Kind;
    const auto* route = live.find_route(spec.route);
    if (!route) {
        return RolloutError{Kind::not_found,
                            "route: " + unknown_name("route", spec.route, live.routes)};
    }
    if (!live.find_upstream(spec.to)) {
        return RolloutError{Kind::invalid,
                            "to: " + unknown_name("upstream", spec.to, live.upstreams)};
    }
    std::vector<config::SplitEntry> others;
    std::uint64_t elsewhere = 0;
    for (const auto& side : route->split) {
        if (side.upstream != spec.to) {
            others.push_back(side);
            elsewhere += side.weight;
        }
    }
    if (elsewhere == 0) {
        return RolloutError{
            Kind::conflict,
            fmt::format("to: route '{}' already sends all its traffic to '{}'; nothing to roll out",
                        spec.route, spec.to)};
    }
    return Rollout(std::move(spec), std::move(others));
}

}  // namespace turnout::master

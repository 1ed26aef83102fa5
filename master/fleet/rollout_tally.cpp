#include "master/fleet/rollout_tally.hpp"

#include "master/metrics/metrics_aggregator.hpp"

#include <boost/json/array.hpp>

namespace turnout::master::fleet {

namespace json = boost::json;

namespace {

std::optional<std::uint64_t> count_in(const json::object& object, std::string_view name) {
    const auto* value = object.if_contains(name);
    if (value && value->is_uint64()) {
        return value->get_uint64();
    }
    if (value && value->is_int64() && value->get_int64() >= 0) {
        return static_cast<std::uint64_t>(value->get_int64());
    }
    return std::nullopt;
}

std::optional<std::int64_t> number_in(const json::object& object, std::string_view name) {
    const auto* value = object.if_contains(name);
    if (value && value->is_int64()) {
        return value->get_int64();
    }
    if (value && value->is_uint64()) {
        return static_cast<std::int64_t>(value->get_uint64());
    }
    return std::nullopt;
}

}  // namespace

RolloutCounts RolloutCounts::since(const server::RequestTotals& now,
                                   const server::RequestTotals& before) {
    return {now.errors > before.errors ? now.errors - before.errors : 0,
            histogram_since(now.duration, before.duration)};
}

void RolloutCounts::add(const RolloutCounts& other) {
    errors += other.errors;
    duration.merge(other.duration);
}

IntervalStats RolloutCounts::stats() const {
    return {duration.count(), errors, duration.quantile(0.99) * 1000};
}

json::object RolloutCounts::to_json() const {
    json::array buckets;
    for (const auto count : duration.counts()) {
        buckets.push_back(count);
    }
    return {{"requests", duration.count()}, {"errors", errors}, {"buckets", std::move(buckets)}};
}

std::optional<RolloutCounts> RolloutCounts::from_json(const json::value& value) {
    const auto* object = value.if_object();
    const auto errors = object ? count_in(*object, "errors") : std::nullopt;
    const auto* buckets = object ? object->if_contains("buckets") : nullptr;
    if (!errors || !buckets || !buckets->is_array() ||
        buckets->get_array().size() != server::Histogram::default_bounds.size() + 1) {
        return std::nullopt;
    }
    std::vector<std::uint64_t> counts;
    for (const auto& bucket : buckets->get_array()) {
        if (!bucket.is_number() || bucket.is_double()) {
            return std::nullopt;
        }
        counts.push_back(bucket.to_number<std::uint64_t>());
    }
    return RolloutCounts{
        *errors, server::Histogram{server::Histogram::default_bounds, std::move(counts), 0}};
}

json::object NodeRolloutReport::to_json(const std::string& route) const {
    return {{"node", node},
            {"route", route},
            {"counted_under", counted_under},
            {"revision", revision},
            {"config_version", config_version},
            {"to", to.to_json()}};
}

std::optional<NodeRolloutReport> NodeRolloutReport::from_json(const json::value& value) {
    const auto* object = value.if_object();
    const auto* node = object ? object->if_contains("node") : nullptr;
    const auto counted_under = object ? number_in(*object, "counted_under") : std::nullopt;
    const auto* to = object ? object->if_contains("to") : nullptr;
    auto counts = to ? RolloutCounts::from_json(*to) : std::nullopt;
    if (!node || !node->is_string() || !counted_under || !counts) {
        return std::nullopt;
    }
    return NodeRolloutReport{std::string{node->get_string()}, *counted_under,
                             number_in(*object, "revision").value_or(0),
                             count_in(*object, "config_version").value_or(0), std::move(*counts)};
}

Tally tally(const std::set<std::string>& live,
            const std::map<std::string, NodeRolloutReport>& reports, std::int64_t step_revision) {
    Tally result;
    RolloutCounts sum;
    for (const auto& node : live) {
        auto report = reports.find(node);
        if (report == reports.end() || report->second.counted_under != step_revision) {
            result.behind.push_back(node);
            continue;
        }
        result.serving.push_back(node);
        sum.add(report->second.to);
    }
    result.stats = sum.stats();
    return result;
}

}  // namespace turnout::master::fleet

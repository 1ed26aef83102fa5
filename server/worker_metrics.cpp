#include "server/worker_metrics.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <functional>

namespace turnout::server {

namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, upstream_error_kind_count> kind_names{
    "connect_failed", "connect_timeout", "timeout", "reset", "bad_response", "tls"};

std::optional<std::uint64_t> read_count(const json::value& value) {
    boost::system::error_code ec;
    const auto number = value.to_number<std::uint64_t>(ec);
    if (ec) {
        return std::nullopt;
    }
    return number;
}

std::optional<std::uint64_t> read_count(const json::object& object, std::string_view key) {
    const auto* value = object.if_contains(key);
    return value ? read_count(*value) : std::nullopt;
}

const json::string* read_string(const json::object& object, std::string_view key) {
    const auto* value = object.if_contains(key);
    return value ? value->if_string() : nullptr;
}

json::value to_json(const RequestTotals& totals) {
    json::object codes;
    for (const auto& [code, count] : totals.codes) {
        codes[std::to_string(code)] = count;
    }
    json::array buckets;
    for (std::uint64_t count : totals.duration.counts()) {
        buckets.push_back(count);
    }
    return json::object{{"codes", std::move(codes)},
                        {"errors", totals.errors},
                        {"buckets", std::move(buckets)},
                        {"sum", totals.duration.sum()}};
}

std::optional<std::map<unsigned, std::uint64_t>> codes_from_json(const json::object& object) {
    std::map<unsigned, std::uint64_t> codes;
    for (const auto& [key, value] : object) {
        unsigned code = 0;
        const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), code);
        const auto count = read_count(value);
        if (ec != std::errc{} || end != key.data() + key.size() || code > 999 || !count) {
            return std::nullopt;
        }
        codes[code] = *count;
    }
    return codes;
}

std::optional<RequestTotals> totals_from_json(const json::object& object) {
    const auto* codes_json = object.if_contains("codes");
    const auto* buckets_json = object.if_contains("buckets");
    const auto* sum_json = object.if_contains("sum");
    const auto errors = read_count(object, "errors");
    if (!codes_json || !codes_json->is_object() || !buckets_json || !buckets_json->is_array() ||
        !sum_json || !sum_json->is_number() || !errors) {
        return std::nullopt;
    }
    auto codes = codes_from_json(codes_json->get_object());
    const auto& buckets_array = buckets_json->get_array();
    if (!codes || buckets_array.size() != Histogram::default_bounds.size() + 1) {
        return std::nullopt;
    }
    std::vector<std::uint64_t> buckets;
    for (const auto& value : buckets_array) {
        const auto count = read_count(value);
        if (!count) {
            return std::nullopt;
        }
        buckets.push_back(*count);
    }
    boost::system::error_code ec;
    const double sum = sum_json->to_number<double>(ec);
    return RequestTotals{std::move(*codes), *errors,
                         Histogram{Histogram::default_bounds, std::move(buckets), sum}};
}

std::optional<UpstreamErrorCounts> error_counts_from_json(const json::object& object) {
    UpstreamErrorCounts counts{};
    for (const auto& [key, value] : object) {
        const auto kind = upstream_error_kind_from_string(key);
        const auto count = read_count(value);
        if (!kind || !count) {
            return std::nullopt;
        }
        counts[static_cast<std::size_t>(*kind)] = *count;
    }
    return counts;
}

bool requests_from_json(const json::array& array, MetricsSnapshot& snapshot) {
    for (const auto& entry : array) {
        const auto* object = entry.if_object();
        const auto* route = object ? read_string(*object, "route") : nullptr;
        const auto* upstream = object ? read_string(*object, "upstream") : nullptr;
        auto totals = route && upstream ? totals_from_json(*object) : std::nullopt;
        if (!totals) {
            return false;
        }
        snapshot.requests[{std::string{*route}, std::string{*upstream}}] = std::move(*totals);
    }
    return true;
}

bool upstream_errors_from_json(const json::array& array, MetricsSnapshot& snapshot) {
    for (const auto& entry : array) {
        const auto* object = entry.if_object();
        const auto* upstream = object ? read_string(*object, "upstream") : nullptr;
        const auto* target = object ? read_string(*object, "target") : nullptr;
        const auto* counts_json = object ? object->if_contains("counts") : nullptr;
        const auto counts = upstream && target && counts_json && counts_json->is_object()
                                ? error_counts_from_json(counts_json->get_object())
                                : std::nullopt;
        if (!counts) {
            return false;
        }
        snapshot.upstream_errors[{std::string{*upstream}, std::string{*target}}] = *counts;
    }
    return true;
}

}  // namespace

std::string_view to_string(UpstreamErrorKind kind) {
    return kind_names[static_cast<std::size_t>(kind)];
}

std::optional<UpstreamErrorKind> upstream_error_kind_from_string(std::string_view text) {
    for (std::size_t i = 0; i < kind_names.size(); ++i) {
        if (kind_names[i] == text) {
            return static_cast<UpstreamErrorKind>(i);
        }
    }
    return std::nullopt;
}

void RequestTotals::add(const RequestTotals& other) {
    for (const auto& [code, count] : other.codes) {
        codes[code] += count;
    }
    errors += other.errors;
    duration.merge(other.duration);
}

void MetricsSnapshot::add(const MetricsSnapshot& other) {
    for (const auto& [key, totals] : other.requests) {
        requests[key].add(totals);
    }
    for (const auto& [key, counts] : other.upstream_errors) {
        auto& sum = upstream_errors[key];
        for (std::size_t i = 0; i < sum.size(); ++i) {
            sum[i] += counts[i];
        }
    }
    connections_active += other.connections_active;
}

json::value to_json(const MetricsSnapshot& snapshot) {
    json::array requests;
    for (const auto& [key, totals] : snapshot.requests) {
        auto entry = to_json(totals);
        entry.as_object()["route"] = key.first;
        entry.as_object()["upstream"] = key.second;
        requests.push_back(std::move(entry));
    }
    json::array upstream_errors;
    for (const auto& [key, counts] : snapshot.upstream_errors) {
        json::object by_kind;
        for (std::size_t i = 0; i < counts.size(); ++i) {
            if (counts[i] > 0) {
                by_kind[kind_names[i]] = counts[i];
            }
        }
        upstream_errors.push_back(json::object{
            {"upstream", key.first}, {"target", key.second}, {"counts", std::move(by_kind)}});
    }
    return json::object{{"connections_active", snapshot.connections_active},
                        {"requests", std::move(requests)},
                        {"upstream_errors", std::move(upstream_errors)}};
}

std::optional<MetricsSnapshot> metrics_from_json(const json::value& json) {
    const auto* object = json.if_object();
    const auto* active = object ? object->if_contains("connections_active") : nullptr;
    const auto* requests = object ? object->if_contains("requests") : nullptr;
    const auto* errors = object ? object->if_contains("upstream_errors") : nullptr;
    if (!active || !active->is_int64() || !requests || !requests->is_array() || !errors ||
        !errors->is_array()) {
        return std::nullopt;
    }
    MetricsSnapshot snapshot;
    snapshot.connections_active = active->get_int64();
    if (!requests_from_json(requests->get_array(), snapshot) ||
        !upstream_errors_from_json(errors->get_array(), snapshot)) {
        return std::nullopt;
    }
    return snapshot;
}

void RequestSeries::record(unsigned status, double seconds, bool failed) {
    auto it = codes_.begin();
    while (it != codes_.end() && it->code != status) {
        ++it;
    }
    if (it == codes_.end()) {
        codes_.push_back({status, 1});
    } else {
        ++it->count;
    }
    if (status >= 500 || failed) {
        ++errors_;
    }
    duration_.record(seconds);
}

RequestTotals RequestSeries::totals() const {
    RequestTotals totals{{}, errors_, duration_};
    for (const auto& [code, count] : codes_) {
        totals.codes[code] = count;
    }
    return totals;
}

std::size_t WorkerMetrics::KeyHash::operator()(KeyView key) const {
    const std::size_t first = std::hash<std::string_view>{}(key.first);
    const std::size_t second = std::hash<std::string_view>{}(key.second);
    return first ^ (second + 0x9e3779b97f4a7c15ULL + (first << 6) + (first >> 2));
}

RequestSeries& WorkerMetrics::series(std::string_view route, std::string_view upstream) {
    if (auto it = series_.find(KeyView{route, upstream}); it != series_.end()) {
        return it->second;
    }
    return series_.try_emplace(Key{std::string{route}, std::string{upstream}}).first->second;
}

UpstreamErrorSeries& WorkerMetrics::upstream_errors(std::string_view upstream,
                                                    std::string_view target) {
    if (auto it = upstream_errors_.find(KeyView{upstream, target}); it != upstream_errors_.end()) {
        return it->second;
    }
    return upstream_errors_.try_emplace(Key{std::string{upstream}, std::string{target}})
        .first->second;
}

MetricsSnapshot WorkerMetrics::snapshot() const {
    MetricsSnapshot snapshot;
    for (const auto& [key, series] : series_) {
        auto totals = series.totals();
        if (totals.requests() > 0) {
            snapshot.requests[{key.first, key.second}] = std::move(totals);
        }
    }
    for (const auto& [key, series] : upstream_errors_) {
        const auto& counts = series.counts();
        for (std::uint64_t count : counts) {
            if (count > 0) {
                snapshot.upstream_errors[{key.first, key.second}] = counts;
                break;
            }
        }
    }
    snapshot.connections_active = connections_active_;
    return snapshot;
}

}  // namespace turnout::server

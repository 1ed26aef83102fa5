#pragma once

// One worker's metrics (SPEC §8), recorded on the request path and sent to
// the master as a snapshot of cumulative values in the `stats` message.
//
// The worker is single-threaded, so nothing here locks. A series is
// interned on first use: looking it up is one hash lookup with no
// allocation, and the reference it returns stays valid for the life of the
// WorkerMetrics (series are never removed: counters only grow), so a caller
// may keep it as a handle and record with no lookup at all.

#include "server/histogram.hpp"

#include <boost/container/small_vector.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace turnout::server {

// How an upstream attempt failed, for turnout_upstream_errors_total{kind}.
enum class UpstreamErrorKind : std::uint8_t {
    connect_failed,   // refused, unreachable, no address
    connect_timeout,  // connect did not finish in connect_timeout
    timeout,          // the upstream went silent past its read/response timeout
    reset,            // the connection closed or reset mid-exchange
    bad_response,     // the response did not parse
    tls,              // the TLS handshake failed (certificate not trusted, wrong name, …)
};
inline constexpr std::size_t upstream_error_kind_count = 6;
std::string_view to_string(UpstreamErrorKind kind);
std::optional<UpstreamErrorKind> upstream_error_kind_from_string(std::string_view text);

// Cumulative totals of one {route, upstream} pair.
struct RequestTotals {
    std::map<unsigned, std::uint64_t> codes;  // status sent to the client → requests
    std::uint64_t errors = 0;                 // requests that count as errors for rollouts
    Histogram duration;                       // seconds; count() is the request count

    std::uint64_t requests() const { return duration.count(); }
    void add(const RequestTotals& other);
};

using UpstreamErrorCounts = std::array<std::uint64_t, upstream_error_kind_count>;

// A worker's metrics as plain values: what the `stats` message carries, and
// what the master sums. Keys are ordered so output is stable.
struct MetricsSnapshot {
    std::map<std::pair<std::string, std::string>, RequestTotals> requests;  // {route, upstream}
    std::map<std::pair<std::string, std::string>, UpstreamErrorCounts>
        upstream_errors;  // {upstream, target}, counts indexed by UpstreamErrorKind
    std::int64_t connections_active = 0;

    // Adds `other`'s counters and its gauge to these.
    void add(const MetricsSnapshot& other);
};

boost::json::value to_json(const MetricsSnapshot& snapshot);
// nullopt when the JSON is not what to_json writes (a bug, or a version skew
// between master and worker binaries).
std::optional<MetricsSnapshot> metrics_from_json(const boost::json::value& json);

// The requests of one {route, upstream} pair: turnout_requests_total,
// turnout_request_duration_seconds and the rollout error count.
class RequestSeries {
public:
    // Records one finished request: `status` is what the client got, the
    // upstream's or turnout's own (502, 504...); `seconds` from the request
    // header's arrival to the response's end. The request counts as an
    // error when status >= 500, or when `failed` (the exchange ended on an
    // upstream error after the status was sent, e.g. a timeout mid-body).
    // No allocation unless this status is the series' fifth distinct one.
    void record(unsigned status, double seconds, bool failed = false);

    RequestTotals totals() const;

private:
    struct CodeCount {
        unsigned code;
        std::uint64_t count;
    };
    boost::container::small_vector<CodeCount, 4> codes_;
    std::uint64_t errors_ = 0;
    Histogram duration_;
};

// turnout_upstream_errors_total for one {upstream, target} pair.
class UpstreamErrorSeries {
public:
    void record(UpstreamErrorKind kind) { ++counts_[static_cast<std::size_t>(kind)]; }
    const UpstreamErrorCounts& counts() const { return counts_; }

private:
    UpstreamErrorCounts counts_{};
};

class WorkerMetrics {
public:
    WorkerMetrics() = default;
    WorkerMetrics(const WorkerMetrics&) = delete;
    WorkerMetrics& operator=(const WorkerMetrics&) = delete;

    // The series of a {route, upstream} pair, created on first use. One hash
    // lookup; the reference stays valid as long as this object.
    RequestSeries& series(std::string_view route, std::string_view upstream);
    // The error counters of an {upstream, target} pair, likewise.
    UpstreamErrorSeries& upstream_errors(std::string_view upstream, std::string_view target);
    void record_upstream_error(std::string_view upstream, std::string_view target,
                               UpstreamErrorKind kind) {
        upstream_errors(upstream, target).record(kind);
    }

    // turnout_connections_active: client connections open now.
    void connection_opened() { ++connections_active_; }
    void connection_closed() { --connections_active_; }
    std::int64_t connections_active() const { return connections_active_; }

    // Cumulative values now. Series that never recorded anything are left
    // out, so handles taken ahead of traffic cost nothing in the snapshot.
    MetricsSnapshot snapshot() const;

private:
    // A pair of names; the map owns strings, lookups pass views.
    struct KeyView {
        std::string_view first;
        std::string_view second;
    };
    struct Key {
        std::string first;
        std::string second;
    };
    struct KeyHash {
        using is_transparent = void;
        std::size_t operator()(KeyView key) const;
        std::size_t operator()(const Key& key) const {
            return (*this)(KeyView{key.first, key.second});
        }
    };
    struct KeyEqual {
        using is_transparent = void;
        static KeyView view(const Key& key) { return {key.first, key.second}; }
        static KeyView view(KeyView key) { return key; }
        template <typename A, typename B>
        bool operator()(const A& a, const B& b) const {
            return view(a).first == view(b).first && view(a).second == view(b).second;
        }
    };

    std::unordered_map<Key, RequestSeries, KeyHash, KeyEqual> series_;
    std::unordered_map<Key, UpstreamErrorSeries, KeyHash, KeyEqual> upstream_errors_;
    std::int64_t connections_active_ = 0;
};

}  // namespace turnout::server

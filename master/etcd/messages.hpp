#pragma once

// etcd v3's JSON gateway messages as turnout uses them (etcd 3.4's
// /v3/kv/range, /v3/kv/txn, /v3/watch, /v3/lease/*): keys and values travel
// base64-encoded, int64 fields as strings, and fields at their default are
// left out (a PUT event has no "type", a first revision no "version").
// Builders make request bodies; parsers read answers and never throw: a
// malformed answer gives nullopt.

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace turnout::master::etcd {

std::string base64_encode(std::string_view bytes);
// nullopt when `text` is not base64.
std::optional<std::string> base64_decode(std::string_view text);

// The range_end that selects every key starting with `prefix` (the prefix
// with its last byte incremented, carrying over 0xff).
std::string prefix_end(std::string_view prefix);

struct KeyValue {
    std::string key;
    std::string value;
    std::int64_t create_revision = 0;
    std::int64_t mod_revision = 0;
    std::int64_t version = 0;
    std::int64_t lease = 0;
};

// One page of a range: kvs in key order, the store's revision, and whether
// keys remain past the page.
struct RangeResult {
    std::int64_t revision = 0;
    std::vector<KeyValue> kvs;
    bool more = false;
};

// Keys in [key, range_end) at `revision` (0: the current one), at most
// `limit` (0: all), in key order.
boost::json::object range_request(std::string_view key, std::string_view range_end,
                                  std::int64_t revision, std::int64_t limit);
std::optional<RangeResult> parse_range(const boost::json::value& answer);

// A transaction (etcd's If/Then/Else): `compare` all hold → `success` runs,
// else `failure`. Enough for "apply only if nothing changed since revision
// N" and for a leader key created under a lease.
struct Compare {
    enum class Target { version, create_revision, mod_revision, value };
    enum class Result { equal, greater, less, not_equal };
    std::string key;
    std::string range_end;  // when set, every key in [key, range_end) must hold
    Target target = Target::mod_revision;
    Result result = Result::equal;
    std::int64_t number = 0;  // for every target but value
    std::string value;        // for Target::value
};

struct TxnOp {
    enum class Kind { put, delete_key, delete_prefix, range };
    Kind kind = Kind::put;
    std::string key;
    std::string value;       // put
    std::int64_t lease = 0;  // put: bind the key to this lease (0: none)
};

struct Txn {
    std::vector<Compare> compare;
    std::vector<TxnOp> success;
    std::vector<TxnOp> failure;
};

struct TxnResult {
    std::int64_t revision = 0;
    bool succeeded = false;
    // The kvs of each range op of the branch that ran, in order.
    std::vector<std::vector<KeyValue>> ranges;
};

boost::json::object txn_request(const Txn& txn);
std::optional<TxnResult> parse_txn(const boost::json::value& answer);

struct Lease {
    std::int64_t id = 0;
    std::int64_t ttl_seconds = 0;  // 0 or less: the lease is gone
};
std::optional<Lease> parse_lease(const boost::json::value& answer);

// One message of a watch stream.
struct WatchEvent {
    enum class Type { put, delete_key };
    Type type = Type::put;
    KeyValue kv;
};

struct WatchResponse {
    std::int64_t revision = 0;  // the header's: events up to it were sent
    bool created = false;
    bool canceled = false;
    // Set when canceled because the revision asked for was compacted: the
    // oldest revision still there.
    std::int64_t compact_revision = 0;
    std::string cancel_reason;
    std::vector<WatchEvent> events;  // of one or more whole transactions
};

// Watch every key under `prefix` from `start_revision`, with progress
// notifications so a quiet prefix still tells its revision.
boost::json::object watch_request(std::string_view prefix, std::int64_t start_revision);
// `text` is one object of the stream: {"result": {...}} or {"error": {...}}.
std::optional<WatchResponse> parse_watch(std::string_view text, std::string& error);

// The gateway's error body {"error": "...", "code": N, "message": "..."}:
// its message, else the body as text.
std::string error_message(std::string_view body);

}  // namespace turnout::master::etcd

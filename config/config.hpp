#pragma once

// The validated configuration model of SPEC §3. A Config is built once by
// the loader, never modified afterwards, and shared as
// std::shared_ptr<const Config>; a change makes a new Config, which shares
// the routes and upstreams it did not change with the old one.

#include "config/shared_list.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace turnout::config {

using Duration = std::chrono::milliseconds;

// A socket address as written in the file ("127.0.0.1:8080", "[::1]:80",
// ":8080" meaning every IPv4 address) and its parsed form.
struct Address {
    std::string text;
    boost::asio::ip::tcp::endpoint endpoint;
    bool operator==(const Address&) const = default;
};

struct Limits {
    std::uint64_t max_header_bytes = 16 * 1024;
    std::uint64_t max_body_bytes = 0;  // 0 = unlimited
    Duration header_timeout = std::chrono::seconds(10);
    Duration idle_timeout = std::chrono::seconds(60);
    Duration drain_timeout = std::chrono::seconds(30);
    Duration send_timeout = std::chrono::seconds(60);  // a write to a client making no progress
    std::uint64_t max_headers = 100;                   // header fields per request; over it: 431
    std::uint64_t max_connections = 10000;             // per worker; 0 = unlimited
    bool operator==(const Limits&) const = default;
};

struct TlsCertificate {
    std::string cert;  // absolute paths, resolved against the config file
    std::string key;
    bool operator==(const TlsCertificate&) const = default;
};

struct ListenerTls {
    std::vector<TlsCertificate> certificates;  // the first is the default
    std::string min_version = "1.2";           // "1.2" or "1.3"
    bool operator==(const ListenerTls&) const = default;
};

// HTTP/2 on a listener (docs/SPEC.md, extensions): offered by ALPN on TLS,
// prior-knowledge h2c on plain TCP. What a client may hold open at once.
struct Http2Settings {
    std::uint32_t max_concurrent_streams = 128;
    std::uint32_t initial_window_size = 65535;  // per stream, request bodies
    // The decoded header list a request may send (RFC 9113 §6.5.2);
    // 0: limits.max_header_bytes.
    std::uint32_t max_header_list_size = 0;
    bool operator==(const Http2Settings&) const = default;
};

struct Listener {
    std::string name;
    Address address;
    std::optional<ListenerTls> tls;
    std::optional<Http2Settings> http2;  // none: HTTP/1.1 only
    bool operator==(const Listener&) const = default;
};

struct Target {
    Address address;
    std::uint32_t weight = 1;
    bool operator==(const Target&) const = default;
};

enum class Balance { round_robin, least_request, random_two, hash };

// Where a hash or sticky key comes from: `header:NAME`, `cookie:NAME`,
// `client_ip`, or nowhere.
struct KeySource {
    enum class Kind { none, header, cookie, client_ip };
    Kind kind = Kind::none;
    std::string name;  // header or cookie name; empty for client_ip

    bool operator==(const KeySource&) const = default;
};

struct Keepalive {
    std::uint32_t max_idle = 64;
    Duration idle_timeout = std::chrono::seconds(60);
    bool operator==(const Keepalive&) const = default;
};

struct UpstreamTimeouts {
    Duration connect = std::chrono::seconds(3);
    Duration response = std::chrono::seconds(60);
    bool operator==(const UpstreamTimeouts&) const = default;
};

struct HealthCheck {
    std::string path = "/healthz";
    Duration interval = std::chrono::seconds(5);
    Duration timeout = std::chrono::seconds(1);
    std::uint32_t unhealthy_after = 3;
    std::uint32_t healthy_after = 2;
    bool operator==(const HealthCheck&) const = default;
};

struct Outlier {
    std::uint32_t consecutive_failures = 5;
    Duration eject_for = std::chrono::seconds(30);
    bool operator==(const Outlier&) const = default;
};

struct UpstreamTls {
    bool verify = true;
    std::string ca;   // absolute path; empty = system store
    std::string sni;  // empty = none
    bool operator==(const UpstreamTls&) const = default;
};

struct Upstream {
    std::string name;
    std::vector<Target> targets;  // at least one
    Balance balance = Balance::round_robin;
    KeySource hash_key;  // set only with Balance::hash
    Keepalive keepalive;
    UpstreamTimeouts timeouts;
    std::uint32_t retries = 1;
    std::optional<HealthCheck> health_check;
    Outlier outlier;
    std::optional<UpstreamTls> tls;
    bool operator==(const Upstream&) const = default;
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HeaderRules {
    HeaderList set;                   // in file order
    std::vector<std::string> remove;  // header names
    bool operator==(const HeaderRules&) const = default;
};

struct RouteMatch {
    std::string host;        // lower case; "" = any; "*.example.com" = wildcard
    std::string path = "/";  // a prefix, or an exact path when path_exact
    bool path_exact = false;
    std::vector<std::string> methods;  // upper case; empty = any
    HeaderList headers;                // all must equal; empty = none
    bool operator==(const RouteMatch&) const = default;
};

struct SplitEntry {
    std::string upstream;
    std::uint32_t weight = 0;
    bool operator==(const SplitEntry&) const = default;
};

struct Route {
    std::string name;
    RouteMatch match;
    // Always at least one entry. A route written with `upstream: X` has the
    // single entry {X, 1} and single_upstream set, so it prints back the way
    // it was written.
    std::vector<SplitEntry> split;
    bool single_upstream = false;
    KeySource sticky;
    std::string strip_prefix;
    HeaderRules request_headers;
    HeaderRules response_headers;
    bool operator==(const Route&) const = default;
};

struct Admin {
    std::string socket;                // absolute path
    std::optional<unsigned> mode;      // e.g. 0660; default 0600
    std::vector<unsigned> allow_uids;  // besides the master's own uid
    bool operator==(const Admin&) const = default;
};

// Where a fleet node takes its config from (the bootstrap file's `source:`
// section, docs/configuration.md): everything but the bootstrap's own keys
// comes from the keys under `prefix` in etcd.
struct EtcdSource {
    std::vector<std::string> endpoints;  // "http://127.0.0.1:2379", in failover order
    std::string prefix;                  // ends with '/'
    std::string node;                    // this node's name; default the host name
    std::optional<std::string> ca;       // absolute paths (tls:)
    std::optional<std::string> cert;
    std::optional<std::string> key;
    std::optional<std::string> username;
    std::optional<std::string> password_file;  // absolute path
    bool operator==(const EtcdSource&) const = default;
};

struct Config {
    std::string source_path;  // the file it was read from, absolute; may be empty
    unsigned workers = 0;     // 0 = auto (one per CPU)
    Admin admin;
    std::string state_dir;                  // absolute path
    std::optional<std::string> access_log;  // a path, or "stdout"
    Limits limits;
    std::vector<Listener> listeners;
    // In file order; shared with the configs this one was copied from or
    // to (a change copies only what it changes).
    SharedList<Upstream> upstreams;
    SharedList<Route> routes;
    // Set only in a bootstrap file (never sent to workers or stored).
    std::optional<EtcdSource> source;

    const Upstream* find_upstream(std::string_view name) const;
    const Route* find_route(std::string_view name) const;

    bool operator==(const Config&) const = default;
};

}  // namespace turnout::config

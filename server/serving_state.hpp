#pragma once

// What a worker serves right now: the limits, route table and upstreams of
// the live config (whole snapshots and one-change deltas both land here),
// target health, metrics and the access log. Sessions look routes up here
// at the start of each request (each route entry points at its upstreams,
// kept current on every change) and keep shared_ptrs to what they picked,
// so a change applied mid-request never pulls anything from under them.

#include "config/config.hpp"
#include "config/string_map.hpp"
#include "server/access_log.hpp"
#include "server/upstream/active_upstream.hpp"
#include "server/tls/handshake_failure_log.hpp"
#include "server/routing/route_table.hpp"
#include "server/tls/tls_server_context.hpp"
#include "server/worker_metrics.hpp"

#include <boost/asio/io_context.hpp>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace turnout::server {

class ExchangePool;

class ServingState {
public:
    explicit ServingState(boost::asio::io_context& io);

    // Makes a whole config live, taking its routes over (the worker keeps
    // no other copy of them). Upstreams whose definition did not change
    // keep their ActiveUpstream (balancer state and warm connection pools).
    // Returns the route table it replaced, for the caller to drop when it
    // is no longer in a hurry (once the change is acknowledged).
    [[nodiscard]] RouteTable apply(config::Config config);

    // One change at a time, without rebuilding anything else (a config
    // delta). A route keeps its place among ties when replaced; a replaced
    // upstream starts with fresh pools, every other keeps its own.
    void put_route(const config::Route& route);
    bool remove_route(std::string_view name);
    void put_upstream(const config::Upstream& upstream);
    bool remove_upstream(std::string_view name);

    // The targets the master's health checks found unhealthy, as
    // {upstream, target address}; replaces the previous set, and applies to
    // upstreams created later too.
    using TargetSet = std::set<std::pair<std::string, std::string>>;
    void set_unhealthy_targets(TargetSet unhealthy);

    // TLS termination per listener name; a listener without one is plain.
    // Replaced whole when the master sends what a config apply read from
    // disk; connections already open keep the context they started on.
    using ListenerTls = std::map<std::string, std::shared_ptr<TlsServerContext>, std::less<>>;
    void set_listener_tls(ListenerTls tls) { listener_tls_ = std::move(tls); }
    std::shared_ptr<TlsServerContext> listener_tls(std::string_view listener) const;
    HandshakeFailureLog& handshake_failures() { return handshake_failures_; }

    const config::Limits& limits() const { return limits_; }
    WorkerMetrics& metrics() { return metrics_; }
    // The worker's exchanges, found once here rather than per request.
    ExchangePool& exchanges() { return exchanges_; }
    // nullptr when the config has no access_log. Shared: a request in
    // flight keeps the log it started with when a change replaces it.
    const std::shared_ptr<AccessLog>& access_log() const { return access_log_; }
    // Opens the access log's path afresh (SIGUSR1, after logrotate renamed
    // the file). Requests in flight finish their lines into the renamed file
    // through the log they hold, so none is lost; when the path cannot be
    // opened the log goes on into the old file.
    void reopen_access_log();
    const RouteTable& routes() const { return routes_; }

    // nullptr when no upstream has that name (cannot happen for a validated
    // config, but a route may name one before a change adds it).
    std::shared_ptr<ActiveUpstream> upstream(std::string_view name) const;

    // Closes every parked upstream connection (worker shutdown).
    void close_idle_upstreams();

private:
    std::shared_ptr<ActiveUpstream> make_upstream(const config::Upstream& upstream) const;
    void point_at_upstreams(RouteEntry& entry) const;
    void point_routes_at(std::string_view name, const std::shared_ptr<ActiveUpstream>& upstream);
    void open_access_log(const std::optional<std::string>& destination);
    void apply_health(ActiveUpstream& upstream) const;

    boost::asio::io_context& io_;
    ExchangePool& exchanges_;
    config::Limits limits_;
    TargetSet unhealthy_;
    WorkerMetrics metrics_;
    std::shared_ptr<AccessLog> access_log_;
    RouteTable routes_;
    ListenerTls listener_tls_;
    HandshakeFailureLog handshake_failures_;
    config::StringMap<std::shared_ptr<ActiveUpstream>> upstreams_;
};

}  // namespace turnout::server

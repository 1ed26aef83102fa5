#pragma once

// What the admin API asks of the master (SPEC §4). The admin layer parses
// HTTP and formats responses; everything that decides or changes state is
// behind this interface, implemented by the master. Operations that must
// wait for every worker's ack answer through a callback.

#include "config/loader.hpp"

#include <boost/json/value.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace turnout::master {

// An answer for the admin layer to send: an HTTP status and a JSON body.
// Errors use SPEC §4's shape {"error": "...", "details": [{line, column,
// message}]} — see error_json().
struct AdminResult {
    unsigned status = 200;
    boost::json::value body;
};
using AdminCallback = std::function<void(AdminResult)>;

boost::json::value error_json(const std::string& message, const config::ConfigErrors& details = {});

class ControlPlane {
public:
    virtual ~ControlPlane() = default;

    virtual boost::json::value status() = 0;
    // What owns the config when it is not the admin API (a fleet node's
    // etcd source): writes are then refused with 409 naming it.
    virtual std::optional<std::string> config_owner() const { return std::nullopt; }

    // The live config as YAML and its version (for the ETag).
    virtual std::pair<std::string, std::uint64_t> live_config() = 0;

    // PUT /v1/config (source "api") and reload (source "file", yaml empty =
    // re-read the file `run` was started with). if_match: the version the
    // caller last saw; a different live version answers 412.
    // 200 {"version": N, "apply_ms": T}.
    virtual void apply_config(std::string yaml, std::string source,
                              std::optional<std::uint64_t> if_match, AdminCallback done) = 0;
    virtual AdminResult validate_config(const std::string& yaml) = 0;
    virtual AdminResult history() = 0;
    virtual void rollback(std::uint64_t version, AdminCallback done) = 0;

    virtual void put_route(const std::string& name, const std::string& body,
                           AdminCallback done) = 0;
    virtual void delete_route(const std::string& name, AdminCallback done) = 0;
    virtual void put_upstream(const std::string& name, const std::string& body,
                              AdminCallback done) = 0;
    virtual void delete_upstream(const std::string& name, AdminCallback done) = 0;
    virtual void put_split(const std::string& route,
                           std::vector<std::pair<std::string, std::int64_t>> weights,
                           AdminCallback done) = 0;

    // Rollouts (SPEC §7). `body` is POST /v1/rollouts's JSON; `action` one
    // of pause, resume, promote, abort.
    virtual void start_rollout(const boost::json::value& body, AdminCallback done) = 0;
    virtual AdminResult rollout_status(const std::string& route) = 0;
    virtual void rollout_action(const std::string& route, const std::string& action,
                                AdminCallback done) = 0;

    // Prometheus text format.
    virtual std::string metrics() = 0;

    // Zero-downtime upgrade: starts `binary` (empty: this binary's path,
    // re-resolved) as a new master with every socket, and answers once it
    // serves (200 {"pid", "previous_pid", "binary", "version"}; this master
    // then drains and exits) or failed (409 saying why; this one serves on).
    virtual void upgrade(std::string binary, AdminCallback done) = 0;

    // Begins a graceful (or immediate) stop; the admin layer answers 202
    // before the master goes away.
    virtual void stop(bool now) = 0;
};

}  // namespace turnout::master

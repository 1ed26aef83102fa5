#pragma once

// A fleet node's config source (docs/SPEC.md, "Fleet configuration from
// etcd"): reads every key under the prefix at one revision, serves the
// config they make as a version, then watches from the next revision and
// serves each change as one version. What it asks of the master is one
// hook, `apply`, which queues the version like any other change. It never
// gives up: etcd away means retrying with a jittered, capped backoff on the
// next member, while the node serves what it served.

#include "config/config.hpp"
#include "master/control_plane.hpp"
#include "master/etcd/backoff.hpp"
#include "master/etcd/client.hpp"
#include "master/etcd/watch_stream.hpp"
#include "master/fleet/assemble.hpp"
#include "master/fleet/incremental.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>

namespace turnout::master::fleet {

// Serves `config` as the version made from etcd revision `revision`; answers
// as an admin change does (200 once the workers serve it).
// `delta`, when set, is the one change that turns `base` into `config`.
using ApplyHook = std::function<void(
    std::shared_ptr<const config::Config> config, std::shared_ptr<const config::Config> base,
    std::optional<worker::ConfigDelta> delta, std::int64_t revision, AdminCallback done)>;

class FleetSource {
public:
    // `served_revision`: the revision of the version the node resumed from
    // state_dir, 0 if none. Throws std::invalid_argument for an endpoint that
    // does not parse or a password file that cannot be read.
    FleetSource(boost::asio::io_context& io, const config::EtcdSource& source, Bootstrap bootstrap,
                ApplyHook apply, std::int64_t served_revision);
    ~FleetSource();

    void start();

    // GET /v1/status's "etcd" object.
    boost::json::object status() const;
    // This node's part of its report: revision, state, errors.
    boost::json::object report() const;
    etcd::Client& client() { return client_; }

    // What the watch has seen (relative key → value, and the revision each
    // key was last changed at), and the revision the workers serve: the
    // fleet rollouts read them (fleet_rollouts.hpp).
    const std::map<std::string, std::string>& keys() const { return keys_; }
    std::int64_t mod_revision(const std::string& relative) const;
    std::int64_t served_revision() const { return served_revision_; }
    const std::string& prefix() const { return source_.prefix; }

private:
    void read_all();
    void on_snapshot(etcd::Snapshot snapshot);
    void watch(std::int64_t from);
    void on_watch(etcd::WatchResponse response);
    void on_trouble(const std::string& what, const std::string& error);
    void serve(std::int64_t revision);
    void served(std::int64_t revision, const AdminResult& result);
    void refuse(std::int64_t revision, config::ConfigErrors errors);

    boost::asio::io_context& io_;
    config::EtcdSource source_;
    Bootstrap bootstrap_;
    ApplyHook apply_;
    etcd::Client client_;
    etcd::Backoff backoff_;
    boost::asio::steady_timer retry_timer_;
    std::shared_ptr<etcd::WatchStream> watch_;
    // Increases with each read or watch started: answers to an older one
    // are dropped.
    std::uint64_t epoch_ = 0;

    std::map<std::string, std::string> keys_;            // relative key → value, at revision_
    std::map<std::string, std::int64_t> mod_revisions_;  // relative key → its mod_revision
    std::int64_t revision_ = 0;                          // what keys_ holds
    // The newest change of a config key in keys_ (a put's or a delete's
    // revision): what a version made from keys_ is named after. Node and
    // rollout reports under the prefix move revision_, not this, so what a
    // node says it serves does not depend on when other nodes reported.
    std::int64_t config_revision_ = 0;
    std::int64_t served_revision_ = 0;  // what the workers serve
    bool applying_ = false;             // a version is queued in the master
    bool apply_again_ = false;          // keys_ moved on meanwhile
    bool connected_ = false;
    std::string last_error_;
    bool refused_ = false;
    config::ConfigErrors refusal_;
    // The config last handed to the master and the keys changed since: the
    // next version is made from them when it can (incremental.hpp).
    std::shared_ptr<const config::Config> last_config_;
    KeyChanges changes_;
};

}  // namespace turnout::master::fleet

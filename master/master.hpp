#pragma once

// The master process (SPEC §6): binds the listeners, starts one worker per
// slot and keeps them running, owns the live config and its durable
// history, and serves the admin API. Every change goes the same way:
// validate → bind new listeners → persist (fsync) → push to every worker →
// answer once every live worker acknowledged it. Changes are serialized.

#include "config/config.hpp"
#include "config/edits.hpp"
#include "master/change_queue.hpp"
#include "master/commands.hpp"
#include "master/store/config_store.hpp"
#include "master/store/config_store_checkpoints.hpp"
#include "master/control_plane.hpp"
#include "master/metrics/fresh_stats.hpp"
#include "master/listener_set.hpp"
#include "master/metrics/metrics_aggregator.hpp"
#include "master/process_table.hpp"
#include "master/rollout/rollout.hpp"
#include "master/service_notifier.hpp"
#include "master/store/state_lock.hpp"
#include "master/upgrade/handover.hpp"
#include "master/metrics/upstream_rates.hpp"
#include "server/histogram.hpp"
#include "server/tls/tls_material.hpp"
#include "worker/config_delta.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <map>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace turnout::master {

class AdminServer;
class BinaryUpgrade;
class HealthChecker;
namespace fleet {
class FleetSource;
class FleetRollouts;
class NodeReporter;
}  // namespace fleet

class Master final : public ControlPlane {
public:
    Master(RunOptions options, std::shared_ptr<const config::Config> file_config);
    ~Master() override;

    // Runs until stopped; returns 0, or 1 when it cannot start (main() turns
    // that into the exit status of master/cli/exit_status.hpp).
    int run();

    // ControlPlane
    boost::json::value status() override;
    std::pair<std::string, std::uint64_t> live_config() override;
    void apply_config(std::string yaml, std::string source, std::optional<std::uint64_t> if_match,
                      AdminCallback done) override;
    AdminResult validate_config(const std::string& yaml) override;
    AdminResult history() override;
    void rollback(std::uint64_t version, AdminCallback done) override;
    void put_route(const std::string& name, const std::string& body, AdminCallback done) override;
    void delete_route(const std::string& name, AdminCallback done) override;
    void put_upstream(const std::string& name, const std::string& body,
                      AdminCallback done) override;
    void delete_upstream(const std::string& name, AdminCallback done) override;
    void put_split(const std::string& route,
                   std::vector<std::pair<std::string, std::int64_t>> weights,
                   AdminCallback done) override;
    void start_rollout(const boost::json::value& body, AdminCallback done) override;
    AdminResult rollout_status(const std::string& route) override;
    void rollout_action(const std::string& route, const std::string& action,
                        AdminCallback done) override;
    std::string metrics() override;
    std::optional<std::string> config_owner() const override;
    void upgrade(std::string binary, AdminCallback done) override;
    void stop(bool now) override;

private:
    // A change live and saved, waiting for the workers' acks; it holds the
    // queue's turn until they came or the ack timer fired.
    struct PendingAck {
        std::uint64_t version = 0;
        std::set<unsigned> waiting;
        std::chrono::steady_clock::time_point started;
        AdminCallback done;
        ChangeQueue::Job job;
    };
    using Job = ChangeQueue::Job;

    // Start-up.
    void choose_initial_config();
    void start_worker(WorkerSlot& slot);
    void on_worker_message(unsigned slot, pid_t pid, worker::Message message);
    void poll_stats();
    std::uint64_t ask_stats();
    std::vector<pid_t> live_worker_pids() const;
    void with_fresh_stats(std::function<void()> then);
    void arm_stats_wait_timer();
    void watch_signals();
    void reap_children();
    void on_worker_exit(WorkerSlot& slot, int wait_status);

    // Changes (master_apply.cpp).
    void commit_and_push(std::shared_ptr<const config::Config> config, const std::string& source,
                         const std::string& summary, std::optional<worker::ConfigDelta> delta,
                         AdminCallback done, Job job);
    void edit(std::function<config::EditResult()> make,
              std::function<worker::ConfigDelta(const config::Config&)> delta_of,
              std::string summary, AdminCallback done);
    void push_to(WorkerSlot& slot, const std::vector<std::string>& new_listeners,
                 const std::optional<std::string>& update, bool whole, std::string& snapshot);
    std::optional<config::EditError> rollout_conflict(const std::string& route) const;
    void send_listeners(WorkerSlot& slot, const std::vector<std::string>& names);
    void send_snapshot(WorkerSlot& slot, const std::string& snapshot);
    void send_tls(WorkerSlot& slot);
    std::optional<config::ConfigErrors> check_tls(
        const config::Config& config, const std::optional<worker::ConfigDelta>& delta,
        std::optional<server::TlsMaterial>& material) const;
    void send_health(WorkerSlot& slot);
    void broadcast_health();
    void settle_acks();
    std::optional<std::string> read_config_file(std::string& error) const;

    // Rollouts (master_rollouts.cpp).
    struct RunningRollout {
        Rollout rollout;
        std::shared_ptr<boost::asio::steady_timer> timer;
    };
    void restore_rollouts();
    boost::json::array rollouts_json() const;
    void rollout_changed(const std::string& route, const RolloutUpdate& update, unsigned status,
                         AdminCallback done, Job job);
    void save_rollout(const std::string& route);
    void arm_rollout_timer(const std::string& route);
    void end_rollout_interval(const std::string& route, Job job);

    // Fleet mode (fleet/master_fleet.cpp): the config comes from etcd.
    void start_fleet();
    void apply_fleet_version(std::shared_ptr<const config::Config> config,
                             std::shared_ptr<const config::Config> base,
                             std::optional<worker::ConfigDelta> delta, std::int64_t revision,
                             AdminCallback done);
    boost::json::object node_report() const;

    // Upgrades and the service manager (master_upgrade.cpp).
    void start_upgrade(std::string binary, AdminCallback done, Job job);
    void upgrade_ended(const std::string& binary, pid_t pid, const std::string& error,
                       AdminCallback done, std::shared_ptr<Job> job);
    void worker_became_ready();
    std::string upgrade_message() const;
    void reopen_logs();

    // Stopping.
    void begin_stop(bool now);
    void give_back_fleet_leases();
    void maybe_exit();

    RunOptions options_;
    std::string base_dir_;
    boost::asio::io_context io_{1};
    // The -c file as read at start, and the settings read only at start
    // (workers, admin, state_dir): that file with the command line on top.
    // Every config the master serves takes those settings from start_.
    std::shared_ptr<const config::Config> file_config_;
    std::shared_ptr<const config::Config> start_;
    std::shared_ptr<const config::Config> live_;
    // What the live config's TLS listeners serve, as read when it was
    // applied; sent to every worker ahead of each snapshot.
    server::TlsMaterial tls_material_;
    std::uint64_t version_ = 0;
    std::string live_source_;
    // Set when an upgrade started this master: the sockets it inherited.
    std::optional<Handover> handover_;
    StateLock state_lock_;
    ConfigStore store_;
    CheckpointWriter checkpoints_{io_, store_};
    std::unique_ptr<ListenerSet> listeners_;
    std::vector<WorkerSlot> slots_;
    std::unique_ptr<AdminServer> admin_;
    std::unique_ptr<HealthChecker> health_;
    boost::asio::signal_set signals_;
    // Before pending_: a job refers to its queue.
    ChangeQueue changes_;
    std::optional<PendingAck> pending_;
    boost::asio::steady_timer ack_timer_;
    boost::asio::steady_timer kill_timer_;
    boost::asio::steady_timer release_timer_;
    unsigned leases_pending_ = 0;  // fleet leases revoked, etcd not yet answered
    boost::asio::steady_timer stats_timer_;
    MetricsAggregator metrics_;
    // Rollout judgements waiting for counters collected after their
    // interval ended; the timer wakes the earliest deadline.
    FreshStats fresh_stats_{[this] { return live_worker_pids(); }};
    boost::asio::steady_timer stats_wait_timer_;
    UpstreamRates rates_;                             // fed by poll_stats, read by status()
    std::map<std::string, RunningRollout> rollouts_;  // by route
    std::unique_ptr<fleet::FleetSource> fleet_;
    std::unique_ptr<fleet::NodeReporter> node_reporter_;
    std::unique_ptr<fleet::FleetRollouts> fleet_rollouts_;
    ServiceNotifier notifier_{io_};
    // The upgrade under way, and once it succeeded, the change queue's turn
    // it keeps so that nothing changes state_dir behind the new master.
    std::unique_ptr<BinaryUpgrade> upgrade_;
    std::shared_ptr<Job> handed_over_turn_;
    pid_t handed_over_to_ = -1;
    bool ready_announced_ = false;
    std::chrono::steady_clock::time_point started_at_;
    server::Histogram apply_seconds_;
    bool stopping_ = false;
    bool interrupted_ = false;
    int exit_status_ = 0;
};

}  // namespace turnout::master

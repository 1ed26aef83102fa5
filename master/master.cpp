#include "master/master.hpp"

#include "config/loader.hpp"
#include "config/start_settings.hpp"
#include "config/json_codec.hpp"
#include "master/admin/admin_server.hpp"
#include "master/health/health_checker.hpp"
#include "master/store/stored_config.hpp"
#include "config/time_format.hpp"
#include "master/fleet/fleet_source.hpp"
#include "master/fleet/fleet_rollouts.hpp"
#include "master/fleet/node_report.hpp"
#include "master/tls_files.hpp"
#include "master/upgrade/binary_upgrade.hpp"
#include "server/logfmt.hpp"

#include <boost/assert.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <thread>

namespace turnout::master {

namespace json = boost::json;
using clock = std::chrono::steady_clock;

namespace {

// A worker that dies sooner than this after starting counts as crashing on
// start, and its restarts back off.
constexpr std::chrono::seconds quick_death{1};
// After the drain deadline, workers still running are killed.
constexpr std::chrono::seconds kill_grace{5};
// How long a stopping master waits for etcd to take its fleet leases back.
constexpr std::chrono::seconds release_grace{1};

// --workers overrides the file's `workers`.
std::shared_ptr<const config::Config> start_settings(const RunOptions& options,
                                                     std::shared_ptr<const config::Config> file) {
    if (!options.workers || *options.workers == file->workers) {
        return file;
    }
    auto config = std::make_shared<config::Config>(*file);
    config->workers = *options.workers;
    return config;
}

// The config in force carries --workers (start_settings).
unsigned worker_count(const config::Config& config) {
    if (config.workers > 0) {
        return config.workers;
    }
    return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

Master::Master(RunOptions options, std::shared_ptr<const config::Config> file_config)
    : options_{std::move(options)},
      base_dir_{std::filesystem::absolute(options_.config_path).parent_path().string()},
      file_config_{std::move(file_config)}, start_{start_settings(options_, file_config_)},
      handover_{take_handover_from_environment()}, state_lock_{file_config_->state_dir,
                                                               handover_ ? handover_->lock_fd : -1},
      store_{file_config_->state_dir}, signals_{io_, SIGINT, SIGTERM, SIGHUP}, ack_timer_{io_},
      kill_timer_{io_}, release_timer_{io_}, stats_timer_{io_}, stats_wait_timer_{io_} {
    signals_.add(SIGCHLD);
    signals_.add(SIGUSR1);
    signals_.add(SIGUSR2);
    choose_initial_config();
}

// A change still waiting for the workers' acks ends with pending_; the
// changes queued behind it must not start on a master half destroyed.
Master::~Master() {
    changes_.drop_waiting();
}

// SPEC §6: the last applied version in state_dir wins over the file, so a
// change pushed through the API survives a restart; --fresh ignores it.
// The settings read only at start come from the file and the command line,
// whatever the saved version says. The new master of an upgrade serves what
// its predecessor served, --fresh or not.
void Master::choose_initial_config() {
    if (auto latest = options_.fresh && !handover_ ? std::nullopt : store_.latest()) {
        if (auto config = decode_config(*latest)) {
            live_ = config::with_start_settings(std::move(config), *start_);
            version_ = latest->info.version;
            live_source_ = "state";
            spdlog::info("msg=\"serving saved config\" version={} source=state state_dir={}",
                         version_, log_value(store_.state_dir()));
            return;
        }
        spdlog::error(
            "msg=\"saved config does not decode, serving the file\" version={} state_dir={}",
            latest->info.version, log_value(store_.state_dir()));
    }
    live_ = start_;
    const auto info =
        store_.commit(encode_config(*live_), "file", "run -c " + options_.config_path);
    version_ = info.version;
    live_source_ = "file";
    spdlog::info("msg=\"serving config file\" version={} source=file file={}{}", version_,
                 log_value(options_.config_path), options_.fresh ? " fresh=true" : "");
}

int Master::run() {
    started_at_ = clock::now();
    const unsigned count = worker_count(*live_);
    auto tls = read_listener_tls(*live_, make_ticket_keys(), options_.config_path);
    if (auto* errors = std::get_if<config::ConfigErrors>(&tls)) {
        for (const auto& error : *errors) {
            spdlog::error("msg=\"cannot start: TLS files do not load\" error={}",
                          log_value(error.to_string()));
        }
        return 1;
    }
    tls_material_ = std::get<server::TlsMaterial>(std::move(tls));
    try {
        listeners_ = std::make_unique<ListenerSet>(count);
        for (const auto& handed :
             handover_ ? handover_->listeners : std::vector<HandedListener>{}) {
            listeners_->adopt(handed, *live_);
        }
        listeners_->stage(*live_);
        listeners_->commit_staged();
        admin_ = std::make_unique<AdminServer>(io_, live_->admin, *this,
                                               handover_ ? handover_->admin_fd : -1);
        // The new master of an upgrade answers the admin API only once it
        // serves (worker_became_ready): until then its predecessor does.
        if (!handover_) {
            admin_->start();
        }
        health_ = std::make_unique<HealthChecker>(io_, [this] { broadcast_health(); });
        health_->configure(*live_);
    } catch (const std::system_error& error) {
        spdlog::error("msg=\"cannot start\" error={}", log_value(error.what()));
        return 1;
    }
    spdlog::info("msg=\"admin socket\" path={}", log_value(live_->admin.socket));
    slots_.resize(count);
    for (unsigned i = 0; i < count; ++i) {
        slots_[i].slot = i;
        start_worker(slots_[i]);
    }
    watch_signals();
    notifier_.start_watchdog(handover_.has_value());
    poll_stats();
    restore_rollouts();
    start_fleet();
    io_.run();
    spdlog::info("msg=\"stopped\" exit_status={}", exit_status_);
    return exit_status_;
}

void Master::start_worker(WorkerSlot& slot) {
    // A slot holds one worker at a time: the next starts once the last one
    // was reaped, its channel closed.
    BOOST_ASSERT_MSG(slot.slot < slots_.size() && &slots_[slot.slot] == &slot,
                     "a slot sits at its own index of the process table");
    BOOST_ASSERT_MSG(slot.state == SlotState::dead && slot.pid <= 0 && !slot.channel,
                     "a slot starts a worker only once its last one is gone");
    SpawnedWorker spawned;
    try {
        spawned = spawn_worker_process(slot.slot);
    } catch (const std::system_error& error) {
        spdlog::error("msg=\"cannot start worker\" slot={} error={}", slot.slot,
                      log_value(error.what()));
        on_worker_exit(slot, 0);
        return;
    }
    slot.pid = spawned.pid;
    slot.state = SlotState::starting;
    slot.started_at = clock::now();
    slot.version = 0;
    slot.channel = std::make_shared<worker::ControlChannel>(io_, spawned.channel_fd);
    const unsigned index = slot.slot;
    const pid_t pid = slot.pid;
    // The channel's EOF needs no action: SIGCHLD reports the exit.
    slot.channel->start(
        [this, index, pid](worker::Message message) {
            on_worker_message(index, pid, std::move(message));
        },
        [] {});
    send_listeners(slot, listeners_->names());
    send_snapshot(slot, encode_config(*live_));
    slot.sent_version = version_;
    send_health(slot);
    if (pending_ && pending_->version == version_) {
        pending_->waiting.insert(index);
    }
    spdlog::info("msg=\"worker started\" slot={} pid={} version={}", slot.slot, slot.pid, version_);
}

void Master::on_worker_message(unsigned index, pid_t pid, worker::Message message) {
    BOOST_ASSERT(index < slots_.size());
    auto& slot = slots_[index];
    if (message.kind == worker::MessageKind::stats) {
        const auto json = config::parse_json(message.payload);
        auto snapshot = json ? server::metrics_from_json(*json) : std::nullopt;
        if (snapshot) {
            metrics_.update(index, pid, std::move(*snapshot));
        } else {
            spdlog::error("msg=\"worker stats do not decode\" slot={} pid={}", index, pid);
        }
        if (slot.pid == pid) {
            fresh_stats_.answered(pid, message.version);
            fresh_stats_.settle(clock::now());
        }
    } else if (message.kind == worker::MessageKind::ack) {
        slot.version = message.version;
        if (slot.state == SlotState::starting) {
            slot.state = SlotState::ready;
            spdlog::info("msg=\"worker ready\" slot={} pid={} version={}", slot.slot, slot.pid,
                         slot.version);
            worker_became_ready();
        }
    } else if (message.kind == worker::MessageKind::error) {
        spdlog::error("msg=\"worker refused a change\" slot={} version={} error={}", slot.slot,
                      message.version, log_value(message.payload));
        if (pending_) {
            pending_->waiting.erase(index);
        }
    }
    for (int fd : message.fds) {
        ::close(fd);  // workers send none; never leak one
    }
    settle_acks();
}

// Counters come from the workers once a second: often enough for metrics
// and rollout intervals, and a worker that dies loses at most that much.
void Master::poll_stats() {
    rates_.observe(metrics_.totals(), clock::now());
    ask_stats();
    stats_timer_.expires_after(std::chrono::seconds{1});
    stats_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) {
            poll_stats();
        }
    });
}

// Sends every live worker the next stats request; returns its number.
std::uint64_t Master::ask_stats() {
    const auto number = fresh_stats_.next_request();
    for (auto& slot : slots_) {
        if (slot.channel) {
            slot.channel->send(worker::stats_request(number));
        }
    }
    return number;
}

std::vector<pid_t> Master::live_worker_pids() const {
    std::vector<pid_t> pids;
    for (const auto& slot : slots_) {
        if (slot.pid > 0 && slot.channel) {
            pids.push_back(slot.pid);
        }
    }
    return pids;
}

// Runs `then` once every live worker has answered a stats request sent now,
// so the counters hold everything served up to this moment (the poll's
// answers, however recent, may not); a worker that does not answer within
// the deadline is not waited for.
void Master::with_fresh_stats(std::function<void()> then) {
    constexpr std::chrono::milliseconds wait_at_most{500};
    fresh_stats_.wait(ask_stats(), clock::now() + wait_at_most, std::move(then));
    arm_stats_wait_timer();
    fresh_stats_.settle(clock::now());
}

void Master::arm_stats_wait_timer() {
    const auto deadline = fresh_stats_.next_deadline();
    if (!deadline) {
        return;
    }
    stats_wait_timer_.expires_at(*deadline);
    stats_wait_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) {
            fresh_stats_.settle(clock::now());
            arm_stats_wait_timer();
        }
    });
}

// Signals only record intent; the loop acts on them.
void Master::watch_signals() {
    signals_.async_wait([this](boost::system::error_code ec, int signal) {
        if (ec) {
            return;
        }
        if (signal == SIGCHLD) {
            reap_children();
        } else if (signal == SIGHUP) {
            spdlog::info("msg=\"SIGHUP: re-reading the config file\" file={}",
                         log_value(options_.config_path));
            notifier_.reloading();
            apply_config({}, "file", std::nullopt, [this](AdminResult result) {
                spdlog::info("msg=\"reload finished\" status={} result={}", result.status,
                             log_value(json::serialize(result.body)));
                notifier_.ready(version_);
            });
        } else if (signal == SIGUSR1) {
            reopen_logs();
        } else if (signal == SIGUSR2) {
            upgrade({}, [](AdminResult result) {
                spdlog::info("msg=\"SIGUSR2: upgrade finished\" status={} result={}", result.status,
                             log_value(json::serialize(result.body)));
            });
        } else if (signal == SIGINT && interrupted_) {
            begin_stop(true);
        } else {
            interrupted_ = interrupted_ || signal == SIGINT;
            begin_stop(false);
        }
        watch_signals();
    });
}

void Master::reap_children() {
    int wait_status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &wait_status, WNOHANG)) > 0) {
        if (upgrade_ && upgrade_->child_exited(pid, wait_status)) {
            continue;
        }
        for (auto& slot : slots_) {
            if (slot.pid == pid) {
                on_worker_exit(slot, wait_status);
            }
        }
    }
}

void Master::on_worker_exit(WorkerSlot& slot, int wait_status) {
    const bool signalled = WIFSIGNALED(wait_status);
    const int code = signalled ? WTERMSIG(wait_status) : WEXITSTATUS(wait_status);
    if (slot.pid > 0) {
        spdlog::log(stopping_ ? spdlog::level::info : spdlog::level::warn,
                    "msg=\"worker exited\" slot={} pid={} {}={}", slot.slot, slot.pid,
                    signalled ? "signal" : "status", code);
    }
    if (slot.channel) {
        slot.channel->close();
        slot.channel.reset();
    }
    slot.pid = -1;
    slot.state = SlotState::dead;
    metrics_.retire(slot.slot);
    settle_acks();
    fresh_stats_.settle(clock::now());
    if (stopping_) {
        maybe_exit();
        return;
    }
    const bool quick = clock::now() - slot.started_at < quick_death;
    slot.quick_deaths = quick ? slot.quick_deaths + 1 : 0;
    ++slot.restarts;
    const auto delay = respawn_delay(slot);
    if (delay.count() == 0) {
        start_worker(slot);
        return;
    }
    spdlog::warn("msg=\"worker keeps dying, backing off\" slot={} delay_ms={}", slot.slot,
                 delay.count());
    auto timer = std::make_shared<boost::asio::steady_timer>(io_, delay);
    const unsigned index = slot.slot;
    timer->async_wait([this, timer, index](boost::system::error_code ec) {
        if (!ec && !stopping_ && slots_[index].state == SlotState::dead) {
            start_worker(slots_[index]);
        }
    });
}

void Master::stop(bool now) {
    // Let the admin API answer first: act on the next turn of the loop.
    boost::asio::post(io_, [this, now] { begin_stop(now); });
}

// Stages: workers stop accepting and drain (up to drain_timeout), then are
// killed if still running; the master exits once every worker has.
void Master::begin_stop(bool now) {
    if (stopping_ && !now) {
        return;
    }
    stopping_ = true;
    if (handed_over_to_ < 0) {  // else the service goes on, in the new master
        notifier_.stopping();
    }
    if (health_) {
        health_->stop();
    }
    give_back_fleet_leases();
    spdlog::info("msg={} workers={}", log_value(now ? "stopping now" : "graceful stop"),
                 slots_.size());
    for (auto& slot : slots_) {
        if (slot.channel) {
            slot.state = SlotState::draining;
            slot.channel->send(
                {now ? worker::MessageKind::stop : worker::MessageKind::drain, 0, {}, {}});
        }
    }
    kill_timer_.expires_after(now ? kill_grace : live_->limits.drain_timeout + kill_grace);
    kill_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec) {
            return;
        }
        for (auto& slot : slots_) {
            if (slot.pid > 0) {
                spdlog::warn("msg=\"worker did not stop, killing it\" slot={} pid={}", slot.slot,
                             slot.pid);
                ::kill(slot.pid, SIGKILL);
            }
        }
    });
    maybe_exit();
}

// The node report's and the leader's leases are revoked, not left to
// expire, so the node's key goes and another node leads at once; the master
// waits for etcd's answers, at most release_grace, before it exits.
void Master::give_back_fleet_leases() {
    if (!fleet_rollouts_ && !node_reporter_) {
        return;
    }
    release_timer_.expires_after(release_grace);
    release_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) {
            leases_pending_ = 0;
            maybe_exit();
        }
    });
    auto released = [this] {
        if (leases_pending_ > 0 && --leases_pending_ == 0) {
            maybe_exit();
        }
    };
    leases_pending_ = (fleet_rollouts_ ? 1 : 0) + (node_reporter_ ? 1 : 0);
    if (fleet_rollouts_) {
        fleet_rollouts_->stop(released);
    }
    if (node_reporter_) {
        node_reporter_->stop(released);
    }
}

void Master::maybe_exit() {
    for (const auto& slot : slots_) {
        if (slot.pid > 0) {
            return;
        }
    }
    if (leases_pending_ > 0) {
        return;
    }
    release_timer_.cancel();
    kill_timer_.cancel();
    ack_timer_.cancel();
    stats_timer_.cancel();
    stats_wait_timer_.cancel();
    notifier_.stop_watchdog();
    for (auto& [route, running] : rollouts_) {
        running.timer->cancel();
    }
    if (health_) {
        health_->stop();
    }
    if (admin_) {
        admin_->stop();
    }
    io_.stop();
}

// Workers learn the whole unhealthy set each time, not changes: a worker
// that missed one (it was starting) is right again at the next message.
void Master::send_health(WorkerSlot& slot) {
    json::array unhealthy;
    for (const auto& [upstream, address] : health_->unhealthy()) {
        unhealthy.push_back(json::array{json::string{upstream}, json::string{address}});
    }
    slot.channel->send({worker::MessageKind::health,
                        version_,
                        json::serialize(json::object{{"unhealthy", std::move(unhealthy)}}),
                        {}});
}

void Master::broadcast_health() {
    for (auto& slot : slots_) {
        if (slot.channel) {
            send_health(slot);
        }
    }
}

}  // namespace turnout::master

// The master's side of a zero-downtime upgrade (SIGUSR2, POST /v1/upgrade),
// of the service manager's notifications, and of log reopening (SIGUSR1).

#include "master/admin/admin_server.hpp"
#include "master/master.hpp"
#include "master/upgrade/binary_upgrade.hpp"
#include "master/upgrade/new_master_process.hpp"
#include "server/logfmt.hpp"

#include <boost/asio/post.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

namespace turnout::master {

namespace json = boost::json;

namespace {

// How long a new master may take from exec to every worker serving.
constexpr std::chrono::seconds ready_deadline{30};

}  // namespace

// Why changes are refused while an upgrade is under way or done.
std::string Master::upgrade_message() const {
    if (handed_over_to_ > 0) {
        return fmt::format("this master handed over to pid {} (an upgrade) and is draining; "
                           "retry: the admin socket reaches the new master",
                           handed_over_to_);
    }
    return "an upgrade is under way (turnout upgrade); retry once it ended";
}

// The upgrade takes the change queue's turn, so no change is half applied
// while the new master reads state_dir; writes that come meanwhile are
// refused (config_owner) rather than queued behind it.
void Master::upgrade(std::string binary, AdminCallback done) {
    if (stopping_) {
        done({409, error_json("this master is stopping; start turnout again instead")});
        return;
    }
    if (upgrade_) {
        done({409, error_json(upgrade_message())});
        return;
    }
    upgrade_ = std::make_unique<BinaryUpgrade>(io_, ready_deadline);
    changes_.enqueue([this, binary = std::move(binary), done = std::move(done)](Job job) mutable {
        start_upgrade(std::move(binary), std::move(done), std::move(job));
    });
}

void Master::start_upgrade(std::string binary, AdminCallback done, Job job) {
    const auto refuse = [&](unsigned status, const std::string& why) {
        spdlog::error("msg=\"upgrade refused\" error={}", log_value(why));
        upgrade_.reset();
        done({status, error_json(why + "; this master keeps serving")});
    };
    if (stopping_) {
        refuse(409, "this master is stopping");
        return;
    }
    try {
        if (binary.empty()) {
            binary = current_binary();
        }
    } catch (const std::system_error& error) {
        refuse(409, std::string{"cannot find this binary's path: "} + error.what());
        return;
    }
    if (::access(binary.c_str(), X_OK) != 0) {
        refuse(400, "cannot execute " + binary + ": " + std::strerror(errno));
        return;
    }
    Handover sockets;
    sockets.lock_fd = state_lock_.fd();
    sockets.admin_fd = admin_->native_handle();
    sockets.listeners = listeners_->handover();
    spdlog::info("msg=\"upgrade: starting the new binary\" binary={} version={} listeners={}",
                 log_value(binary), version_, sockets.listeners.size());
    auto turn = std::make_shared<Job>(std::move(job));
    try {
        upgrade_->start(binary, options_.command_line, std::move(sockets),
                        [this, binary, done, turn](BinaryUpgrade::Outcome outcome) {
                            upgrade_ended(binary, outcome.pid, outcome.error, done, turn);
                        });
    } catch (const std::system_error& error) {
        refuse(409, "cannot start " + binary + ": " + error.what());
    }
}

// Success hands everything over: the new master owns the admin socket's
// file and state_dir, this one keeps the queue's turn (so nothing of its
// own changes state_dir again), drains its workers and exits.
void Master::upgrade_ended(const std::string& binary, pid_t pid, const std::string& error,
                           AdminCallback done, std::shared_ptr<Job> turn) {
    if (!error.empty()) {
        const auto why =
            fmt::format("the new master ({}) failed: {}; this master (pid {}) keeps serving "
                        "version {}",
                        binary, error, ::getpid(), version_);
        spdlog::error("msg=\"upgrade failed\" error={}", log_value(why));
        // This runs inside the upgrade's own callback: destroy it later.
        boost::asio::post(io_, [finished = std::move(upgrade_)] {});
        turn->finish();
        done({409, error_json(why)});
        return;
    }
    handed_over_to_ = pid;
    handed_over_turn_ = std::move(turn);
    spdlog::info("msg=\"upgrade: the new master serves, draining this one\" new_pid={} binary={} "
                 "version={}",
                 pid, log_value(binary), version_);
    notifier_.handed_over(pid, version_);
    admin_->hand_over();
    done({200, json::object{{"pid", pid},
                            {"previous_pid", ::getpid()},
                            {"binary", binary},
                            {"version", version_}}});
    boost::asio::post(io_, [this] { begin_stop(false); });
}

// Every slot's worker serves: tell the service manager, and in a master an
// upgrade started, the master it replaces, which then drains and exits.
void Master::worker_became_ready() {
    if (ready_announced_ || stopping_) {
        return;
    }
    for (const auto& slot : slots_) {
        if (slot.state != SlotState::ready) {
            return;
        }
    }
    ready_announced_ = true;
    notifier_.ready(version_);
    if (!handover_) {
        return;
    }
    constexpr std::string_view ready = "ready\n";
    const bool told = ::write(handover_->ready_fd, ready.data(), ready.size()) ==
                      static_cast<ssize_t>(ready.size());
    ::close(handover_->ready_fd);
    handover_->ready_fd = -1;
    if (!told) {
        spdlog::error("msg=\"upgrade: cannot tell the previous master this one serves\" error={}",
                      log_value(std::strerror(errno)));
    }
    state_lock_.record_owner(::getpid());
    admin_->claim_path();
    admin_->start();
    spdlog::info("msg=\"upgrade: serving, the previous master drains\" pid={} previous_pid={} "
                 "version={}",
                 ::getpid(), ::getppid(), version_);
}

// SIGUSR1 (logrotate): the master logs to stderr only; each worker reopens
// its access log, told over its channel so that one just starting (its
// signal handlers not yet in place) is not killed by the signal.
void Master::reopen_logs() {
    unsigned told = 0;
    for (auto& slot : slots_) {
        if (slot.channel) {
            slot.channel->send({worker::MessageKind::reopen_logs, 0, {}, {}});
            ++told;
        }
    }
    spdlog::info("msg=\"SIGUSR1: workers reopen the access log\" workers={}", told);
}

}  // namespace turnout::master

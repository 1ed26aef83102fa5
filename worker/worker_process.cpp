#include "worker/worker_process.hpp"

#include "config/json_codec.hpp"
#include "server/logfmt.hpp"
#include "server/tls/tls_material.hpp"
#include "server/tls/tls_server_context.hpp"
#include "worker/config_changes.hpp"
#include "worker/config_delta.hpp"
#include "worker/control_channel.hpp"
#include "worker/worker.hpp"

#include <boost/asio/signal_set.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include <malloc.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <map>
#include <optional>
#include <string>

namespace turnout::worker {

namespace {

// Wires a Worker to its control channel: listener sockets, configs and
// deltas come in; acks go out with the version now served.
class WorkerProcess {
public:
    explicit WorkerProcess(unsigned slot)
        : slot_{slot}, channel_{std::make_shared<ControlChannel>(worker_.io(), control_channel_fd)},
          signals_{worker_.io(), SIGINT, SIGTERM, SIGUSR1} {}

    int run() {
        channel_->start([this](Message message) { on_message(std::move(message)); },
                        [this] { on_master_gone(); });
        watch_signals();
        worker_.run();
        send_stats(0);  // the last counts, so the master's totals never go back
        channel_->close();
        spdlog::info("msg=\"worker stopped\" slot={}", slot_);
        return 0;
    }

private:
    void on_message(Message message) {
        switch (message.kind) {
        case MessageKind::listener_fd:
            for (int fd : message.fds) {
                worker_.add_listener_socket(message.payload, fd);
            }
            break;
        case MessageKind::config_snapshot:
            apply_snapshot(message);
            break;
        case MessageKind::config_delta:
            apply_change(message);
            break;
        case MessageKind::stats_request:
            send_stats(message.version);
            break;
        case MessageKind::health:
            apply_health(message);
            break;
        case MessageKind::tls:
            apply_tls(message);
            break;
        case MessageKind::drain:
            worker_.begin_drain();
            break;
        case MessageKind::stop:
            worker_.stop_now();
            break;
        case MessageKind::reopen_logs:
            worker_.state().reopen_access_log();
            break;
        default:
            break;
        }
    }

    // A whole config passes through three forms (JSON text, parsed JSON,
    // Config) on its way into the route table. The parsed JSON lives in one
    // arena, the routes are moved, not copied, and the replaced table goes
    // only after the ack is sent; then the heap's free pages go back to the
    // system, so the worker's footprint is what it serves, not the peak of
    // the last apply.
    void apply_snapshot(const Message& message) {
        std::optional<config::Config> config;
        {
            const auto json = config::parse_json(
                message.payload,
                boost::json::make_shared_resource<boost::json::monotonic_resource>());
            config = json ? config::config_from_json(*json) : std::nullopt;
        }
        if (!config) {
            refuse(message.version, "config snapshot does not decode");
            return;
        }
        auto replaced = worker_.apply(std::move(*config));
        acknowledge(message.version);
        replaced = server::RouteTable{};
        ::malloc_trim(0);
    }

    // One delta, or the batch a whole config travels as: all of it is
    // applied in this one turn of the event loop, so no request sees half.
    void apply_change(const Message& message) {
        const auto json = config::parse_json(message.payload);
        const auto changes = json ? changes_from_json(*json) : std::nullopt;
        if (!changes) {
            refuse(message.version, "config delta does not decode");
            return;
        }
        for (const auto& change : *changes) {
            apply_delta(change, worker_.state());
        }
        acknowledge(message.version);
    }

    // Builds every listener's TLS from what the master read; the listeners
    // use it for connections accepted from now on. All or nothing: when one
    // listener's certificates do not load here (they loaded in the master),
    // every listener keeps what it had.
    void apply_tls(const Message& message) {
        const auto json = config::parse_json(message.payload);
        auto material = json ? server::tls_material_from_json(*json) : std::nullopt;
        if (!material) {
            refuse(message.version, "TLS material does not decode");
            return;
        }
        server::ServingState::ListenerTls contexts;
        for (const auto& [name, listener] : material->listeners) {
            std::string error;
            auto context = server::TlsServerContext::create(listener, material->ticket_keys, error);
            if (!context) {
                spdlog::error("msg=\"listener TLS does not load\" slot={} listener={} error={}",
                              slot_, log_value(name), log_value(error));
                refuse(message.version, "listener TLS does not load");
                return;
            }
            contexts.emplace(name, std::move(context));
        }
        worker_.state().set_listener_tls(std::move(contexts));
        for (auto& [name, listener] : material->listeners) {
            // A key changes only with its certificate: the keys need no copy.
            for (auto& certificate : listener.certificates) {
                certificate.key.clear();
            }
            auto& served = served_tls_[name];
            if (served && *served != listener) {
                worker_.tls_changed(name);
            }
            served = std::move(listener);
        }
    }

    void apply_health(const Message& message) {
        const auto json = config::parse_json(message.payload);
        const auto* object = json ? json->if_object() : nullptr;
        const auto* list = object ? object->if_contains("unhealthy") : nullptr;
        if (!list || !list->is_array()) {
            spdlog::error("msg=\"health message does not decode\" slot={}", slot_);
            return;
        }
        server::ServingState::TargetSet unhealthy;
        for (const auto& entry : list->get_array()) {
            const auto* pair = entry.if_array();
            if (pair && pair->size() == 2 && (*pair)[0].is_string() && (*pair)[1].is_string()) {
                unhealthy.emplace((*pair)[0].get_string(), (*pair)[1].get_string());
            }
        }
        worker_.state().set_unhealthy_targets(std::move(unhealthy));
    }

    // `request`: the number of the stats request answered, 0 for none.
    void send_stats(std::uint64_t request) {
        channel_->send(stats_answer(request, boost::json::serialize(server::to_json(
                                                 worker_.state().metrics().snapshot()))));
    }

    void acknowledge(std::uint64_t version) {
        channel_->send(Message{MessageKind::ack, version, {}, {}});
    }

    void refuse(std::uint64_t version, const char* why) {
        spdlog::error("msg={} slot={} version={}", log_value(why), slot_, version);
        channel_->send(Message{MessageKind::error, version, why, {}});
    }

    // The channel's EOF is how a worker learns its master is gone (even by
    // SIGKILL): finish what is in flight, then exit.
    void on_master_gone() {
        spdlog::info("msg=\"master gone, draining\" slot={}", slot_);
        worker_.begin_drain();
    }

    // Ctrl-C in a terminal signals the whole process group: a worker treats
    // SIGINT and SIGTERM as its master does (drain; a second SIGINT stops now),
    // and SIGUSR1 (logrotate signalling every process of the unit) by
    // reopening the access log.
    void watch_signals() {
        signals_.async_wait([this](boost::system::error_code ec, int signal) {
            if (ec) {
                return;
            }
            if (signal == SIGUSR1) {
                worker_.state().reopen_access_log();
                watch_signals();
                return;
            }
            if (signal == SIGINT && interrupted_) {
                worker_.stop_now();
                return;
            }
            interrupted_ = interrupted_ || signal == SIGINT;
            worker_.begin_drain();
            watch_signals();
        });
    }

    unsigned slot_;
    Worker worker_;
    std::shared_ptr<ControlChannel> channel_;
    boost::asio::signal_set signals_;
    // Each listener's TLS as served now, private keys left out, to tell
    // which a new config changes.
    std::map<std::string, std::optional<server::ListenerTlsMaterial>> served_tls_;
    bool interrupted_ = false;
};

// A worker must not outlive its master: the channel's EOF tells it, and
// PR_SET_PDEATHSIG covers a master killed before the worker reads. The
// master made the channel, so it is the channel's peer; one that died
// before the prctl is no longer this process's parent.
bool master_still_parent() {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    ucred peer{};
    socklen_t size = sizeof peer;
    return ::getsockopt(control_channel_fd, SOL_SOCKET, SO_PEERCRED, &peer, &size) == 0 &&
           peer.pid == ::getppid();
}

}  // namespace

int run_worker_process(unsigned slot) {
    if (!master_still_parent()) {
        return 1;
    }
    std::signal(SIGPIPE, SIG_IGN);
    WorkerProcess process{slot};
    return process.run();
}

}  // namespace turnout::worker

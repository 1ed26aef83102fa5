// How a change becomes live: serialized, validated, persisted, pushed to
// every worker, acknowledged. Each change holds its turn in changes_ as a
// Job: a refusal answers and returns, which ends it; an accepted change
// hands the Job to pending_ until the workers acknowledged it.

#include "master/master.hpp"

#include "config/edits.hpp"
#include "config/loader.hpp"
#include "config/start_settings.hpp"
#include "master/change_summary.hpp"
#include "master/health/health_checker.hpp"
#include "master/store/stored_config.hpp"
#include "master/tls_files.hpp"
#include "server/logfmt.hpp"
#include "worker/config_changes.hpp"

#include <boost/json/serialize.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace turnout::master {

namespace json = boost::json;
using clock = std::chrono::steady_clock;

namespace {

// A worker that has not acknowledged a change by then is reported; the
// change itself is already on disk and live everywhere else.
constexpr std::chrono::seconds ack_timeout{10};

unsigned status_of(const config::EditError& error) {
    switch (error.kind) {
    case config::EditError::Kind::conflict:
        return 409;
    case config::EditError::Kind::not_found:
        return 404;
    case config::EditError::Kind::invalid:
        return 400;
    }
    return 400;
}

// A whole config as the changes from `from` (what the workers serve) when
// only routes and upstreams changed; see worker::changes_between.
std::optional<std::string> whole_config_changes(const config::Config* from,
                                                const config::Config& to) {
    if (!from) {
        return std::nullopt;
    }
    const auto changes = worker::changes_between(*from, to);
    return changes ? std::optional{json::serialize(worker::to_json(*changes))} : std::nullopt;
}

}  // namespace

std::optional<std::string> Master::read_config_file(std::string& error) const {
    std::ifstream file{options_.config_path};
    if (!file) {
        error = "cannot read " + options_.config_path + ": " + std::strerror(errno);
        return std::nullopt;
    }
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

void Master::apply_config(std::string content, std::string source,
                          std::optional<std::uint64_t> if_match, AdminCallback done) {
    if (auto owner = config_owner()) {
        done({409, error_json(*owner)});
        return;
    }
    changes_.enqueue(
        [this, content = std::move(content), source = std::move(source), if_match, done](Job job) {
            if (if_match && *if_match != version_) {
                done({412, error_json(fmt::format("the live config is version {}, not {}: fetch it "
                                                  "again (GET /v1/config) and retry",
                                                  version_, *if_match))});
                return;
            }
            std::string text = content;
            std::string name = "PUT /v1/config";
            if (source == "file") {
                std::string error;
                auto file = read_config_file(error);
                if (!file) {
                    done({400, error_json(error)});
                    return;
                }
                text = std::move(*file);
                name = options_.config_path;
            }
            // A reload compares the file with the file as it was at start: its
            // `workers` may be overridden by --workers.
            const auto& in_force = source == "file" ? *file_config_ : *start_;
            auto result = config::load_config_text(text, name, base_dir_, in_force);
            if (auto* errors = std::get_if<config::ConfigErrors>(&result)) {
                done({400, error_json("invalid config: nothing changed", *errors)});
                return;
            }
            auto config = config::with_start_settings(
                std::get<std::shared_ptr<const config::Config>>(std::move(result)), *start_);
            const auto summary = summarize_change(*live_, *config);
            commit_and_push(std::move(config), source, summary, std::nullopt, done, std::move(job));
        });
}

AdminResult Master::validate_config(const std::string& content) {
    const std::string name = "POST /v1/config/validate";
    auto result = config::load_config_text(content, name, base_dir_, *start_);
    if (auto* errors = std::get_if<config::ConfigErrors>(&result)) {
        return {400, error_json("invalid config", *errors)};
    }
    const auto errors =
        check_tls_files(*std::get<std::shared_ptr<const config::Config>>(result), name);
    if (!errors.empty()) {
        return {400, error_json(errors.front().message, errors)};
    }
    return {200, json::object{{"valid", true}}};
}

void Master::rollback(std::uint64_t version, AdminCallback done) {
    changes_.enqueue([this, version, done](Job job) {
        auto stored = store_.load(version);
        if (!stored) {
            done({404, error_json(fmt::format("no version {} in {} (see GET /v1/config/history)",
                                              version, store_.state_dir()))});
            return;
        }
        auto config = decode_config(*stored);
        if (!config) {
            done({500, error_json(fmt::format("version {} in {} does not decode", version,
                                              store_.state_dir()))});
            return;
        }
        // An old version's settings read only at start are not what runs:
        // the running ones stay (docs/operations.md).
        commit_and_push(config::with_start_settings(std::move(config), *start_), "rollback",
                        fmt::format("rollback to version {}", version), std::nullopt, done,
                        std::move(job));
    });
}

// The shared path of every partial change: make the new config from the
// live one, then persist and push only the change.
void Master::edit(std::function<config::EditResult()> make,
                  std::function<worker::ConfigDelta(const config::Config&)> delta_of,
                  std::string summary, AdminCallback done) {
    changes_.enqueue([this, make = std::move(make), delta_of = std::move(delta_of),
                      summary = std::move(summary), done](Job job) {
        auto result = make();
        if (auto* error = std::get_if<config::EditError>(&result)) {
            const char* what = error->kind == config::EditError::Kind::invalid
                                   ? "invalid change: nothing changed"
                                   : "refused: nothing changed";
            done({status_of(*error),
                  error_json(error->errors.empty() ? what : error->errors.front().message,
                             error->errors)});
            return;
        }
        auto config = std::get<std::shared_ptr<const config::Config>>(std::move(result));
        auto delta = delta_of(*config);
        commit_and_push(std::move(config), "api", summary, std::move(delta), done, std::move(job));
    });
}

// A route a rollout is moving belongs to the rollout: a manual change would
// be overwritten at its next step, so it is refused until the rollout ends.
std::optional<config::EditError> Master::rollout_conflict(const std::string& route) const {
    auto running = rollouts_.find(route);
    if (running == rollouts_.end() || running->second.rollout.terminal()) {
        return std::nullopt;
    }
    const auto message = "route " + route + " has a rollout in progress (" +
                         std::string{to_string(running->second.rollout.state())} +
                         "); promote or abort it first: turnout rollout abort " + route;
    return config::EditError{config::EditError::Kind::conflict, {{"", 0, 0, message}}};
}

void Master::put_route(const std::string& name, const std::string& body, AdminCallback done) {
    edit(
        [this, name, body]() -> config::EditResult {
            if (auto conflict = rollout_conflict(name)) {
                return *conflict;
            }
            return config::put_route(*live_, name, body, "PUT /v1/routes/" + name);
        },
        [name](const config::Config& config) {
            return worker::ConfigDelta{worker::ConfigDelta::Op::put_route, name,
                                       *config.find_route(name), std::nullopt};
        },
        "PUT route " + name, std::move(done));
}

void Master::delete_route(const std::string& name, AdminCallback done) {
    edit(
        [this, name]() -> config::EditResult {
            if (auto conflict = rollout_conflict(name)) {
                return *conflict;
            }
            return config::delete_route(*live_, name);
        },
        [name](const config::Config&) {
            return worker::ConfigDelta{worker::ConfigDelta::Op::delete_route, name, std::nullopt,
                                       std::nullopt};
        },
        "DELETE route " + name, std::move(done));
}

void Master::put_upstream(const std::string& name, const std::string& body, AdminCallback done) {
    edit([this, name,
          body] { return config::put_upstream(*live_, name, body, "PUT /v1/upstreams/" + name); },
         [name](const config::Config& config) {
             return worker::ConfigDelta{worker::ConfigDelta::Op::put_upstream, name, std::nullopt,
                                        *config.find_upstream(name)};
         },
         "PUT upstream " + name, std::move(done));
}

void Master::delete_upstream(const std::string& name, AdminCallback done) {
    edit([this, name] { return config::delete_upstream(*live_, name); },
         [name](const config::Config&) {
             return worker::ConfigDelta{worker::ConfigDelta::Op::delete_upstream, name,
                                        std::nullopt, std::nullopt};
         },
         "DELETE upstream " + name, std::move(done));
}

void Master::put_split(const std::string& route,
                       std::vector<std::pair<std::string, std::int64_t>> weights,
                       AdminCallback done) {
    std::string summary = "split " + route;
    for (const auto& [upstream, weight] : weights) {
        summary += fmt::format(" {}={}", upstream, weight);
    }
    edit(
        [this, route, weights = std::move(weights)]() -> config::EditResult {
            if (auto conflict = rollout_conflict(route)) {
                return *conflict;
            }
            return config::put_split(*live_, route, weights);
        },
        [route](const config::Config& config) {
            return worker::ConfigDelta{worker::ConfigDelta::Op::put_route, route,
                                       *config.find_route(route), std::nullopt};
        },
        std::move(summary), std::move(done));
}

// SPEC §4: acknowledged only once on disk (written, fsynced, renamed) and
// served by every live worker. New listeners are bound before anything is
// persisted, so a config that cannot be served is never saved. A partial
// change is stored and sent as that change alone: its cost does not grow
// with the config.
void Master::commit_and_push(std::shared_ptr<const config::Config> config,
                             const std::string& source, const std::string& summary,
                             std::optional<worker::ConfigDelta> delta, AdminCallback done,
                             Job job) {
    const auto started = clock::now();
    std::optional<server::TlsMaterial> tls_material;
    if (auto errors = check_tls(*config, delta, tls_material)) {
        done({400, error_json(errors->front().message + ": nothing changed", *errors)});
        return;
    }
    std::vector<std::string> new_listeners;
    try {
        new_listeners = listeners_->stage(*config);
    } catch (const std::system_error& error) {
        done({400, error_json(std::string{error.what()} + ": nothing changed")});
        return;
    }
    const auto base = version_;
    const auto change = delta ? std::optional{encode_change(*delta)} : std::nullopt;
    std::string snapshot = change ? std::string{} : encode_config(*config);
    // What a worker serving `base` gets instead of the snapshot.
    const auto update = change ? change : whole_config_changes(live_.get(), *config);
    VersionInfo info;
    try {
        info = change ? store_.commit_change(base, *change, source, summary)
                      : store_.commit(snapshot, source, summary);
    } catch (const std::system_error& error) {
        listeners_->discard_staged();
        spdlog::error("msg=\"cannot persist config\" error={}", log_value(error.what()));
        done({500, error_json(std::string{"cannot persist the config: "} + error.what() +
                              ": nothing changed")});
        return;
    }
    live_ = std::move(config);
    if (tls_material) {
        tls_material_ = std::move(*tls_material);
    }
    version_ = info.version;
    live_source_ = source;
    pending_ = PendingAck{version_, {}, started, std::move(done), std::move(job)};
    for (auto& slot : slots_) {
        if (slot.channel) {
            push_to(slot, new_listeners, slot.sent_version == base ? update : std::nullopt, !change,
                    snapshot);
            pending_->waiting.insert(slot.slot);
        }
    }
    if (change && store_.wants_checkpoint(version_)) {
        checkpoints_.request(info, live_);
    }
    listeners_->commit_staged();
    listeners_->close_unused(*live_);
    health_->configure(*live_);
    // How it reached the workers that served the version before: one
    // change, a whole config's changes, or the whole config.
    const std::string_view sent_as = change ? "change" : update ? "changes" : "snapshot";
    spdlog::info("msg=\"config changed\" version={} source={} summary={} sent_as={}", version_,
                 log_value(source), log_value(summary), sent_as);
    ack_timer_.expires_after(ack_timeout);
    ack_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || !pending_) {
            return;
        }
        std::string slots;
        for (auto slot : pending_->waiting) {
            if (!slots.empty()) {
                slots += ',';
            }
            slots += std::to_string(slot);
        }
        auto pending = std::move(*pending_);
        pending_.reset();
        pending.done(
            {504, error_json(fmt::format("version {} is saved and live, but worker slots {} "
                                         "did not acknowledge it within {}s",
                                         pending.version, slots, ack_timeout.count()))});
        pending.job.finish();
    });
    settle_acks();
}

// A change only builds on the version it was made from: a worker that is
// behind (just started, say) gets the whole config instead, encoded for the
// first such worker and reused for the others. A whole config read the
// listeners' certificates again (`whole`): they go first, so the worker
// serves the new certificates from the moment it serves the new config.
void Master::push_to(WorkerSlot& slot, const std::vector<std::string>& new_listeners,
                     const std::optional<std::string>& update, bool whole, std::string& snapshot) {
    send_listeners(slot, new_listeners);
    if (whole) {
        send_tls(slot);
    }
    if (update) {
        slot.channel->send({worker::MessageKind::config_delta, version_, *update, {}});
    } else {
        if (snapshot.empty()) {
            snapshot = encode_config(*live_);
        }
        slot.channel->send({worker::MessageKind::config_snapshot, version_, snapshot, {}});
    }
    slot.sent_version = version_;
}

void Master::send_snapshot(WorkerSlot& slot, const std::string& snapshot) {
    send_tls(slot);
    slot.channel->send({worker::MessageKind::config_snapshot, version_, snapshot, {}});
}

void Master::send_tls(WorkerSlot& slot) {
    slot.channel->send(
        {worker::MessageKind::tls, version_, json::serialize(server::to_json(tls_material_)), {}});
}

// SPEC §5: a whole config (an apply, a reload, a rollback) reads every
// listener certificate again, so renewed files are picked up even when the
// config text did not change; a partial change leaves them as they are. CA
// files are checked for the upstreams the change defines. Errors name the
// files; nullopt when everything loads, with `material` set for a whole config.
std::optional<config::ConfigErrors> Master::check_tls(
    const config::Config& config, const std::optional<worker::ConfigDelta>& delta,
    std::optional<server::TlsMaterial>& material) const {
    const std::string& file =
        config.source_path.empty() ? options_.config_path : config.source_path;
    config::ConfigErrors errors;
    if (!delta) {
        auto read = read_listener_tls(config, tls_material_.ticket_keys, file);
        if (auto* listener_errors = std::get_if<config::ConfigErrors>(&read)) {
            errors = std::move(*listener_errors);
        } else {
            material = std::get<server::TlsMaterial>(std::move(read));
        }
    }
    for (const auto& upstream : config.upstreams) {
        if (!delta || (delta->upstream && delta->upstream->name == upstream.name)) {
            auto more = check_upstream_ca(upstream, file);
            errors.insert(errors.end(), more.begin(), more.end());
        }
    }
    return errors.empty() ? std::nullopt : std::optional{std::move(errors)};
}

void Master::send_listeners(WorkerSlot& slot, const std::vector<std::string>& names) {
    for (const auto& name : names) {
        const int fd = listeners_->fd(name, slot.slot);
        if (fd >= 0) {
            slot.channel->send({worker::MessageKind::listener_fd, 0, name, {fd}});
        }
    }
}

void Master::settle_acks() {
    if (!pending_) {
        return;
    }
    std::erase_if(pending_->waiting, [this](unsigned index) {
        const auto& slot = slots_[index];
        return slot.state == SlotState::dead || slot.version >= pending_->version;
    });
    if (!pending_->waiting.empty()) {
        return;
    }
    ack_timer_.cancel();
    const std::chrono::duration<double> elapsed = clock::now() - pending_->started;
    apply_seconds_.record(elapsed.count());
    auto pending = std::move(*pending_);
    pending_.reset();
    pending.done(
        {200, json::object{{"version", pending.version}, {"apply_ms", elapsed.count() * 1000.0}}});
    pending.job.finish();
}

}  // namespace turnout::master

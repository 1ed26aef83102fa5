#include "master/fleet/fleet_source.hpp"

#include "config/fleet_keys.hpp"

#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <utility>
#include <sstream>
#include <stdexcept>

namespace turnout::master::fleet {

namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

etcd::ClientOptions client_options(const config::EtcdSource& source) {
    etcd::ClientOptions options;
    options.endpoints = source.endpoints;
    options.username = source.username;
    options.ca = source.ca;
    options.cert = source.cert;
    options.key = source.key;
    if (source.password_file) {
        std::ifstream file{*source.password_file};
        if (!file) {
            throw std::invalid_argument("cannot read the etcd password_file " +
                                        *source.password_file);
        }
        std::string password;
        std::getline(file, password);
        options.password = password;
    }
    return options;
}

json::array errors_json(const config::ConfigErrors& errors) {
    json::array array;
    for (const auto& error : errors) {
        array.push_back(json::object{{"key", error.file},
                                     {"line", error.line},
                                     {"column", error.column},
                                     {"message", error.message}});
    }
    return array;
}

}  // namespace

FleetSource::FleetSource(boost::asio::io_context& io, const config::EtcdSource& source,
                         Bootstrap bootstrap, ApplyHook apply, std::int64_t served_revision)
    : io_{io}, source_{source}, bootstrap_{std::move(bootstrap)}, apply_{std::move(apply)},
      client_{io, client_options(source)}, backoff_{100ms, 5s, etcd::system_random()},
      retry_timer_{io}, served_revision_{served_revision} {}

FleetSource::~FleetSource() {
    if (watch_) {
        watch_->stop();
    }
}

void FleetSource::start() {
    read_all();
}

// Start-up and after a compaction: the whole prefix at one revision.
void FleetSource::read_all() {
    const auto epoch = ++epoch_;
    client_.read_prefix(source_.prefix,
                        [this, epoch](std::optional<etcd::Snapshot> snapshot, std::string error) {
                            if (epoch != epoch_) {
                                return;
                            }
                            if (!snapshot) {
                                on_trouble("cannot read the prefix", error);
                                return;
                            }
                            on_snapshot(std::move(*snapshot));
                        });
}

void FleetSource::on_snapshot(etcd::Snapshot snapshot) {
    connected_ = true;
    backoff_.reset();
    keys_.clear();
    mod_revisions_.clear();
    config_revision_ = 0;
    for (auto& kv : snapshot.kvs) {
        auto relative = kv.key.substr(source_.prefix.size());
        if (is_config_key(relative)) {
            config_revision_ = std::max(config_revision_, kv.mod_revision);
        }
        mod_revisions_[relative] = kv.mod_revision;
        keys_[std::move(relative)] = std::move(kv.value);
    }
    revision_ = snapshot.revision;
    if (config_revision_ == 0) {
        config_revision_ = revision_;  // nothing but the bootstrap file to serve
    }
    last_config_.reset();
    changes_.clear();
    spdlog::info("msg=\"read etcd prefix\" prefix={} revision={} keys={} endpoint={}",
                 source_.prefix, revision_, keys_.size(), client_.current().url);
    serve(config_revision_);
    watch(revision_ + 1);
}

void FleetSource::watch(std::int64_t from) {
    const auto epoch = ++epoch_;
    if (watch_) {
        watch_->stop();
    }
    watch_ = etcd::WatchStream::start(
        io_, client_.tls(), client_.current(), client_.token(), source_.prefix, from,
        [this, epoch](etcd::WatchResponse response) {
            if (epoch == epoch_) {
                on_watch(std::move(response));
            }
        },
        [this, epoch](std::string error) {
            if (epoch == epoch_) {
                on_trouble("the watch ended", error);
            }
        });
}

void FleetSource::on_watch(etcd::WatchResponse response) {
    connected_ = true;
    last_error_.clear();
    backoff_.reset();
    if (response.canceled) {
        if (response.compact_revision > 0) {
            spdlog::warn(
                "msg=\"etcd compacted past the watch, reading the prefix again\" prefix={} "
                "compact_revision={}",
                source_.prefix, response.compact_revision);
            read_all();
        } else {
            on_trouble("etcd cancelled the watch", response.cancel_reason);
        }
        return;
    }
    if (!response.created && response.events.empty()) {
        // A progress notification: nothing under the prefix changed up to
        // its revision, so a resumed watch may start past it.
        revision_ = std::max(revision_, response.revision);
        return;
    }
    bool config_changed = false;
    for (auto& event : response.events) {
        auto relative = event.kv.key.substr(source_.prefix.size());
        const bool config_key = is_config_key(relative);
        if (config_key) {
            config_changed = true;
            config_revision_ = std::max(config_revision_, event.kv.mod_revision);
        }
        if (event.type == etcd::WatchEvent::Type::put) {
            if (config_key) {
                changes_[relative] = event.kv.value;
            }
            mod_revisions_[relative] = event.kv.mod_revision;
            keys_[std::move(relative)] = std::move(event.kv.value);
        } else {
            if (config_key) {
                changes_[relative] = std::nullopt;
            }
            mod_revisions_.erase(relative);
            keys_.erase(relative);
        }
        revision_ = std::max(revision_, event.kv.mod_revision);
    }
    if (config_changed) {
        serve(config_revision_);
    }
}

// etcd away or failing: keep serving, try again later on the next member.
// A watch that broke resumes where it was; a read that failed starts over.
void FleetSource::on_trouble(const std::string& what, const std::string& error) {
    const bool was_connected = connected_;
    connected_ = false;
    last_error_ = what + ": " + error;
    ++epoch_;
    if (watch_) {
        watch_->stop();
        watch_.reset();
    }
    client_.fail_over();
    const auto wait = backoff_.next();
    spdlog::log(was_connected ? spdlog::level::warn : spdlog::level::info,
                "msg=\"etcd unavailable, serving what this node has\" error=\"{}\" retry_ms={} "
                "next_endpoint={}",
                last_error_, wait.count(), client_.current().url);
    const bool have_snapshot = revision_ > 0;
    retry_timer_.expires_after(wait);
    retry_timer_.async_wait([this, have_snapshot](boost::system::error_code ec) {
        if (ec) {
            return;
        }
        if (have_snapshot) {
            watch(revision_ + 1);
        } else {
            read_all();
        }
    });
}

// Validates what keys_ holds and hands it to the master. Versions queue
// one at a time: changes that arrive meanwhile are served together next,
// each a whole etcd transaction or more, never part of one.
void FleetSource::serve(std::int64_t revision) {
    if (applying_) {
        apply_again_ = true;
        return;
    }
    auto edited = last_config_ && !refused_
                      ? apply_key_changes(last_config_, changes_, source_.prefix)
                      : Edited{};
    auto config = std::move(edited.config);
    changes_.clear();
    if (!config) {
        auto result = assemble_config(bootstrap_, keys_);
        if (auto* errors = std::get_if<config::ConfigErrors>(&result)) {
            refuse(revision, std::move(*errors));
            return;
        }
        config = std::get<std::shared_ptr<const config::Config>>(std::move(result));
    }
    applying_ = true;
    auto base = std::exchange(last_config_, config);
    apply_(std::move(config), std::move(base), std::move(edited.delta), revision,
           [this, revision](AdminResult outcome) { served(revision, outcome); });
}

void FleetSource::served(std::int64_t revision, const AdminResult& outcome) {
    applying_ = false;
    if (outcome.status == 200 || outcome.status == 504) {
        served_revision_ = revision;
        refused_ = false;
        refusal_.clear();
    } else {
        last_config_.reset();
        const auto* message =
            outcome.body.is_object() ? outcome.body.get_object().if_contains("error") : nullptr;
        refuse(revision, {{source_.prefix, 0, 0,
                           message && message->is_string() ? std::string{message->get_string()}
                                                           : json::serialize(outcome.body)}});
    }
    if (apply_again_) {
        apply_again_ = false;
        serve(config_revision_);
    }
}

void FleetSource::refuse(std::int64_t revision, config::ConfigErrors errors) {
    for (const auto& error : errors) {
        spdlog::error("msg=\"etcd config refused, serving the last good version\" revision={} "
                      "served_revision={} "
                      "error=\"{}\"",
                      revision, served_revision_, error.to_string());
    }
    refused_ = true;
    refusal_ = std::move(errors);
}

std::int64_t FleetSource::mod_revision(const std::string& relative) const {
    auto found = mod_revisions_.find(relative);
    return found == mod_revisions_.end() ? 0 : found->second;
}

json::object FleetSource::report() const {
    return {{"revision", served_revision_},
            {"state", refused_ ? "refused" : "serving"},
            {"errors", errors_json(refusal_)}};
}

json::object FleetSource::status() const {
    json::array endpoints;
    for (const auto& endpoint : source_.endpoints) {
        endpoints.push_back(json::string{endpoint});
    }
    auto object = report();
    object["kind"] = "etcd";
    object["endpoints"] = std::move(endpoints);
    object["endpoint"] = client_.current().url;
    object["prefix"] = source_.prefix;
    object["node"] = source_.node;
    object["latest_revision"] = revision_;
    object["connected"] = connected_;
    object["last_error"] = last_error_;
    return object;
}

}  // namespace turnout::master::fleet

// Fleet mode (docs/SPEC.md, "Fleet configuration from etcd"): with a
// `source: etcd` bootstrap, versions come from etcd through the same change
// path as admin writes, and the admin API's writes are refused.

#include "master/master.hpp"
#include "master/version.hpp"

#include "config/syntax.hpp"
#include "master/change_summary.hpp"
#include "master/fleet/config_change.hpp"
#include "config/fleet_keys.hpp"
#include "master/fleet/fleet_rollouts.hpp"
#include "master/fleet/fleet_source.hpp"
#include "master/fleet/node_report.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <fstream>
#include <sstream>

namespace turnout::master {

namespace json = boost::json;

namespace {

constexpr std::string_view revision_summary = "etcd revision ";

// The etcd revision a stored version was made from, from its summary
// ("etcd revision 42: …"); 0 when it came from elsewhere.
std::int64_t revision_of(const std::string& summary) {
    if (!summary.starts_with(revision_summary)) {
        return 0;
    }
    std::int64_t revision = 0;
    const auto* begin = summary.data() + revision_summary.size();
    std::from_chars(begin, summary.data() + summary.size(), revision);
    return revision;
}

}  // namespace

std::optional<std::string> Master::config_owner() const {
    if (upgrade_) {
        return upgrade_message();
    }
    if (!file_config_->source) {
        return std::nullopt;
    }
    const auto& source = *file_config_->source;
    return fmt::format(
        "this node takes its config from etcd (prefix {} at {}): change it there, e.g. "
        "turnout fleet apply -f FILE -c {}",
        source.prefix, config::detail::join(source.endpoints), options_.config_path);
}

void Master::start_fleet() {
    if (!file_config_->source) {
        return;
    }
    std::ifstream file{options_.config_path};
    std::ostringstream text;
    text << file.rdbuf();
    const auto& source = *file_config_->source;
    const auto newest = store_.history(1);
    const auto resumed = newest.empty() ? 0 : revision_of(newest.front().summary);
    fleet::Bootstrap bootstrap{text.str(), options_.config_path, base_dir_, source.prefix};
    try {
        fleet_ = std::make_unique<fleet::FleetSource>(
            io_, source, std::move(bootstrap),
            [this](std::shared_ptr<const config::Config> config,
                   std::shared_ptr<const config::Config> base,
                   std::optional<worker::ConfigDelta> delta, std::int64_t revision,
                   AdminCallback done) {
                apply_fleet_version(std::move(config), std::move(base), std::move(delta), revision,
                                    std::move(done));
            },
            resumed);
    } catch (const std::invalid_argument& error) {
        spdlog::error("msg=\"cannot use the etcd source, serving what this node has\" error=\"{}\"",
                      error.what());
        return;
    }
    node_reporter_ = std::make_unique<fleet::NodeReporter>(
        io_, fleet_->client(), fleet::node_key(source.prefix, source.node),
        [this] { return node_report(); });
    fleet::FleetRollouts::Hooks hooks{
        [this] { return live_; },
        [this](const std::string& route, const std::string& upstream) {
            return metrics_.request_totals(route, upstream);
        },
        [this](std::function<void()> then) { with_fresh_stats(std::move(then)); },
        [this] { return version_; },
        [this] { return node_reporter_->lease(); },
    };
    fleet_rollouts_ =
        std::make_unique<fleet::FleetRollouts>(io_, *fleet_, source.node, std::move(hooks));
    fleet_->start();
    node_reporter_->start();
    fleet_rollouts_->start();
}

// One version per call: the same as the live config answers at once; one
// route or upstream changed travels as that change; anything else whole.
// A delta made from the live config itself (`base`) is taken as it is,
// sparing two whole-config comparisons.
void Master::apply_fleet_version(std::shared_ptr<const config::Config> config,
                                 std::shared_ptr<const config::Config> base,
                                 std::optional<worker::ConfigDelta> delta, std::int64_t revision,
                                 AdminCallback done) {
    changes_.enqueue([this, config = std::move(config), base = std::move(base),
                      delta = std::move(delta), revision, done = std::move(done)](Job job) mutable {
        if (delta && base == live_) {
            const auto summary = fmt::format(
                "{}{}: {} {} {}", revision_summary, revision,
                delta->route || delta->upstream ? "put" : "delete",
                delta->route || delta->op == worker::ConfigDelta::Op::delete_route ? "route"
                                                                                   : "upstream",
                delta->name);
            commit_and_push(std::move(config), "etcd", summary, std::move(delta), std::move(done),
                            std::move(job));
            return;
        }
        if (*config == *live_) {
            done({200, json::object{{"version", version_}}});
            return;
        }
        delta = fleet::single_change(*live_, *config);
        const auto summary =
            fmt::format("{}{}: {}", revision_summary, revision, summarize_change(*live_, *config));
        commit_and_push(std::move(config), "etcd", summary, std::move(delta), std::move(done),
                        std::move(job));
    });
}

json::object Master::node_report() const {
    json::array workers;
    for (const auto& slot : slots_) {
        workers.push_back(json::object{{"slot", slot.slot}, {"version", slot.version}});
    }
    auto report = fleet_->report();
    report["node"] = file_config_->source->node;
    report["turnout_version"] = turnout_version();
    report["config_version"] = version_;
    report["workers"] = std::move(workers);
    return report;
}

}  // namespace turnout::master

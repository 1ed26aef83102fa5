#include "master/cli/fleet_commands.hpp"

#include "master/cli/fleet_client.hpp"
#include "master/cli/fleet_rollout_commands.hpp"

#include "config/loader.hpp"
#include "master/etcd/client.hpp"
#include "config/fleet_file.hpp"
#include "config/fleet_keys.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace turnout::master {

namespace json = boost::json;

namespace {

fleet::Keys relative_keys(const etcd::Snapshot& snapshot, const std::string& prefix) {
    fleet::Keys keys;
    for (const auto& kv : snapshot.kvs) {
        keys[kv.key.substr(prefix.size())] = kv.value;
    }
    return keys;
}

// ---- apply ------------------------------------------------------------------

void define_apply(CLI::App& command, CliOptions& options) {
    command.add_option("-f,--file", options.file, "config file (YAML) to store in etcd")
        ->required();
    command.add_option_function<std::int64_t>(
        "--if-revision",
        [&options](const std::int64_t& revision) { options.if_revision = revision; },
        "apply only if no key under the prefix changed after etcd revision N");
    add_fleet_target_options(command, options);
}

// The transaction that makes the prefix hold `wanted`: changed keys put,
// keys no longer there deleted, node reports left alone.
etcd::Txn apply_txn(const fleet::Keys& wanted, const fleet::Keys& current,
                    const std::string& prefix, std::optional<std::int64_t> if_revision) {
    etcd::Txn txn;
    if (if_revision) {
        txn.compare.push_back({prefix,
                               etcd::prefix_end(prefix),
                               etcd::Compare::Target::mod_revision,
                               etcd::Compare::Result::less,
                               *if_revision + 1,
                               {}});
    }
    for (const auto& [key, value] : wanted) {
        auto found = current.find(key);
        if (found == current.end() || found->second != value) {
            txn.success.push_back({etcd::TxnOp::Kind::put, prefix + key, value, 0});
        }
    }
    for (const auto& [key, value] : current) {
        if (fleet::is_config_key(key) && !wanted.contains(key)) {
            txn.success.push_back({etcd::TxnOp::Kind::delete_key, prefix + key, {}, 0});
        }
    }
    return txn;
}

ExitStatus run_apply(const CliOptions& options) {
    std::ifstream in{options.file, std::ios::binary};
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
        return fail(exit_usage, "cannot read " + options.file + ": check the path given to -f");
    }
    const auto base_dir = std::filesystem::absolute(options.file).parent_path().string();
    auto split = fleet::keys_from_config(text.str(), options.file, base_dir);
    if (auto* errors = std::get_if<config::ConfigErrors>(&split)) {
        for (const auto& error : *errors) {
            std::cerr << error.to_string() << '\n';
        }
        return fail(exit_refused, "invalid config: nothing stored");
    }
    auto wanted = std::get<fleet::Keys>(std::move(split));
    return with_fleet_client(options, [&](etcd::Client& client, const std::string& prefix,
                                          FleetFinish finish) {
        client.read_prefix(prefix, [&, prefix, finish](std::optional<etcd::Snapshot> snapshot,
                                                       std::string error) {
            if (!snapshot) {
                finish(fail(exit_unreachable, error));
                return;
            }
            auto txn =
                apply_txn(wanted, relative_keys(*snapshot, prefix), prefix, options.if_revision);
            client.txn(txn, [&, finish](std::optional<etcd::TxnResult> result, std::string error) {
                if (!result) {
                    finish(fail(exit_unreachable, error));
                } else if (!result->succeeded) {
                    finish(
                        fail(exit_refused, "keys under the prefix changed after revision " +
                                               std::to_string(*options.if_revision) +
                                               ": nothing stored; get the config again and retry"));
                } else {
                    std::cout << result->revision << '\n';
                    finish(exit_ok);
                }
            });
        });
    });
}

// ---- get --------------------------------------------------------------------

void define_get(CLI::App& command, CliOptions& options) {
    add_fleet_target_options(command, options);
}

ExitStatus run_get(const CliOptions& options) {
    return with_fleet_client(
        options, [](etcd::Client& client, const std::string& prefix, FleetFinish finish) {
            client.read_prefix(prefix, [prefix, finish](std::optional<etcd::Snapshot> snapshot,
                                                        std::string error) {
                if (!snapshot) {
                    finish(fail(exit_unreachable, error));
                    return;
                }
                std::vector<std::string> skipped;
                std::cout << "# etcd revision " << snapshot->revision << "\n"
                          << fleet::config_from_keys(relative_keys(*snapshot, prefix), skipped);
                for (const auto& key : skipped) {
                    std::cerr << "turnout: " << prefix << key
                              << " left out: its value is not YAML, or the key no config key\n";
                }
                finish(exit_ok);
            });
        });
}

// ---- split ------------------------------------------------------------------

void define_split(CLI::App& command, CliOptions& options) {
    command.add_option("route", options.route, "route name")->required();
    command.add_option("weights", options.weights, "UPSTREAM=WEIGHT, in bucket order")->required();
    add_fleet_target_options(command, options);
}

ExitStatus run_split(const CliOptions& options) {
    auto parsed = parse_weights(options.weights);
    if (auto* error = std::get_if<std::string>(&parsed)) {
        return fail(exit_usage, *error);
    }
    const auto weights = std::get<0>(parsed);
    return with_fleet_client(options, [&](etcd::Client& client, const std::string& prefix,
                                          FleetFinish finish) {
        const auto key = prefix + "routes/" + options.route;
        client.read_prefix(key, [&, key, finish](std::optional<etcd::Snapshot> snapshot,
                                                 std::string error) {
            if (!snapshot) {
                finish(fail(exit_unreachable, error));
                return;
            }
            const etcd::KeyValue* found = nullptr;
            for (const auto& kv : snapshot->kvs) {
                found = kv.key == key ? &kv : found;
            }
            if (!found) {
                finish(fail(exit_refused,
                            "no route " + options.route + " in etcd (no key " + key + ")"));
                return;
            }
            auto value = fleet::route_with_split(found->value, weights);
            if (!value) {
                finish(
                    fail(exit_refused, key + " does not hold a route (a YAML map); fix it first"));
                return;
            }
            // Only over the value just read: a write in between refuses.
            etcd::Txn txn;
            txn.compare.push_back({key,
                                   {},
                                   etcd::Compare::Target::mod_revision,
                                   etcd::Compare::Result::equal,
                                   found->mod_revision,
                                   {}});
            txn.success.push_back({etcd::TxnOp::Kind::put, key, *value, 0});
            client.txn(txn, [finish, key](std::optional<etcd::TxnResult> result,
                                          std::string error) {
                if (!result) {
                    finish(fail(exit_unreachable, error));
                } else if (!result->succeeded) {
                    finish(fail(exit_refused, key + " changed meanwhile: nothing stored; retry"));
                } else {
                    std::cout << result->revision << '\n';
                    finish(exit_ok);
                }
            });
        });
    });
}

// ---- status -----------------------------------------------------------------

void define_status(CLI::App& command, CliOptions& options) {
    command.add_flag("--json", options.json, "print the node reports as JSON");
    add_fleet_target_options(command, options);
}

// The reports, each with "behind": how many revisions of config changes
// the node has not served yet (0 when it serves the latest).
json::array node_rows(const etcd::Snapshot& snapshot, const std::string& prefix) {
    std::int64_t latest = 0;
    for (const auto& kv : snapshot.kvs) {
        if (fleet::is_config_key(kv.key.substr(prefix.size()))) {
            latest = std::max(latest, kv.mod_revision);
        }
    }
    json::array rows;
    for (const auto& kv : snapshot.kvs) {
        if (fleet::is_config_key(kv.key.substr(prefix.size()))) {
            continue;
        }
        boost::system::error_code ec;
        auto report = json::parse(kv.value, ec);
        if (ec || !report.is_object()) {
            continue;
        }
        auto& row = report.as_object();
        const auto* served = row.if_contains("revision");
        const auto revision = served && served->is_int64() ? served->as_int64() : 0;
        row["behind"] = std::max<std::int64_t>(0, latest - revision);
        rows.push_back(std::move(report));
    }
    return rows;
}

std::string field(const json::object& row, std::string_view name) {
    const auto* value = row.if_contains(name);
    if (!value) {
        return "-";
    }
    return value->is_string() ? std::string{value->get_string()} : json::serialize(*value);
}

ExitStatus run_status(const CliOptions& options) {
    return with_fleet_client(
        options, [&](etcd::Client& client, const std::string& prefix, FleetFinish finish) {
            client.read_prefix(prefix, [&, prefix, finish](std::optional<etcd::Snapshot> snapshot,
                                                           std::string error) {
                if (!snapshot) {
                    finish(fail(exit_unreachable, error));
                    return;
                }
                auto rows = node_rows(*snapshot, prefix);
                if (options.json) {
                    std::cout << json::serialize(json::object{{"revision", snapshot->revision},
                                                              {"nodes", rows}})
                              << '\n';
                    finish(exit_ok);
                    return;
                }
                std::cout << "etcd revision " << snapshot->revision << ", " << rows.size()
                          << " node(s)\n";
                for (const auto& row : rows) {
                    const auto& object = row.get_object();
                    std::cout << field(object, "node") << "  revision " << field(object, "revision")
                              << "  " << field(object, "state") << "  behind "
                              << field(object, "behind") << "  config version "
                              << field(object, "config_version") << '\n';
                }
                finish(exit_ok);
            });
        });
}

}  // namespace

std::vector<CliCommand> with_fleet_commands(std::vector<CliCommand> commands) {
    commands.push_back({"fleet", "apply",
                        "store a whole config in etcd in one transaction; prints the revision",
                        define_apply, run_apply});
    commands.push_back(
        {"fleet", "get", "print the config assembled from etcd (YAML)", define_get, run_get});
    commands.push_back({"fleet", "split",
                        "change one route's split in etcd: ROUTE UPSTREAM=WEIGHT...", define_split,
                        run_split});
    commands.push_back({"fleet", "status", "every node: revision served, state, how far behind",
                        define_status, run_status});
    return with_fleet_rollout_commands(std::move(commands));
}

}  // namespace turnout::master

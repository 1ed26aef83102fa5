#include "master/cli/fleet_client.hpp"

#include "config/loader.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>

#include <fstream>
#include <iostream>
#include <optional>
#include <variant>

namespace turnout::master {

namespace {

// Where the fleet lives: --etcd and --prefix, else -c FILE's source.
struct FleetTarget {
    etcd::ClientOptions client;
    std::string prefix;
};

std::variant<FleetTarget, ExitStatus> resolve_target(const CliOptions& options) {
    FleetTarget target;
    target.client.endpoints = options.etcd;
    target.prefix = options.prefix;
    if (!options.config_path.empty()) {
        auto result = config::load_config_file(options.config_path);
        if (auto* errors = std::get_if<config::ConfigErrors>(&result)) {
            for (const auto& error : *errors) {
                std::cerr << error.to_string() << '\n';
            }
            return fail(exit_usage, options.config_path +
                                        " does not load; fix it or pass --etcd URL --prefix P");
        }
        const auto& source = std::get<0>(result)->source;
        if (!source) {
            return fail(exit_usage,
                        options.config_path + " has no source section; pass --etcd URL --prefix P");
        }
        if (target.client.endpoints.empty()) {
            target.client.endpoints = source->endpoints;
        }
        if (target.prefix.empty()) {
            target.prefix = source->prefix;
        }
        target.client.username = source->username;
        target.client.ca = source->ca;
        target.client.cert = source->cert;
        target.client.key = source->key;
        if (source->password_file) {
            std::ifstream file{*source->password_file};
            std::string password;
            std::getline(file, password);
            target.client.password = password;
        }
    }
    if (target.client.endpoints.empty() || target.prefix.empty()) {
        return fail(
            exit_usage,
            "which etcd? pass --etcd URL --prefix P, or -c a bootstrap file with a source section");
    }
    if (!target.prefix.ends_with('/')) {
        return fail(exit_usage, "--prefix must end with '/', e.g. /turnout/prod/");
    }
    return target;
}

}  // namespace

ExitStatus with_fleet_client(
    const CliOptions& options,
    const std::function<void(etcd::Client&, const std::string& prefix, FleetFinish)>& start) {
    auto target = resolve_target(options);
    if (auto* status = std::get_if<ExitStatus>(&target)) {
        return *status;
    }
    auto& fleet = std::get<FleetTarget>(target);
    boost::asio::io_context io;
    std::optional<etcd::Client> client;
    try {
        client.emplace(io, fleet.client);
    } catch (const std::invalid_argument& error) {
        return fail(exit_usage, error.what());
    }
    ExitStatus status = exit_unreachable;
    start(*client, fleet.prefix, [&status](ExitStatus result) { status = result; });
    io.run();
    return status;
}

void add_fleet_target_options(CLI::App& command, CliOptions& options) {
    command.add_option("--etcd", options.etcd,
                       "etcd endpoint URL (repeatable; default: the source of -c)");
    command.add_option("--prefix", options.prefix, "the fleet's key prefix, e.g. /turnout/prod/");
}

}  // namespace turnout::master

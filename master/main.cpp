// turnout's command line (SPEC §2): `run` and `validate` work on a file;
// every other command is a row of cli_commands() and talks to the admin
// socket.

#include "master/cli/cli_commands.hpp"
#include "master/cli/exit_status.hpp"
#include "master/commands.hpp"
#include "master/logging.hpp"
#include "master/version.hpp"
#include "worker/worker_process.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
    using namespace turnout::master;
    CLI::App app{"turnout: a reverse proxy whose routing changes go live without a restart"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "turnout " + std::string{turnout_version()},
                         "print turnout's version and exit");

    RunOptions run;
    auto* run_cmd = app.add_subcommand("run", "run the master and workers in the foreground");
    run_cmd->add_option("-c,--config", run.config_path, "config file")->required();
    run_cmd->add_option("--workers", run.workers, "number of workers (overrides the file)")
        ->check(CLI::PositiveNumber);
    run_cmd->add_flag("--fresh", run.fresh, "ignore the saved state; serve the file");

    std::string validate_path;
    auto* validate_cmd = app.add_subcommand("validate", "check a config file; exit 0 if valid");
    validate_cmd->add_option("-c,--config", validate_path, "config file")->required();

    // Started by the master only (fork + exec), never by hand.
    unsigned worker_slot = 0;
    auto* worker_cmd = app.add_subcommand("worker", "");
    worker_cmd->add_option("--slot", worker_slot)->required();
    worker_cmd->group("");

    CliOptions client;
    const auto client_cmds = add_cli_commands(app, client);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForAllHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForVersion& version) {
        return app.exit(version);
    } catch (const CLI::ParseError& error) {
        app.exit(error);
        return exit_usage;
    }
    if (*run_cmd) {
        run.command_line.assign(argv, argv + argc);
        return run_command(run) ? exit_ok : exit_refused;
    }
    if (*validate_cmd) {
        return validate_command(validate_path) ? exit_ok : exit_refused;
    }
    if (*worker_cmd) {
        init_logging();
        return turnout::worker::run_worker_process(worker_slot);
    }
    for (const auto& [sub, command] : client_cmds) {
        if (*sub) {
            return command->run(client);
        }
    }
    return exit_usage;
}

// turnout's command line (SPEC §2).

#include "master/commands.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
    using namespace turnout::master;
    CLI::App app{"turnout: a reverse proxy whose routing changes go live without a restart"};
    app.require_subcommand(1);

    RunOptions run;
    auto* run_cmd = app.add_subcommand("run", "run the master and workers in the foreground");
    run_cmd->add_option("-c,--config", run.config_path, "config file")->required();
    run_cmd->add_option("--workers", run.workers, "number of workers (overrides the file)")
        ->check(CLI::PositiveNumber);
    run_cmd->add_flag("--fresh", run.fresh, "ignore the saved state; serve the file");

    std::string validate_path;
    auto* validate_cmd = app.add_subcommand("validate", "check a config file; exit 0 if valid");
    validate_cmd->add_option("-c,--config", validate_path, "config file")->required();

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& help) {
        return app.exit(help);
    } catch (const CLI::ParseError& error) {
        app.exit(error);
        return 2;
    }
    if (*run_cmd) {
        return run_command(run);
    }
    if (*validate_cmd) {
        return validate_command(validate_path);
    }
    return 2;
}

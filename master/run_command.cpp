#include "config/loader.hpp"
#include "master/commands.hpp"
#include "master/logging.hpp"
#include "master/master.hpp"
#include "server/logfmt.hpp"

#include <spdlog/spdlog.h>

#include <csignal>

namespace turnout::master {

bool run_command(const RunOptions& options) {
    init_logging();
    std::signal(SIGPIPE, SIG_IGN);
    auto result = config::load_config_file(options.config_path);
    if (auto* errors = std::get_if<config::ConfigErrors>(&result)) {
        for (const auto& error : *errors) {
            spdlog::error("msg=\"invalid config\" error={}", log_value(error.to_string()));
        }
        return false;
    }
    try {
        Master master{options, std::get<std::shared_ptr<const config::Config>>(std::move(result))};
        return master.run() == 0;
    } catch (const std::exception& error) {
        spdlog::error("msg=\"cannot start\" error={}", log_value(error.what()));
        return false;
    }
}

}  // namespace turnout::master

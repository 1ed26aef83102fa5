#include "master/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace turnout::master {

void init_logging() {
    auto logger = spdlog::stderr_logger_st("turnout");
    logger->set_pattern("ts=%Y-%m-%dT%H:%M:%S.%e level=%l pid=%P %v");
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(std::move(logger));
}

}  // namespace turnout::master

#include "server/access_log.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/async.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <ctime>

namespace turnout::server {

namespace {

constexpr std::size_t queue_lines = 8192;

std::string utc_now() {
    const auto now = std::chrono::system_clock::now();
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm utc{};
    ::gmtime_r(&seconds, &utc);
    char text[32];
    const auto length = std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &utc);
    return std::string(text, length) + "." + std::to_string(1000 + ms % 1000).substr(1) + "Z";
}

spdlog::sink_ptr make_sink(const std::string& destination) {
    if (destination == "stdout") {
        return std::make_shared<spdlog::sinks::stdout_sink_mt>();
    }
    return std::make_shared<spdlog::sinks::basic_file_sink_mt>(destination);
}

}  // namespace

AccessLog::AccessLog(const std::string& destination)
    : destination_{destination}, pool_{std::make_shared<spdlog::details::thread_pool>(queue_lines,
                                                                                      1)},
      logger_{std::make_shared<spdlog::async_logger>(
          "access", make_sink(destination), pool_, spdlog::async_overflow_policy::overrun_oldest)} {
    logger_->set_pattern("%v");
    logger_->flush_on(spdlog::level::info);
}

AccessLog::~AccessLog() {
    logger_->flush();
}

void AccessLog::write(const AccessRecord& record) {
    boost::json::object line{
        {"time", utc_now()},           {"client", record.client},
        {"method", record.method},     {"path", record.path},
        {"status", record.status},     {"route", record.route},
        {"upstream", record.upstream}, {"target", record.target},
        {"bytes", record.bytes},       {"duration_ms", record.duration.count() * 1000.0},
        {"attempts", record.attempts}, {"protocol", record.protocol},
    };
    if (!record.error.empty()) {
        line["error"] = record.error;
    } else {
        line["error"] = nullptr;
    }
    logger_->info(boost::json::serialize(line));
}

}  // namespace turnout::server

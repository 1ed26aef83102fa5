#include "config/loader.hpp"
#include "master/commands.hpp"
#include "master/listener_sockets.hpp"
#include "master/logging.hpp"
#include "worker/worker.hpp"

#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <iostream>

namespace turnout::master {

namespace {

std::shared_ptr<const config::Config> load_or_report(const std::string& path) {
    auto result = config::load_config_file(path);
    if (auto* errors = std::get_if<config::ConfigErrors>(&result)) {
        for (const auto& error : *errors) {
            spdlog::error("msg=\"invalid config\" error=\"{}\"", error.to_string());
        }
        return nullptr;
    }
    return std::get<std::shared_ptr<const config::Config>>(std::move(result));
}

std::vector<worker::ListenerSocket> bind_listeners(const config::Config& config) {
    std::vector<worker::ListenerSocket> sockets;
    for (const auto& listener : config.listeners) {
        const int fd = bind_listener(listener.address);
        sockets.push_back({listener.name, fd});
        spdlog::info("msg=\"listening\" listener={} address={} port={}", listener.name,
                     listener.address.text, bound_port(fd));
    }
    return sockets;
}

// Signals only record intent here; the event loop acts on them (SIGTERM and
// SIGINT drain, a second SIGINT stops at once, SIGHUP re-reads the file).
void watch_signals(boost::asio::signal_set& signals, worker::Worker& worker,
                   const std::string& config_path, bool draining) {
    signals.async_wait([&signals, &worker, &config_path, draining](boost::system::error_code ec,
                                                                  int signal) {
        if (ec) {
            return;
        }
        bool now_draining = draining;
        if (signal == SIGHUP) {
            spdlog::info("msg=\"SIGHUP: re-reading config\" file={}", config_path);
            if (auto config = load_or_report(config_path)) {
                worker.apply(std::move(config));
                spdlog::info("msg=\"config applied\" source=file file={}", config_path);
            }
        } else if (signal == SIGINT && draining) {
            spdlog::info("msg=\"second SIGINT: stopping now\"");
            worker.stop_now();
            return;
        } else {
            spdlog::info("msg=\"graceful stop\" signal={}", signal == SIGINT ? "SIGINT" : "SIGTERM");
            worker.begin_drain();
            now_draining = true;
        }
        watch_signals(signals, worker, config_path, now_draining);
    });
}

}  // namespace

int run_command(const RunOptions& options) {
    init_logging();
    std::signal(SIGPIPE, SIG_IGN);
    auto config = load_or_report(options.config_path);
    if (!config) {
        return 1;
    }
    std::vector<worker::ListenerSocket> sockets;
    try {
        sockets = bind_listeners(*config);
    } catch (const std::system_error& error) {
        spdlog::error("msg=\"cannot start\" error=\"{}\"", error.what());
        return 1;
    }
    spdlog::info("msg=\"serving config\" source=file file={} routes={} upstreams={}",
                 options.config_path, config->routes.size(), config->upstreams.size());
    worker::Worker worker{std::move(config), sockets};
    boost::asio::signal_set signals{worker.io(), SIGINT, SIGTERM, SIGHUP};
    watch_signals(signals, worker, options.config_path, false);
    worker.run();
    spdlog::info("msg=\"stopped\"");
    return 0;
}

}  // namespace turnout::master

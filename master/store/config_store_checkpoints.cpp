#include "master/store/config_store_checkpoints.hpp"

#include "master/store/stored_config.hpp"
#include "server/logfmt.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace turnout::master {

CheckpointWriter::CheckpointWriter(boost::asio::io_context& io, ConfigStore& store)
    : io_{io}, store_{store} {}

CheckpointWriter::~CheckpointWriter() {
    if (thread_.joinable()) {
        thread_.join();
    }
}

void CheckpointWriter::request(VersionInfo info, std::shared_ptr<const config::Config> config) {
    if (busy_) {
        return;
    }
    if (thread_.joinable()) {
        thread_.join();  // the previous one, already finished
    }
    busy_ = true;
    thread_ = std::thread([this, info = std::move(info), config = std::move(config)] {
        std::string error;
        try {
            store_.write_checkpoint(info, encode_config(*config));
        } catch (const std::exception& failure) {
            error = failure.what();
        }
        boost::asio::post(io_, [this, version = info.version, error] { finished(version, error); });
    });
}

void CheckpointWriter::finished(std::uint64_t version, const std::string& error) {
    busy_ = false;
    if (!error.empty()) {
        spdlog::error("msg=\"cannot write a config checkpoint; loads replay a longer chain of "
                      "changes until one is written\" version={} error={}",
                      version, log_value(error));
        return;
    }
    store_.add_checkpoint(version);
    spdlog::info("msg=\"config checkpoint written\" version={}", version);
}

}  // namespace turnout::master

#pragma once

// Writes the store's checkpoints on a thread of its own, one at a time, so
// that a change never waits for a whole config to be encoded and written:
// the change itself is already durable, a checkpoint only shortens the
// chain a later load replays. The outcome comes back on the io_context's
// thread, which alone touches the store's index.

#include "config/config.hpp"
#include "master/store/config_store.hpp"

#include <boost/asio/io_context.hpp>

#include <memory>
#include <thread>

namespace turnout::master {

class CheckpointWriter {
public:
    CheckpointWriter(boost::asio::io_context& io, ConfigStore& store);
    CheckpointWriter(const CheckpointWriter&) = delete;
    CheckpointWriter& operator=(const CheckpointWriter&) = delete;
    // Waits for a checkpoint being written.
    ~CheckpointWriter();

    // Starts writing `config` as the checkpoint of version info.version,
    // unless one is being written already (the next change asks again).
    void request(VersionInfo info, std::shared_ptr<const config::Config> config);

private:
    void finished(std::uint64_t version, const std::string& error);

    boost::asio::io_context& io_;
    ConfigStore& store_;
    std::thread thread_;
    bool busy_ = false;
};

}  // namespace turnout::master

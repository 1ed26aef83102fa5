#include "server/active_upstream.hpp"

namespace turnout::server {

ActiveUpstream::ActiveUpstream(boost::asio::io_context& io, config::Upstream upstream)
    : config_{std::move(upstream)}, balancer_{make_balancer(config_)} {
    pools_.reserve(config_.targets.size());
    for (const auto& target : config_.targets) {
        pools_.push_back(std::make_shared<TargetPool>(io, target, config_.keepalive));
    }
}

ActiveUpstream::~ActiveUpstream() {
    for (auto& pool : pools_) {
        pool->close_all();
    }
}

}  // namespace turnout::server

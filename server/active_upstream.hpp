#pragma once

// An upstream as one worker serves it: its configuration, its balancer and
// one connection pool per target. It outlives config changes that leave the
// upstream as it was, so its pools stay warm across applies.

#include "config/config.hpp"
#include "server/balancer.hpp"
#include "server/target_pool.hpp"

#include <boost/asio/io_context.hpp>

#include <memory>
#include <vector>

namespace turnout::server {

class ActiveUpstream {
public:
    ActiveUpstream(boost::asio::io_context& io, config::Upstream upstream);
    ~ActiveUpstream();
    ActiveUpstream(const ActiveUpstream&) = delete;
    ActiveUpstream& operator=(const ActiveUpstream&) = delete;

    const config::Upstream& config() const { return config_; }
    Balancer& balancer() { return *balancer_; }
    std::size_t target_count() const { return pools_.size(); }
    TargetPool& pool(std::size_t target) { return *pools_[target]; }

private:
    config::Upstream config_;
    std::unique_ptr<Balancer> balancer_;
    std::vector<std::shared_ptr<TargetPool>> pools_;
};

}  // namespace turnout::server

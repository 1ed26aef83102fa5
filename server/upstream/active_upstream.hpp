#pragma once

// An upstream as one worker serves it: its configuration, its balancer, one
// connection pool per target, and what the worker knows of each target's
// health. It outlives config changes that leave the upstream as it was, so
// its pools stay warm across applies.

#include "config/config.hpp"
#include "server/upstream/balancer.hpp"
#include "server/upstream/target_pool.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/container/small_vector.hpp>

#include <chrono>
#include <memory>
#include <vector>

namespace turnout::server {

using TargetFlags = boost::container::small_vector<std::uint8_t, 8>;

class ActiveUpstream {
public:
    using clock = std::chrono::steady_clock;

    ActiveUpstream(boost::asio::io_context& io, config::Upstream upstream);
    ~ActiveUpstream();
    ActiveUpstream(const ActiveUpstream&) = delete;
    ActiveUpstream& operator=(const ActiveUpstream&) = delete;

    const config::Upstream& config() const { return config_; }
    Balancer& balancer() { return *balancer_; }
    std::size_t target_count() const { return pools_.size(); }
    TargetPool& pool(std::size_t target) { return *pools_[target]; }

    // The TLS client context for connections to the targets: nullptr when
    // the upstream is plain, or when its CA file did not load (logged; its
    // connections then fail). Shared: a connection keeps the context it was
    // made with when reload_tls() replaces it.
    const std::shared_ptr<boost::asio::ssl::context>& tls_context() const { return tls_context_; }
    // Reads the CA file again (a whole-config apply), leaving the pools as
    // they are: connections already verified stay valid.
    void reload_tls();

    // The active health check's verdict, decided by the master.
    void set_unhealthy(std::size_t target, bool unhealthy);

    // Passive outlier detection (SPEC §3 `outlier`): consecutive failures
    // eject a target for eject_for, times how often it was ejected lately
    // (up to 10 times).
    void record_success(std::size_t target, clock::time_point now);
    void record_failure(std::size_t target, clock::time_point now);

    // Which targets a pick must skip: those `tried` for this request, and
    // those unhealthy or ejected. When that leaves nothing untried, health
    // is ignored (panic mode): never route to nothing.
    void excluded_for_pick(const TargetFlags& tried, clock::time_point now, TargetFlags& out) const;

    // In-flight requests per target, for least_request and random_two.
    std::span<const std::uint32_t> in_flight() const { return in_flight_; }
    void request_started(std::size_t target) { ++in_flight_[target]; }
    void request_finished(std::size_t target) { --in_flight_[target]; }

    // How much the read of a response head takes at once: Beast's 512
    // bytes until a response of this upstream filled that, then a page,
    // as nginx's proxy_buffer_size, so a response of a few kB comes in one
    // read. An upstream of small answers costs no page per exchange, which
    // the pools would keep for every exchange that ran at once.
    std::size_t head_read_size() const { return head_read_size_; }
    void head_read_filled() { head_read_size_ = large_head_read; }

private:
    static constexpr std::size_t small_head_read = 512;
    static constexpr std::size_t large_head_read = 4 * 1024;

    struct TargetHealth {
        bool unhealthy = false;
        std::uint32_t consecutive_failures = 0;
        std::uint32_t ejections = 0;
        clock::time_point ejected_until{};
    };

    bool available(std::size_t target, clock::time_point now) const;

    config::Upstream config_;
    std::unique_ptr<Balancer> balancer_;
    std::shared_ptr<boost::asio::ssl::context> tls_context_;
    std::vector<std::shared_ptr<TargetPool>> pools_;
    std::vector<TargetHealth> health_;
    std::vector<std::uint32_t> in_flight_;
    std::size_t head_read_size_ = small_head_read;
};

}  // namespace turnout::server

#include "master/fleet/fleet_leader.hpp"

#include "server/logfmt.hpp"

#include <spdlog/spdlog.h>

#include <utility>

namespace turnout::master::fleet {

namespace {

constexpr std::chrono::milliseconds keepalive_period{FleetLeader::lease_ttl_seconds * 1000 / 3};

}  // namespace

FleetLeader::FleetLeader(boost::asio::io_context& io, etcd::Client& client, std::string key,
                         std::string node)
    : client_{client}, key_{std::move(key)}, node_{std::move(node)}, keepalive_timer_{io} {}

void FleetLeader::campaign() {
    if (campaigning_ || leading_) {
        return;
    }
    campaigning_ = true;
    client_.lease_grant(
        lease_ttl_seconds, [this](std::optional<etcd::Lease> lease, std::string error) {
            if (!lease) {
                campaigning_ = false;
                spdlog::warn("msg=\"cannot campaign for fleet leader\" key={} error={}", key_,
                             log_value(error));
                return;
            }
            etcd::Txn txn;
            txn.compare.push_back({key_,
                                   {},
                                   etcd::Compare::Target::create_revision,
                                   etcd::Compare::Result::equal,
                                   0,
                                   {}});
            txn.success.push_back({etcd::TxnOp::Kind::put, key_, node_, lease->id});
            client_.txn(txn,
                        [this, id = lease->id](std::optional<etcd::TxnResult> result, std::string) {
                            campaigning_ = false;
                            if (result && result->succeeded) {
                                won(id);
                                return;
                            }
                            // Another node holds the key: this lease is of no use.
                            client_.lease_revoke(id, [](std::optional<bool>, std::string) {});
                        });
        });
}

void FleetLeader::won(std::int64_t lease) {
    lease_ = lease;
    leading_ = true;
    spdlog::info("msg=\"leading fleet rollouts\" key={} node={}", key_, log_value(node_));
    keep_alive();
}

void FleetLeader::keep_alive() {
    keepalive_timer_.expires_after(keepalive_period);
    keepalive_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || !leading_) {
            return;
        }
        client_.lease_keepalive(
            lease_, [this, id = lease_](std::optional<etcd::Lease> lease, std::string error) {
                if (!leading_ || id != lease_) {
                    return;
                }
                if (!lease || lease->ttl_seconds <= 0) {
                    lost(lease ? "the leader lease expired" : "keep-alive failed: " + error);
                    return;
                }
                keep_alive();
            });
    });
}

void FleetLeader::lost(const std::string& why) {
    if (!leading_) {
        return;
    }
    leading_ = false;
    keepalive_timer_.cancel();
    spdlog::warn("msg=\"no longer leading fleet rollouts\" key={} reason={}", key_, log_value(why));
    lease_ = 0;
}

void FleetLeader::resign(std::function<void()> released) {
    const bool was_leading = std::exchange(leading_, false);
    keepalive_timer_.cancel();
    if (!was_leading || lease_ == 0) {
        released();
        return;
    }
    client_.lease_revoke(
        std::exchange(lease_, 0),
        [released = std::move(released)](std::optional<bool>, std::string) { released(); });
}

}  // namespace turnout::master::fleet

#pragma once

// Each fleet node keeps `<prefix>nodes/<node>` up to date: what it serves
// (config version, etcd revision, each worker's version, serving or
// refused and why) as JSON, bound to a lease it keeps alive, so the key of
// a node that stopped disappears once the lease expires. Puts happen when
// the report changes; keep-alives run on their own timer, a third of the
// lease's time to live apart, however often the report changes (a put
// does not renew a lease); a lost lease (etcd restarted past its TTL) is
// granted again. The node's fleet rollout reports share the lease, so they
// go with the node.

#include "master/etcd/client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <functional>
#include <string>

namespace turnout::master::fleet {

class NodeReporter {
public:
    // The report's content (without "time", added at each put).
    using Describe = std::function<boost::json::object()>;

    NodeReporter(boost::asio::io_context& io, etcd::Client& client, std::string key,
                 Describe describe);

    void start();
    // A stopping node: no more reports, and its key goes now (the lease is
    // revoked) rather than when the lease would expire. `released` runs once
    // etcd answered the revoke (or nothing was held), so the master can
    // wait for it before it exits.
    void stop(std::function<void()> released);

    // The lease the report is bound to; 0 while none is held.
    std::int64_t lease() const { return lease_; }

    // The lease's time to live: how long a stopped node's key outlives it.
    static constexpr std::int64_t lease_ttl_seconds = 10;

private:
    void tick();
    void next_tick();
    void put(std::string body);
    void keep_alive();
    void give_back_lease();

    etcd::Client& client_;
    std::string key_;
    Describe describe_;
    boost::asio::steady_timer timer_;
    boost::asio::steady_timer keepalive_timer_;
    std::int64_t lease_ = 0;
    std::string last_put_;  // the body last stored, without time
    bool stopped_ = false;
    bool granting_ = false;  // a lease grant is in flight
    std::function<void()> released_;
};

}  // namespace turnout::master::fleet

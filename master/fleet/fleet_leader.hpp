#pragma once

// Which node steps the fleet's rollouts (docs/SPEC.md, "Fleet rollouts"):
// the one holding `<prefix>leader`, put under a short lease in a
// transaction that succeeds only while the key does not exist (create
// revision 0), so at most one node holds it. The holder keeps the lease
// alive a third of its time to live apart; a keep-alive that fails or finds
// the lease gone ends the leadership at once, so a node cut off from etcd
// stops stepping before another can take over. Nodes campaign when they see
// the key gone (their watch shows it), so a dead leader is replaced within
// the lease's time to live.

#include "master/etcd/client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <string>

namespace turnout::master::fleet {

class FleetLeader {
public:
    FleetLeader(boost::asio::io_context& io, etcd::Client& client, std::string key,
                std::string node);

    // Tries once to take the key; nothing while trying or leading.
    void campaign();
    // Gives the key up now (a stopping node), so another takes over at once;
    // `released` runs once etcd answered (or nothing was held).
    void resign(std::function<void()> released);
    bool leading() const { return leading_; }
    // Leadership seen lost elsewhere (the key holds another node).
    void lost(const std::string& why);

    static constexpr std::int64_t lease_ttl_seconds = 5;

private:
    void won(std::int64_t lease);
    void keep_alive();

    etcd::Client& client_;
    std::string key_;
    std::string node_;
    boost::asio::steady_timer keepalive_timer_;
    std::int64_t lease_ = 0;
    bool campaigning_ = false;
    bool leading_ = false;
};

}  // namespace turnout::master::fleet

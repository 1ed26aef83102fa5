#include "master/fleet/node_report.hpp"

#include "config/time_format.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include <utility>

namespace turnout::master::fleet {

namespace json = boost::json;

namespace {

// Reports are compared a second apart; a keep-alive every third of the
// lease's life keeps it with two tries to spare.
constexpr std::chrono::seconds tick_period{1};
constexpr std::chrono::milliseconds keepalive_period{NodeReporter::lease_ttl_seconds * 1000 / 3};

}  // namespace

NodeReporter::NodeReporter(boost::asio::io_context& io, etcd::Client& client, std::string key,
                           Describe describe)
    : client_{client}, key_{std::move(key)}, describe_{std::move(describe)}, timer_{io},
      keepalive_timer_{io} {}

void NodeReporter::start() {
    tick();
    keep_alive();
}

void NodeReporter::stop(std::function<void()> released) {
    stopped_ = true;
    timer_.cancel();
    keepalive_timer_.cancel();
    released_ = std::move(released);
    give_back_lease();
}

// A grant still in flight answers later with a lease to give back: wait
// for it rather than leave that lease (and the key) to expire.
void NodeReporter::give_back_lease() {
    if (granting_) {
        return;
    }
    if (lease_ == 0) {
        if (released_) {
            std::exchange(released_, nullptr)();
        }
        return;
    }
    client_.lease_revoke(std::exchange(lease_, 0), [this](std::optional<bool>, std::string) {
        if (released_) {
            std::exchange(released_, nullptr)();
        }
    });
}

void NodeReporter::next_tick() {
    if (stopped_) {
        return;
    }
    timer_.expires_after(tick_period);
    timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) {
            tick();
        }
    });
}

void NodeReporter::tick() {
    auto body = json::serialize(describe_());
    if (lease_ == 0) {
        granting_ = true;
        client_.lease_grant(lease_ttl_seconds,
                            [this, body](std::optional<etcd::Lease> lease, std::string) {
                                granting_ = false;
                                if (lease) {
                                    lease_ = lease->id;
                                }
                                if (stopped_) {
                                    give_back_lease();
                                    return;
                                }
                                if (!lease) {
                                    next_tick();
                                    return;
                                }
                                last_put_.clear();
                                put(body);
                            });
        return;
    }
    if (body != last_put_) {
        put(std::move(body));
        return;
    }
    next_tick();
}

void NodeReporter::keep_alive() {
    keepalive_timer_.expires_after(keepalive_period);
    keepalive_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || stopped_) {
            return;
        }
        if (lease_ == 0) {
            keep_alive();
            return;
        }
        client_.lease_keepalive(lease_, [this, id = lease_](std::optional<etcd::Lease> lease,
                                                            std::string) {
            if (lease && lease->ttl_seconds <= 0 && lease_ == id) {
                spdlog::info("msg=\"node report lease expired, granting a new one\" key={}", key_);
                lease_ = 0;
            }
            if (!stopped_) {
                keep_alive();
            }
        });
    });
}

void NodeReporter::put(std::string body) {
    auto value = json::parse(body).as_object();
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    value["time"] = iso8601_utc(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
    client_.put(key_, json::serialize(value), lease_,
                [this, body](std::optional<std::int64_t> revision, std::string) {
                    if (revision) {
                        last_put_ = body;
                    } else {
                        lease_ = 0;  // unknown whether it still exists: start over
                    }
                    next_tick();
                });
}

}  // namespace turnout::master::fleet

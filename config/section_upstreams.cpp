// The `upstreams` section of SPEC §3.

#include "config/sections.hpp"
#include "config/syntax.hpp"

namespace turnout::config::detail {

namespace {

// Large enough for any ratio an operator writes; small enough that sums of
// thousands of weights never overflow.
constexpr std::uint64_t max_weight = 1'000'000;
constexpr std::uint64_t max_retries = 100;

const std::vector<std::string>& balance_names() {
    static const std::vector<std::string> names = {"round_robin", "least_request", "random_two",
                                                   "hash"};
    return names;
}

std::optional<Balance> read_balance(Context& context, const Cursor& at) {
    auto name = read_choice(context, at, balance_names());
    if (!name) {
        return std::nullopt;
    }
    const auto& names = balance_names();
    auto index = std::find(names.begin(), names.end(), *name) - names.begin();
    return static_cast<Balance>(index);
}

// A target: "ADDRESS" (weight 1) or { address: ADDRESS, weight: N }.
std::optional<Target> read_target(Context& context, const Cursor& at) {
    Target target;
    if (at.is_null()) {
        context.error(at, "needs an address, e.g. 127.0.0.1:9001");
        return std::nullopt;
    }
    if (at.is_scalar()) {
        auto address = read_address(context, at, AddressUse::target);
        if (!address) {
            return std::nullopt;
        }
        target.address = std::move(*address);
        return target;
    }
    MapReader map(context, at, {"address", "weight"});
    if (!map.is_map()) {
        return std::nullopt;
    }
    std::size_t errors_before = context.error_count();
    if (auto address = map.require("address")) {
        if (auto value = read_address(context, *address, AddressUse::target)) {
            target.address = std::move(*value);
        }
    }
    map.read("weight", target.weight, [](Context& c, const Cursor& value) {
        auto weight = read_uint(c, value, 0, max_weight);
        return weight ? std::optional(static_cast<std::uint32_t>(*weight)) : std::nullopt;
    });
    if (context.error_count() != errors_before) {
        return std::nullopt;
    }
    return target;
}

void read_targets(Context& context, const Cursor& at, Upstream& upstream) {
    UniqueCheck addresses("target address");
    bool all_read = true;
    bool is_list = for_each_item(context, at, [&](const Cursor& item) {
        auto target = read_target(context, item);
        if (!target) {
            all_read = false;
            return;
        }
        std::string key = target->address.endpoint.address().to_string() + " port " +
                          std::to_string(target->address.endpoint.port());
        addresses.check(context, item, key, quote(target->address.text));
        upstream.targets.push_back(std::move(*target));
    });
    if (!is_list || !all_read) {
        return;
    }
    if (upstream.targets.empty()) {
        context.error(at, "needs at least one target, e.g. [127.0.0.1:9001]");
        return;
    }
    std::uint64_t sum = 0;
    for (const auto& target : upstream.targets) {
        sum += target.weight;
    }
    if (sum == 0) {
        context.error(at, "the weights add up to 0; give at least one target a weight above 0");
    }
}

// hash_key is required with balance: hash and meaningless with the others.
void read_balance_and_hash_key(Context& context, const MapReader& map, Upstream& upstream) {
    auto balance_at = map.get("balance");
    std::optional<Balance> balance = Balance::round_robin;
    if (balance_at) {
        balance = read_balance(context, *balance_at);
    }
    auto hash_key = map.get("hash_key");
    if (!balance) {
        if (hash_key) {
            read_key_source(context, *hash_key);
        }
        return;
    }
    upstream.balance = *balance;
    if (*balance == Balance::hash && !hash_key) {
        context.error(*balance_at, "hash needs hash_key: header:NAME, cookie:NAME or client_ip");
    } else if (*balance == Balance::hash) {
        upstream.hash_key = read_key_source(context, *hash_key).value_or(KeySource{});
    } else if (hash_key) {
        context.error(*hash_key, "only applies with balance: hash; remove it or set balance: hash");
    }
}

void read_keepalive(Context& context, const Cursor& at, Keepalive& keepalive) {
    MapReader map(context, at, {"max_idle", "idle_timeout"});
    map.read("max_idle", keepalive.max_idle,
             [](Context& c, const Cursor& value) { return read_u32(c, value, 0); });
    map.read("idle_timeout", keepalive.idle_timeout,
             [](Context& c, const Cursor& value) { return read_duration(c, value); });
}

void read_timeouts(Context& context, const Cursor& at, UpstreamTimeouts& timeouts) {
    MapReader map(context, at, {"connect", "response"});
    auto positive = [](Context& c, const Cursor& value) {
        return read_duration(c, value, Duration(1));
    };
    map.read("connect", timeouts.connect, positive);
    map.read("response", timeouts.response, positive);
}

HealthCheck read_health_check(Context& context, const Cursor& at) {
    MapReader map(context, at, {"path", "interval", "timeout", "unhealthy_after", "healthy_after"});
    HealthCheck check;
    auto positive = [](Context& c, const Cursor& value) {
        return read_duration(c, value, Duration(1));
    };
    auto at_least_one = [](Context& c, const Cursor& value) { return read_u32(c, value, 1); };
    map.read("path", check.path,
             [](Context& c, const Cursor& value) { return read_url_path(c, value, true); });
    map.read("interval", check.interval, positive);
    map.read("timeout", check.timeout, positive);
    map.read("unhealthy_after", check.unhealthy_after, at_least_one);
    map.read("healthy_after", check.healthy_after, at_least_one);
    return check;
}

void read_outlier(Context& context, const Cursor& at, Outlier& outlier) {
    MapReader map(context, at, {"consecutive_failures", "eject_for"});
    // consecutive_failures: 0 turns passive ejection off.
    map.read("consecutive_failures", outlier.consecutive_failures,
             [](Context& c, const Cursor& value) { return read_u32(c, value, 0); });
    map.read("eject_for", outlier.eject_for,
             [](Context& c, const Cursor& value) { return read_duration(c, value, Duration(1)); });
}

UpstreamTls read_upstream_tls(Context& context, const Cursor& at) {
    MapReader map(context, at, {"verify", "ca", "sni"});
    UpstreamTls tls;
    map.read("verify", tls.verify, read_bool);
    map.read("ca", tls.ca, read_path);
    map.read("sni", tls.sni, read_nonempty_string);
    return tls;
}

Upstream read_upstream(Context& context, const std::string& name, const Cursor& at) {
    MapReader map(context, at,
                  {"targets", "balance", "hash_key", "keepalive", "timeouts", "retries",
                   "health_check", "outlier", "tls"});
    Upstream upstream;
    upstream.name = name;
    if (auto targets = map.require("targets")) {
        read_targets(context, *targets, upstream);
    }
    read_balance_and_hash_key(context, map, upstream);
    if (auto keepalive = map.get("keepalive")) {
        read_keepalive(context, *keepalive, upstream.keepalive);
    }
    if (auto timeouts = map.get("timeouts")) {
        read_timeouts(context, *timeouts, upstream.timeouts);
    }
    map.read("retries", upstream.retries, [](Context& c, const Cursor& value) {
        auto retries = read_uint(c, value, 0, max_retries);
        return retries ? std::optional(static_cast<std::uint32_t>(*retries)) : std::nullopt;
    });
    if (auto health_check = map.get("health_check")) {
        upstream.health_check = read_health_check(context, *health_check);
    }
    if (auto outlier = map.get("outlier")) {
        read_outlier(context, *outlier, upstream.outlier);
    }
    if (auto tls = map.get("tls")) {
        upstream.tls = read_upstream_tls(context, *tls);
    }
    return upstream;
}

}  // namespace

SharedList<Upstream> read_upstreams(Context& context, const Cursor& at) {
    MapReader map(context, at, "upstream name");
    SharedList<Upstream> upstreams;
    for (const auto& entry : map.entries()) {
        if (!is_name(entry.key)) {
            context.error(Cursor{entry.value.node, entry.value.path, entry.key_mark},
                          "upstream names may only contain letters, digits, '.', '_' and '-' "
                          "(at most 128)");
        }
        upstreams.push_back(read_upstream(context, entry.key, entry.value));
    }
    return upstreams;
}

Upstream read_upstream_body(Context& context, const Cursor& at, const std::string& name) {
    return read_upstream(context, name, at);
}

}  // namespace turnout::config::detail

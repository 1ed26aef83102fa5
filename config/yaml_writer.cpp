// Config → YAML (see yaml_writer.hpp), written by hand rather than with
// yaml-cpp's emitter, which takes over half a second for 10,000 routes;
// this writes them in tens of milliseconds. Strings are quoted as yaml_writer_text.hpp says.
// Values equal to their defaults are left out, except where showing them
// makes the file easier to read (workers, paths, health checks).

#include "config/yaml_writer.hpp"
#include "config/yaml_writer_text.hpp"

#include <algorithm>
#include <cstdio>
#include <string_view>

namespace turnout::config {

namespace {

using detail::duration_text;
using detail::scalar;
using detail::size_text;

// --- values -----------------------------------------------------------------

std::string key_source_text(const KeySource& source) {
    switch (source.kind) {
    case KeySource::Kind::header:
        return "header:" + source.name;
    case KeySource::Kind::cookie:
        return "cookie:" + source.name;
    case KeySource::Kind::client_ip:
        return "client_ip";
    case KeySource::Kind::none:
        break;
    }
    return "";
}

const char* balance_text(Balance balance) {
    switch (balance) {
    case Balance::least_request:
        return "least_request";
    case Balance::random_two:
        return "random_two";
    case Balance::hash:
        return "hash";
    case Balance::round_robin:
        break;
    }
    return "round_robin";
}

// --- structure --------------------------------------------------------------

// `{ key: value, ... }` on one line; `{}` when empty.
class FlowMap {
public:
    explicit FlowMap(std::string& out) : out_(out) {}

    // Starts an entry; append its value to the string returned.
    std::string& key(std::string_view key) {
        out_ += empty_ ? "{ " : ", ";
        empty_ = false;
        scalar(out_, key);
        out_ += ": ";
        return out_;
    }
    void text(std::string_view key, std::string_view value) { scalar(this->key(key), value); }
    void number(std::string_view key, std::uint64_t value) {
        this->key(key) += std::to_string(value);
    }

    void close() { out_ += empty_ ? "{}" : " }"; }

private:
    std::string& out_;
    bool empty_ = true;
};

// `[a, b]` on one line.
void flow_list(std::string& out, const std::vector<std::string>& items) {
    out += '[';
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) {
            out += ", ";
        }
        scalar(out, items[i]);
    }
    out += ']';
}

void flow_headers(std::string& out, const HeaderList& headers) {
    FlowMap map(out);
    for (const auto& [name, value] : headers) {
        map.text(name, value);
    }
    map.close();
}

// The lines of one block map: each starts with the block's indentation,
// the first with `first` instead (e.g. "  - " for a list item).
class Block {
public:
    Block(std::string& out, std::string first, std::string rest)
        : out_(out), first_(std::move(first)), rest_(std::move(rest)) {}

    // Starts the line `key: `; append the value, then call end().
    std::string& key(std::string_view key) {
        out_ += used_ ? rest_ : first_;
        used_ = true;
        scalar(out_, key);
        out_ += ": ";
        return out_;
    }
    // Ends the line, without the space a key left when its value is a
    // nested block.
    void end() {
        if (out_.ends_with(' ')) {
            out_.pop_back();
        }
        out_ += '\n';
    }

    void text(std::string_view key, std::string_view value) {
        scalar(this->key(key), value);
        end();
    }
    void raw(std::string_view key, std::string_view value) {
        this->key(key) += value;
        end();
    }

    // A block map nested under the key just written (which ends its line).
    Block nested() {
        end();
        return Block(out_, rest_ + "  ", rest_ + "  ");
    }
    // A block map one level in, for the entries of the key just written.
    Block child() const { return Block(out_, rest_ + "  ", rest_ + "  "); }
    // A list item under the key just written: "- " and its line's content.
    std::string& item() { return out_ += rest_ + "  - "; }
    // A list item that is a block map.
    Block item_block() { return Block(out_, rest_ + "  - ", rest_ + "    "); }

private:
    std::string& out_;
    std::string first_;
    std::string rest_;
    bool used_ = false;
};

void write_header_rules(Block& block, std::string_view key, const HeaderRules& rules) {
    if (rules.set.empty() && rules.remove.empty()) {
        return;
    }
    FlowMap map(block.key(key));
    if (!rules.set.empty()) {
        flow_headers(map.key("set"), rules.set);
    }
    if (!rules.remove.empty()) {
        flow_list(map.key("remove"), rules.remove);
    }
    map.close();
    block.end();
}

// `match: {...}`, nothing when it matches every request.
void write_match(Block& block, const RouteMatch& match) {
    bool any_path = match.path == "/" && !match.path_exact;
    if (match.host.empty() && any_path && match.methods.empty() && match.headers.empty()) {
        return;
    }
    FlowMap map(block.key("match"));
    if (!match.host.empty()) {
        map.text("host", match.host);
    }
    if (match.path_exact) {
        map.text("path", match.path);
    } else if (!any_path) {
        map.text("path_prefix", match.path);
    }
    if (!match.methods.empty()) {
        flow_list(map.key("methods"), match.methods);
    }
    if (!match.headers.empty()) {
        flow_headers(map.key("headers"), match.headers);
    }
    map.close();
    block.end();
}

void write_route(Block block, const Route& route) {
    block.text("name", route.name);
    write_match(block, route.match);
    bool single = route.single_upstream && route.split.size() == 1 && route.split[0].weight == 1;
    if (single) {
        block.text("upstream", route.split[0].upstream);
    } else {
        block.key("split");
        block.end();
        for (const auto& side : route.split) {
            FlowMap map(block.item());
            map.text("upstream", side.upstream);
            map.number("weight", side.weight);
            map.close();
            block.end();
        }
    }
    if (route.sticky.kind != KeySource::Kind::none) {
        block.text("sticky", key_source_text(route.sticky));
    }
    if (!route.strip_prefix.empty()) {
        block.text("strip_prefix", route.strip_prefix);
    }
    write_header_rules(block, "request_headers", route.request_headers);
    write_header_rules(block, "response_headers", route.response_headers);
}

// Targets of weight 1 in short form, all on one line when every one is.
void write_targets(Block& block, const std::vector<Target>& targets) {
    bool all_plain = std::all_of(targets.begin(), targets.end(),
                                 [](const Target& target) { return target.weight == 1; });
    std::string& out = block.key("targets");
    if (all_plain) {
        std::vector<std::string> addresses;
        for (const auto& target : targets) {
            addresses.push_back(target.address.text);
        }
        flow_list(out, addresses);
        block.end();
        return;
    }
    block.end();
    for (const auto& target : targets) {
        std::string& line = block.item();
        if (target.weight == 1) {
            scalar(line, target.address.text);
        } else {
            FlowMap map(line);
            map.text("address", target.address.text);
            map.number("weight", target.weight);
            map.close();
        }
        block.end();
    }
}

// The sub-maps of an upstream: left out when every value is a default,
// else only the values that differ (health_check: all of them).
void write_upstream_settings(Block& block, const Upstream& upstream) {
    const Upstream defaults;
    if (upstream.keepalive != defaults.keepalive) {
        FlowMap map(block.key("keepalive"));
        if (upstream.keepalive.max_idle != defaults.keepalive.max_idle) {
            map.number("max_idle", upstream.keepalive.max_idle);
        }
        if (upstream.keepalive.idle_timeout != defaults.keepalive.idle_timeout) {
            map.text("idle_timeout", duration_text(upstream.keepalive.idle_timeout));
        }
        map.close();
        block.end();
    }
    if (upstream.timeouts != defaults.timeouts) {
        FlowMap map(block.key("timeouts"));
        if (upstream.timeouts.connect != defaults.timeouts.connect) {
            map.text("connect", duration_text(upstream.timeouts.connect));
        }
        if (upstream.timeouts.response != defaults.timeouts.response) {
            map.text("response", duration_text(upstream.timeouts.response));
        }
        map.close();
        block.end();
    }
    if (upstream.retries != defaults.retries) {
        block.raw("retries", std::to_string(upstream.retries));
    }
    if (const auto& check = upstream.health_check) {
        block.key("health_check");
        Block inner = block.nested();
        inner.text("path", check->path);
        inner.raw("interval", duration_text(check->interval));
        inner.raw("timeout", duration_text(check->timeout));
        inner.raw("unhealthy_after", std::to_string(check->unhealthy_after));
        inner.raw("healthy_after", std::to_string(check->healthy_after));
    }
    if (upstream.outlier != defaults.outlier) {
        FlowMap map(block.key("outlier"));
        map.number("consecutive_failures", upstream.outlier.consecutive_failures);
        map.text("eject_for", duration_text(upstream.outlier.eject_for));
        map.close();
        block.end();
    }
    if (const auto& tls = upstream.tls) {
        FlowMap map(block.key("tls"));
        map.key("verify") += tls->verify ? "true" : "false";
        if (!tls->ca.empty()) {
            map.text("ca", tls->ca);
        }
        if (!tls->sni.empty()) {
            map.text("sni", tls->sni);
        }
        map.close();
        block.end();
    }
}

// The map that follows `NAME:` under `upstreams:`.
void write_upstream(Block block, const Upstream& upstream) {
    write_targets(block, upstream.targets);
    if (upstream.balance != Balance::round_robin) {
        block.raw("balance", balance_text(upstream.balance));
    }
    // hash_key only means something with balance: hash; the loader refuses
    // it anywhere else.
    if (upstream.balance == Balance::hash && upstream.hash_key.kind != KeySource::Kind::none) {
        block.text("hash_key", key_source_text(upstream.hash_key));
    }
    write_upstream_settings(block, upstream);
}

void write_listener(Block block, const Listener& listener) {
    block.text("name", listener.name);
    block.text("address", listener.address.text);
    if (listener.http2 == Http2Settings{}) {
        block.raw("http2", "true");
    } else if (listener.http2) {
        FlowMap map(block.key("http2"));
        map.number("max_concurrent_streams", listener.http2->max_concurrent_streams);
        map.number("initial_window_size", listener.http2->initial_window_size);
        if (listener.http2->max_header_list_size != 0) {
            map.number("max_header_list_size", listener.http2->max_header_list_size);
        }
        map.close();
        block.end();
    }
    if (!listener.tls) {
        return;
    }
    block.key("tls");
    Block tls = block.nested();
    tls.key("certificates");
    tls.end();
    for (const auto& certificate : listener.tls->certificates) {
        FlowMap map(tls.item());
        map.text("cert", certificate.cert);
        map.text("key", certificate.key);
        map.close();
        tls.end();
    }
    // Quoted always: 1.2 unquoted is a number to most YAML readers.
    tls.raw("min_version", "\"" + listener.tls->min_version + "\"");
}

void write_settings(Block& top, const Config& config) {
    top.raw("workers", config.workers == 0 ? "auto" : std::to_string(config.workers));
    top.key("admin");
    Block admin = top.nested();
    admin.text("socket", config.admin.socket);
    if (config.admin.mode) {
        char mode[16];
        std::snprintf(mode, sizeof mode, "\"%04o\"", *config.admin.mode);
        admin.raw("mode", mode);
    }
    if (!config.admin.allow_uids.empty()) {
        std::vector<std::string> uids;
        for (unsigned uid : config.admin.allow_uids) {
            uids.push_back(std::to_string(uid));
        }
        std::string& out = admin.key("allow_uids");
        out += '[';
        for (std::size_t i = 0; i < uids.size(); ++i) {
            out += (i > 0 ? ", " : "") + uids[i];
        }
        out += ']';
        admin.end();
    }
    top.text("state_dir", config.state_dir);
    if (config.access_log) {
        top.text("access_log", *config.access_log);
    }
}

void write_limits(Block& top, const Limits& limits) {
    const Limits defaults;
    if (limits == defaults) {
        return;
    }
    top.key("limits");
    Block block = top.nested();
    if (limits.max_header_bytes != defaults.max_header_bytes) {
        block.raw("max_header_bytes", size_text(limits.max_header_bytes));
    }
    if (limits.max_body_bytes != defaults.max_body_bytes) {
        block.raw("max_body_bytes", size_text(limits.max_body_bytes));
    }
    if (limits.header_timeout != defaults.header_timeout) {
        block.raw("header_timeout", duration_text(limits.header_timeout));
    }
    if (limits.idle_timeout != defaults.idle_timeout) {
        block.raw("idle_timeout", duration_text(limits.idle_timeout));
    }
    if (limits.drain_timeout != defaults.drain_timeout) {
        block.raw("drain_timeout", duration_text(limits.drain_timeout));
    }
    if (limits.send_timeout != defaults.send_timeout) {
        block.raw("send_timeout", duration_text(limits.send_timeout));
    }
    if (limits.max_headers != defaults.max_headers) {
        block.raw("max_headers", std::to_string(limits.max_headers));
    }
    if (limits.max_connections != defaults.max_connections) {
        block.raw("max_connections", std::to_string(limits.max_connections));
    }
}

// `key:` then its items, or `key: EMPTY` when there are none.
template <typename Items, typename Write>
void write_section(std::string& out, std::string_view key, const Items& items,
                   std::string_view empty, Write write) {
    out += '\n';
    Block top(out, "", "");
    if (items.empty()) {
        top.raw(key, empty);
        return;
    }
    top.key(key);
    top.end();
    for (const auto& item : items) {
        write(top, item);
    }
}

}  // namespace

std::string to_yaml(const Config& config) {
    std::string out = "# turnout configuration; every key is described in docs/configuration.md\n";
    out.reserve(config.routes.size() * 256);
    Block top(out, "", "");
    write_settings(top, config);
    write_limits(top, config.limits);
    write_section(
        out, "listeners", config.listeners, "[]",
        [](Block& parent, const Listener& item) { write_listener(parent.item_block(), item); });
    write_section(out, "upstreams", config.upstreams, "{}",
                  [](Block& parent, const Upstream& item) {
                      Block entry = parent.child();
                      entry.key(item.name);
                      write_upstream(entry.nested(), item);
                  });
    write_section(out, "routes", config.routes, "[]",
                  [](Block& parent, const Route& item) { write_route(parent.item_block(), item); });
    return out;
}

std::string to_yaml(const Route& route) {
    std::string out;
    write_route(Block(out, "", ""), route);
    return out;
}

std::string to_yaml(const Upstream& upstream) {
    std::string out;
    write_upstream(Block(out, "", ""), upstream);
    return out;
}

}  // namespace turnout::config

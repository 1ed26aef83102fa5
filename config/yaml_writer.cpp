// Config → YAML (see yaml_writer.hpp), written by hand rather than with
// yaml-cpp's emitter, which takes over half a second for 10,000 routes;
// this writes them in milliseconds, and every version the master keeps
// passes through here. A string is written plain only when it is made of a
// few safe characters and could not be read as anything but a string;
// everything else is double-quoted with escapes. Values equal to their
// defaults are left out, except where showing them makes the file easier to
// read (workers, paths, health checks).

#include "config/yaml_writer.hpp"

#include <algorithm>
#include <cstdio>
#include <string_view>

namespace turnout::config {

namespace {

// --- scalars ----------------------------------------------------------------

bool all_of_chars(std::string_view text, std::string_view allowed) {
    return !text.empty() && text.find_first_not_of(allowed) == std::string_view::npos;
}

// An integer, float, sexagesimal or date as YAML 1.1 or 1.2 would read it:
// "2", "-1.5", "1e3", "0x1f", "0o17", ".inf", "10:30", "2024-01-31".
bool looks_like_number(std::string_view text) {
    if (text.size() >= 5 && all_of_chars(text.substr(0, 4), "0123456789") && text[4] == '-') {
        return true;
    }
    if (text.starts_with('+') || text.starts_with('-')) {
        text.remove_prefix(1);
    }
    if (text.starts_with("0x") || text.starts_with("0o")) {
        return all_of_chars(text.substr(2), text[1] == 'x' ? "0123456789abcdefABCDEF" : "01234567");
    }
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == ".inf" || lower == ".nan" || all_of_chars(text, "0123456789:_")) {
        return true;
    }
    std::size_t mantissa_end = text.find_first_of("eE");
    std::string_view mantissa = text.substr(0, mantissa_end);
    bool mantissa_ok = mantissa.find_first_of("0123456789") != std::string_view::npos &&
                       all_of_chars(mantissa, "0123456789_.") &&
                       std::count(mantissa.begin(), mantissa.end(), '.') <= 1;
    if (!mantissa_ok || mantissa_end == std::string_view::npos) {
        return mantissa_ok;
    }
    std::string_view exponent = text.substr(mantissa_end + 1);
    if (exponent.starts_with('+') || exponent.starts_with('-')) {
        exponent.remove_prefix(1);
    }
    return all_of_chars(exponent, "0123456789");
}

// Words YAML 1.1 or 1.2 reads as booleans or null.
bool is_keyword(std::string_view text) {
    static constexpr std::string_view words[] = {
        "true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes", "YES", "no", "No",
        "NO",   "on",   "On",   "ON",    "off",   "Off",   "OFF", "y",   "Y",   "n",  "N",
        "null", "Null", "NULL"};
    return std::find(std::begin(words), std::end(words), text) != std::end(words);
}

// Whether `text` reads back as itself, as a string, when written plain, in
// block and in flow context alike: letters, digits and "-_./:@+=", not
// starting with an indicator, no ':' at the end, and not a number or
// keyword to any YAML reader.
bool can_be_plain(std::string_view text) {
    constexpr std::string_view safe =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@+=";
    if (!all_of_chars(text, safe) || text.front() == '-' || text.front() == ':' ||
        text.front() == '@' || text.front() == '=' || text.back() == ':') {
        return false;
    }
    return !is_keyword(text) && !looks_like_number(text);
}

// Appends `text` as a YAML scalar: plain when safe, else double-quoted.
// Bytes from 0x80 up are written as they are (YAML is UTF-8).
void scalar(std::string& out, std::string_view text) {
    if (can_be_plain(text)) {
        out += text;
        return;
    }
    out += '"';
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (c == '\t') {
            out += "\\t";
        } else if (c == '\n') {
            out += "\\n";
        } else if (byte < 0x20 || byte == 0x7f) {
            char escape[8];
            std::snprintf(escape, sizeof escape, "\\x%02x", byte);
            out += escape;
        } else {
            out += c;
        }
    }
    out += '"';
}

// "1500ms", "10s", "5m", "1h" — or "16k" for sizes: the largest unit that
// divides the value exactly.
struct Unit {
    const char* suffix;
    std::uint64_t size;
};

std::string in_units(std::uint64_t value, std::initializer_list<Unit> units, const char* zero) {
    if (value == 0) {
        return zero;
    }
    for (const Unit& unit : units) {
        if (value % unit.size == 0) {
            return std::to_string(value / unit.size) + unit.suffix;
        }
    }
    return std::to_string(value);
}

std::string duration_text(Duration value) {
    return in_units(static_cast<std::uint64_t>(value.count()),
                    {{"h", 3'600'000}, {"m", 60'000}, {"s", 1000}, {"ms", 1}}, "0s");
}

std::string size_text(std::uint64_t value) {
    return in_units(value, {{"g", 1ULL << 30}, {"m", 1ULL << 20}, {"k", 1ULL << 10}, {"", 1}},
                    "0");
}

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
    void number(std::string_view key, std::uint64_t value) { this->key(key) += std::to_string(value); }

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
    write_section(out, "listeners", config.listeners, "[]", [](Block& parent, const Listener& item) {
        write_listener(parent.item_block(), item);
    });
    write_section(out, "upstreams", config.upstreams, "{}", [](Block& parent, const Upstream& item) {
        Block entry = parent.child();
        entry.key(item.name);
        write_upstream(entry.nested(), item);
    });
    write_section(out, "routes", config.routes, "[]", [](Block& parent, const Route& item) {
        write_route(parent.item_block(), item);
    });
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

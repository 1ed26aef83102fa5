// Config → YAML (see yaml_writer.hpp). yaml-cpp's emitter does the quoting,
// so any string the model holds prints as text that reads back the same.
// Values equal to their defaults are left out, except where showing them
// makes the file easier to read (workers, paths, health checks).

#include "config/yaml_writer.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <string_view>
#include <type_traits>

namespace turnout::config {

namespace {

// --- value texts ------------------------------------------------------------

struct Unit {
    const char* suffix;
    std::uint64_t size;
};

// The largest unit that divides `value` exactly; `zero` for 0.
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

// "1500ms", "10s", "5m", "1h".
std::string duration_text(Duration value) {
    return in_units(static_cast<std::uint64_t>(value.count()),
                    {{"h", 3'600'000}, {"m", 60'000}, {"s", 1000}, {"ms", 1}}, "0s");
}

// "512", "16k", "1m", "1g".
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

// A permission mode as chmod takes it: "0660".
std::string mode_text(unsigned mode) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%04o", mode);
    return buffer;
}

// --- quoting ----------------------------------------------------------------

bool all_of_chars(std::string_view text, std::string_view allowed) {
    return !text.empty() && text.find_first_not_of(allowed) == std::string_view::npos;
}

// An integer or float as YAML 1.1 or 1.2 would read it: "2", "-1.5",
// "1e3", "0x1f", "0o17", ".inf".
bool looks_like_number(std::string_view text) {
    if (text.starts_with('+') || text.starts_with('-')) {
        text.remove_prefix(1);
    }
    if (text.starts_with("0x") || text.starts_with("0o")) {
        return all_of_chars(text.substr(2), text[1] == 'x' ? "0123456789abcdefABCDEF" : "01234567");
    }
    if (text == ".inf" || text == ".Inf" || text == ".INF" || text == ".nan" || text == ".NaN" ||
        text == ".NAN") {
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

// Text that yaml-cpp reads back as the same string when unquoted, but that
// other YAML tools (yq, PyYAML) would read as a number, boolean or null.
bool looks_typed(std::string_view text) {
    static constexpr std::string_view words[] = {
        "true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes", "YES", "no", "No",
        "NO",   "on",   "On",   "ON",    "off",   "Off",   "OFF", "y",   "Y",   "n",  "N",
        "null", "Null", "NULL", "~"};
    return std::find(std::begin(words), std::end(words), text) != std::end(words) ||
           looks_like_number(text) || text.starts_with(':');
}

// --- pieces -----------------------------------------------------------------

using YAML::Emitter;

// A string as a key or value, quoted when it could be read as another type.
void write_text(Emitter& out, const std::string& text) {
    if (looks_typed(text)) {
        out << YAML::DoubleQuoted;
    }
    out << text;
}

void entry(Emitter& out, const char* key, const std::string& value) {
    out << YAML::Key << key << YAML::Value;
    write_text(out, value);
}

void entry(Emitter& out, const char* key, const char* value) {
    out << YAML::Key << key << YAML::Value << value;
}

template <typename Number>
    requires std::is_arithmetic_v<Number>
void entry(Emitter& out, const char* key, Number value) {
    out << YAML::Key << key << YAML::Value << value;
}

void write_strings(Emitter& out, const std::vector<std::string>& items) {
    out << YAML::Flow << YAML::BeginSeq;
    for (const auto& item : items) {
        write_text(out, item);
    }
    out << YAML::EndSeq;
}

void write_header_map(Emitter& out, const HeaderList& headers) {
    out << YAML::Flow << YAML::BeginMap;
    for (const auto& [name, value] : headers) {
        out << YAML::Key;
        write_text(out, name);
        out << YAML::Value;
        write_text(out, value);
    }
    out << YAML::EndMap;
}

// `key: { set: {...}, remove: [...] }`, nothing when there are no rules.
void write_header_rules(Emitter& out, const char* key, const HeaderRules& rules) {
    if (rules.set.empty() && rules.remove.empty()) {
        return;
    }
    out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginMap;
    if (!rules.set.empty()) {
        out << YAML::Key << "set" << YAML::Value;
        write_header_map(out, rules.set);
    }
    if (!rules.remove.empty()) {
        out << YAML::Key << "remove" << YAML::Value;
        write_strings(out, rules.remove);
    }
    out << YAML::EndMap;
}

// `match: {...}`, nothing when it matches every request.
void write_match(Emitter& out, const RouteMatch& match) {
    bool any_path = match.path == "/" && !match.path_exact;
    if (match.host.empty() && any_path && match.methods.empty() && match.headers.empty()) {
        return;
    }
    out << YAML::Key << "match" << YAML::Value << YAML::Flow << YAML::BeginMap;
    if (!match.host.empty()) {
        entry(out, "host", match.host);
    }
    if (match.path_exact) {
        entry(out, "path", match.path);
    } else if (!any_path) {
        entry(out, "path_prefix", match.path);
    }
    if (!match.methods.empty()) {
        out << YAML::Key << "methods" << YAML::Value;
        write_strings(out, match.methods);
    }
    if (!match.headers.empty()) {
        out << YAML::Key << "headers" << YAML::Value;
        write_header_map(out, match.headers);
    }
    out << YAML::EndMap;
}

void write_route(Emitter& out, const Route& route) {
    out << YAML::BeginMap;
    entry(out, "name", route.name);
    write_match(out, route.match);
    bool single = route.single_upstream && route.split.size() == 1 && route.split[0].weight == 1;
    if (single) {
        entry(out, "upstream", route.split[0].upstream);
    } else {
        out << YAML::Key << "split" << YAML::Value << YAML::BeginSeq;
        for (const auto& side : route.split) {
            out << YAML::Flow << YAML::BeginMap;
            entry(out, "upstream", side.upstream);
            entry(out, "weight", side.weight);
            out << YAML::EndMap;
        }
        out << YAML::EndSeq;
    }
    if (route.sticky.kind != KeySource::Kind::none) {
        entry(out, "sticky", key_source_text(route.sticky));
    }
    if (!route.strip_prefix.empty()) {
        entry(out, "strip_prefix", route.strip_prefix);
    }
    write_header_rules(out, "request_headers", route.request_headers);
    write_header_rules(out, "response_headers", route.response_headers);
    out << YAML::EndMap;
}

// Targets of weight 1 in short form, all on one line when every one is.
void write_targets(Emitter& out, const std::vector<Target>& targets) {
    bool all_plain = std::all_of(targets.begin(), targets.end(),
                                 [](const Target& target) { return target.weight == 1; });
    out << YAML::Key << "targets" << YAML::Value;
    out << (all_plain ? YAML::Flow : YAML::Block) << YAML::BeginSeq;
    for (const auto& target : targets) {
        if (target.weight == 1) {
            write_text(out, target.address.text);
            continue;
        }
        out << YAML::Flow << YAML::BeginMap;
        entry(out, "address", target.address.text);
        entry(out, "weight", target.weight);
        out << YAML::EndMap;
    }
    out << YAML::EndSeq;
}

// The optional sub-maps of an upstream whose every value is a default are
// left out; otherwise only the values that differ are written.
void write_upstream_settings(Emitter& out, const Upstream& upstream) {
    const Upstream defaults;
    if (upstream.keepalive != defaults.keepalive) {
        out << YAML::Key << "keepalive" << YAML::Value << YAML::Flow << YAML::BeginMap;
        if (upstream.keepalive.max_idle != defaults.keepalive.max_idle) {
            entry(out, "max_idle", upstream.keepalive.max_idle);
        }
        if (upstream.keepalive.idle_timeout != defaults.keepalive.idle_timeout) {
            entry(out, "idle_timeout", duration_text(upstream.keepalive.idle_timeout));
        }
        out << YAML::EndMap;
    }
    if (upstream.timeouts != defaults.timeouts) {
        out << YAML::Key << "timeouts" << YAML::Value << YAML::Flow << YAML::BeginMap;
        if (upstream.timeouts.connect != defaults.timeouts.connect) {
            entry(out, "connect", duration_text(upstream.timeouts.connect));
        }
        if (upstream.timeouts.response != defaults.timeouts.response) {
            entry(out, "response", duration_text(upstream.timeouts.response));
        }
        out << YAML::EndMap;
    }
    if (upstream.retries != defaults.retries) {
        entry(out, "retries", upstream.retries);
    }
    if (const auto& check = upstream.health_check) {
        out << YAML::Key << "health_check" << YAML::Value << YAML::BeginMap;
        entry(out, "path", check->path);
        entry(out, "interval", duration_text(check->interval));
        entry(out, "timeout", duration_text(check->timeout));
        entry(out, "unhealthy_after", check->unhealthy_after);
        entry(out, "healthy_after", check->healthy_after);
        out << YAML::EndMap;
    }
    if (upstream.outlier != defaults.outlier) {
        out << YAML::Key << "outlier" << YAML::Value << YAML::Flow << YAML::BeginMap;
        entry(out, "consecutive_failures", upstream.outlier.consecutive_failures);
        entry(out, "eject_for", duration_text(upstream.outlier.eject_for));
        out << YAML::EndMap;
    }
    if (const auto& tls = upstream.tls) {
        out << YAML::Key << "tls" << YAML::Value << YAML::Flow << YAML::BeginMap;
        entry(out, "verify", tls->verify);
        if (!tls->ca.empty()) {
            entry(out, "ca", tls->ca);
        }
        if (!tls->sni.empty()) {
            entry(out, "sni", tls->sni);
        }
        out << YAML::EndMap;
    }
}

// The map that follows `NAME:` under `upstreams:`.
void write_upstream(Emitter& out, const Upstream& upstream) {
    out << YAML::BeginMap;
    write_targets(out, upstream.targets);
    if (upstream.balance != Balance::round_robin) {
        entry(out, "balance", balance_text(upstream.balance));
    }
    // hash_key only means something with balance: hash, and the loader
    // refuses it anywhere else.
    if (upstream.balance == Balance::hash && upstream.hash_key.kind != KeySource::Kind::none) {
        entry(out, "hash_key", key_source_text(upstream.hash_key));
    }
    write_upstream_settings(out, upstream);
    out << YAML::EndMap;
}

void write_listener(Emitter& out, const Listener& listener) {
    out << YAML::BeginMap;
    entry(out, "name", listener.name);
    entry(out, "address", listener.address.text);
    if (listener.tls) {
        out << YAML::Key << "tls" << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "certificates" << YAML::Value << YAML::BeginSeq;
        for (const auto& certificate : listener.tls->certificates) {
            out << YAML::Flow << YAML::BeginMap;
            entry(out, "cert", certificate.cert);
            entry(out, "key", certificate.key);
            out << YAML::EndMap;
        }
        out << YAML::EndSeq;
        out << YAML::Key << "min_version" << YAML::Value << YAML::DoubleQuoted
            << listener.tls->min_version;
        out << YAML::EndMap;
    }
    out << YAML::EndMap;
}

void write_admin(Emitter& out, const Admin& admin) {
    out << YAML::Key << "admin" << YAML::Value << YAML::BeginMap;
    entry(out, "socket", admin.socket);
    if (admin.mode) {
        out << YAML::Key << "mode" << YAML::Value << YAML::DoubleQuoted << mode_text(*admin.mode);
    }
    if (!admin.allow_uids.empty()) {
        out << YAML::Key << "allow_uids" << YAML::Value << YAML::Flow << YAML::BeginSeq;
        for (unsigned uid : admin.allow_uids) {
            out << uid;
        }
        out << YAML::EndSeq;
    }
    out << YAML::EndMap;
}

void write_limits(Emitter& out, const Limits& limits) {
    const Limits defaults;
    if (limits == defaults) {
        return;
    }
    out << YAML::Key << "limits" << YAML::Value << YAML::BeginMap;
    if (limits.max_header_bytes != defaults.max_header_bytes) {
        entry(out, "max_header_bytes", size_text(limits.max_header_bytes));
    }
    if (limits.max_body_bytes != defaults.max_body_bytes) {
        entry(out, "max_body_bytes", size_text(limits.max_body_bytes));
    }
    if (limits.header_timeout != defaults.header_timeout) {
        entry(out, "header_timeout", duration_text(limits.header_timeout));
    }
    if (limits.idle_timeout != defaults.idle_timeout) {
        entry(out, "idle_timeout", duration_text(limits.idle_timeout));
    }
    if (limits.drain_timeout != defaults.drain_timeout) {
        entry(out, "drain_timeout", duration_text(limits.drain_timeout));
    }
    out << YAML::EndMap;
}

// workers, admin, state_dir, access_log and limits: one block.
std::string settings_section(const Config& config) {
    Emitter out;
    out << YAML::BeginMap;
    if (config.workers == 0) {
        entry(out, "workers", "auto");
    } else {
        entry(out, "workers", config.workers);
    }
    write_admin(out, config.admin);
    entry(out, "state_dir", config.state_dir);
    if (config.access_log) {
        entry(out, "access_log", *config.access_log);
    }
    write_limits(out, config.limits);
    out << YAML::EndMap;
    return out.c_str();
}

// `key:` and its list or map, written by `body`.
template <typename Body>
std::string section(const char* key, Body body) {
    Emitter out;
    out << YAML::BeginMap << YAML::Key << key << YAML::Value;
    body(out);
    out << YAML::EndMap;
    return out.c_str();
}

}  // namespace

std::string to_yaml(const Config& config) {
    std::string text = "# turnout configuration; every key is described in docs/configuration.md\n";
    text += settings_section(config);
    text += "\n\n";
    text += section("listeners", [&](Emitter& out) {
        out << (config.listeners.empty() ? YAML::Flow : YAML::Block) << YAML::BeginSeq;
        for (const auto& listener : config.listeners) {
            write_listener(out, listener);
        }
        out << YAML::EndSeq;
    });
    text += "\n\n";
    text += section("upstreams", [&](Emitter& out) {
        out << (config.upstreams.empty() ? YAML::Flow : YAML::Block) << YAML::BeginMap;
        for (const auto& upstream : config.upstreams) {
            out << YAML::Key;
            write_text(out, upstream.name);
            out << YAML::Value;
            write_upstream(out, upstream);
        }
        out << YAML::EndMap;
    });
    text += "\n\n";
    text += section("routes", [&](Emitter& out) {
        out << (config.routes.empty() ? YAML::Flow : YAML::Block) << YAML::BeginSeq;
        for (const auto& route : config.routes) {
            write_route(out, route);
        }
        out << YAML::EndSeq;
    });
    text += "\n";
    return text;
}

std::string to_yaml(const Route& route) {
    Emitter out;
    write_route(out, route);
    return std::string(out.c_str()) + "\n";
}

std::string to_yaml(const Upstream& upstream) {
    Emitter out;
    write_upstream(out, upstream);
    return std::string(out.c_str()) + "\n";
}

}  // namespace turnout::config

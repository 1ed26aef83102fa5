// Config ⇄ JSON (see json_codec.hpp). The JSON mirrors the structs field by
// field: durations are integer milliseconds, addresses their text (parsed
// again on the way in), enums their names, an absent optional null, header
// lists arrays of [name, value] pairs. Decoding is in json_codec_decode.cpp.

#include "config/json_codec.hpp"
#include "config/json_codec_names.hpp"
#include "config/json_writer.hpp"

#include <boost/json/value.hpp>

#include <concepts>

namespace turnout::config {

namespace json = boost::json;
using detail::balance_names;
using detail::key_kind_names;

namespace {

// --- encoding ---------------------------------------------------------------

// Writes the JSON text field by field (see json_writer.hpp for why no tree).
class Encoder {
public:
    explicit Encoder(std::string& out) : out_{out} {}

    void config(const Config& config) {
        out_.begin_object();
        field("source_path", config.source_path);
        field("workers", config.workers);
        out_.key("admin");
        admin(config.admin);
        field("state_dir", config.state_dir);
        out_.key("access_log");
        if (config.access_log) {
            out_.string(*config.access_log);
        } else {
            out_.null();
        }
        out_.key("limits");
        limits(config.limits);
        out_.key("listeners");
        each(config.listeners, [this](const Listener& value) { listener(value); });
        out_.key("upstreams");
        each(config.upstreams, [this](const Upstream& value) { upstream(value); });
        out_.key("routes");
        each(config.routes, [this](const Route& value) { route(value); });
        out_.end_object();
    }

    void route(const Route& route) {
        out_.begin_object();
        field("name", route.name);
        const RouteMatch& match = route.match;
        out_.key("match");
        out_.begin_object();
        field("host", match.host);
        field("path", match.path);
        field("path_exact", match.path_exact);
        out_.key("methods");
        strings(match.methods);
        out_.key("headers");
        header_list(match.headers);
        out_.end_object();
        out_.key("split");
        each(route.split, [this](const SplitEntry& entry) {
            out_.begin_object();
            field("upstream", entry.upstream);
            field("weight", entry.weight);
            out_.end_object();
        });
        field("single_upstream", route.single_upstream);
        out_.key("sticky");
        key_source(route.sticky);
        field("strip_prefix", route.strip_prefix);
        out_.key("request_headers");
        header_rules(route.request_headers);
        out_.key("response_headers");
        header_rules(route.response_headers);
        out_.end_object();
    }

    void upstream(const Upstream& upstream) {
        out_.begin_object();
        field("name", upstream.name);
        out_.key("targets");
        each(upstream.targets, [this](const Target& target) {
            out_.begin_object();
            field("address", target.address.text);
            field("weight", target.weight);
            out_.end_object();
        });
        field("balance", balance_names[static_cast<std::size_t>(upstream.balance)]);
        out_.key("hash_key");
        key_source(upstream.hash_key);
        out_.key("keepalive");
        out_.begin_object();
        field("max_idle", upstream.keepalive.max_idle);
        duration("idle_timeout", upstream.keepalive.idle_timeout);
        out_.end_object();
        out_.key("timeouts");
        out_.begin_object();
        duration("connect", upstream.timeouts.connect);
        duration("response", upstream.timeouts.response);
        out_.end_object();
        field("retries", upstream.retries);
        out_.key("health_check");
        if (const auto& check = upstream.health_check) {
            out_.begin_object();
            field("path", check->path);
            duration("interval", check->interval);
            duration("timeout", check->timeout);
            field("unhealthy_after", check->unhealthy_after);
            field("healthy_after", check->healthy_after);
            out_.end_object();
        } else {
            out_.null();
        }
        out_.key("outlier");
        out_.begin_object();
        field("consecutive_failures", upstream.outlier.consecutive_failures);
        duration("eject_for", upstream.outlier.eject_for);
        out_.end_object();
        out_.key("tls");
        if (const auto& tls = upstream.tls) {
            out_.begin_object();
            field("verify", tls->verify);
            field("ca", tls->ca);
            field("sni", tls->sni);
            out_.end_object();
        } else {
            out_.null();
        }
        out_.end_object();
    }

private:
    void field(std::string_view name, std::string_view text) {
        out_.key(name);
        out_.string(text);
    }
    void field(std::string_view name, bool value) {
        out_.key(name);
        out_.boolean(value);
    }
    template <std::integral Integer>
    requires(!std::same_as<Integer, bool>) void field(std::string_view name, Integer value) {
        out_.key(name);
        out_.number(value);
    }
    void duration(std::string_view name, Duration value) {
        field(name, static_cast<std::int64_t>(value.count()));
    }

    template <class Items, class Write>
    void each(const Items& items, Write write) {
        out_.begin_array();
        for (const auto& item : items) {
            write(item);
        }
        out_.end_array();
    }

    void strings(const std::vector<std::string>& items) {
        each(items, [this](const std::string& item) { out_.string(item); });
    }

    void header_list(const HeaderList& headers) {
        each(headers, [this](const auto& header) {
            out_.begin_array();
            out_.string(header.first);
            out_.string(header.second);
            out_.end_array();
        });
    }

    void key_source(const KeySource& source) {
        out_.begin_object();
        field("kind", key_kind_names[static_cast<std::size_t>(source.kind)]);
        field("name", source.name);
        out_.end_object();
    }

    void header_rules(const HeaderRules& rules) {
        out_.begin_object();
        out_.key("set");
        header_list(rules.set);
        out_.key("remove");
        strings(rules.remove);
        out_.end_object();
    }

    void limits(const Limits& value) {
        out_.begin_object();
        field("max_header_bytes", value.max_header_bytes);
        field("max_body_bytes", value.max_body_bytes);
        duration("header_timeout", value.header_timeout);
        duration("idle_timeout", value.idle_timeout);
        duration("drain_timeout", value.drain_timeout);
        duration("send_timeout", value.send_timeout);
        field("max_headers", value.max_headers);
        field("max_connections", value.max_connections);
        out_.end_object();
    }

    void admin(const Admin& value) {
        out_.begin_object();
        field("socket", value.socket);
        out_.key("mode");
        if (value.mode) {
            out_.number(*value.mode);
        } else {
            out_.null();
        }
        out_.key("allow_uids");
        each(value.allow_uids, [this](unsigned uid) { out_.number(uid); });
        out_.end_object();
    }

    void listener(const Listener& value) {
        out_.begin_object();
        field("name", value.name);
        field("address", value.address.text);
        out_.key("tls");
        if (value.tls) {
            out_.begin_object();
            out_.key("certificates");
            each(value.tls->certificates, [this](const auto& certificate) {
                out_.begin_object();
                field("cert", certificate.cert);
                field("key", certificate.key);
                out_.end_object();
            });
            field("min_version", value.tls->min_version);
            out_.end_object();
        } else {
            out_.null();
        }
        out_.key("http2");
        if (value.http2) {
            out_.begin_object();
            field("max_concurrent_streams", value.http2->max_concurrent_streams);
            field("initial_window_size", value.http2->initial_window_size);
            field("max_header_list_size", value.http2->max_header_list_size);
            out_.end_object();
        } else {
            out_.null();
        }
        out_.end_object();
    }

    JsonWriter out_;
};

// What the text codec writes is JSON by construction; parsed back for the
// callers that embed a route or upstream in a larger value.
json::value parsed(const std::string& text) {
    return *parse_json(text);
}

}  // namespace

std::string to_json_text(const Config& config) {
    std::string text;
    // About 600 bytes a route: one allocation for most configs.
    text.reserve(4096 + 640 * config.routes.size() + 256 * config.upstreams.size());
    Encoder{text}.config(config);
    return text;
}

std::string to_json_text(const Route& route) {
    std::string text;
    Encoder{text}.route(route);
    return text;
}

std::string to_json_text(const Upstream& upstream) {
    std::string text;
    Encoder{text}.upstream(upstream);
    return text;
}

json::value to_json(const Config& config) {
    return parsed(to_json_text(config));
}

json::value to_json(const Route& route) {
    return parsed(to_json_text(route));
}

json::value to_json(const Upstream& upstream) {
    return parsed(to_json_text(upstream));
}

}  // namespace turnout::config

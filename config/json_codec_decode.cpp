// JSON → Config, the inverse of json_codec.cpp: every field must be there
// with the type to_json gives it; anything else decodes to nothing.

#include "config/json_codec.hpp"
#include "config/json_codec_names.hpp"

#include "config/loader.hpp"

#include <boost/json.hpp>

#include <limits>

namespace turnout::config {

namespace json = boost::json;
using detail::balance_names;
using detail::enum_from_name;
using detail::key_kind_names;

namespace {

// --- decoding ---------------------------------------------------------------

// A non-negative integer, whichever of int64 and uint64 Boost.JSON chose.
std::optional<std::uint64_t> as_uint(const json::value& value) {
    if (const auto* number = value.if_uint64()) {
        return *number;
    }
    if (const auto* number = value.if_int64(); number && *number >= 0) {
        return static_cast<std::uint64_t>(*number);
    }
    return std::nullopt;
}

// Reads the fields of one JSON object into C++ values. The first field that
// is missing or of the wrong type makes ok() false; later reads then do
// nothing, so a decoder reads every field and checks ok() once at the end.
class Fields {
public:
    explicit Fields(const json::value* value)
        : object_(value ? value->if_object() : nullptr), ok_(object_ != nullptr) {}
    explicit Fields(const json::value& value) : Fields(&value) {}

    bool ok() const { return ok_; }

    // The field, or nullptr (and not ok) when it is missing.
    const json::value* get(std::string_view key) {
        if (!ok_) {
            return nullptr;
        }
        const json::value* value = object_->if_contains(key);
        ok_ = value != nullptr;
        return value;
    }

    // The field, or nullptr when it is null or missing: an empty optional.
    const json::value* get_optional(std::string_view key) {
        if (!ok_) {
            return nullptr;
        }
        const json::value* value = object_->if_contains(key);
        return value && !value->is_null() ? value : nullptr;
    }

    void read(std::string_view key, std::string& out) { read_string(get(key), out); }
    void read(std::string_view key, bool& out) {
        const json::value* value = get(key);
        if (value && check(value->is_bool())) {
            out = value->get_bool();
        }
    }
    void read(std::string_view key, std::uint64_t& out) {
        read_int(get(key), out, std::numeric_limits<std::uint64_t>::max());
    }
    void read(std::string_view key, std::uint32_t& out) {
        std::uint64_t value = 0;
        read_int(get(key), value, std::numeric_limits<std::uint32_t>::max());
        out = static_cast<std::uint32_t>(value);
    }
    void read(std::string_view key, Duration& out) {
        std::uint64_t value = 0;
        read_int(get(key), value,
                 static_cast<std::uint64_t>(std::numeric_limits<Duration::rep>::max()));
        out = Duration(static_cast<Duration::rep>(value));
    }
    void read(std::string_view key, std::vector<std::string>& out) {
        const json::array* items = array(get(key));
        if (!items) {
            return;
        }
        out.resize(items->size());
        for (std::size_t i = 0; i < items->size(); ++i) {
            read_string(&(*items)[i], out[i]);
        }
    }
    void read(std::string_view key, HeaderList& out) {
        const json::array* items = array(get(key));
        if (!items) {
            return;
        }
        out.resize(items->size());
        for (std::size_t i = 0; i < items->size(); ++i) {
            const json::array* pair = array(&(*items)[i]);
            if (!pair || !check(pair->size() == 2)) {
                return;
            }
            read_string(&(*pair)[0], out[i].first);
            read_string(&(*pair)[1], out[i].second);
        }
    }

    // The field as an array; nullptr (and not ok) when it is not one.
    const json::array* array(const json::value* value) {
        const json::array* items = value ? value->if_array() : nullptr;
        check(items != nullptr);
        return items;
    }

    // Folds the result of a nested decoder into ok().
    template <typename T>
    void take(std::optional<T> value, T& out) {
        if (check(value.has_value())) {
            out = std::move(*value);
        }
    }

    bool check(bool condition) {
        ok_ = ok_ && condition;
        return ok_;
    }

private:
    void read_string(const json::value* value, std::string& out) {
        const json::string* text = value ? value->if_string() : nullptr;
        if (check(text != nullptr)) {
            out.assign(text->data(), text->size());
        }
    }
    void read_int(const json::value* value, std::uint64_t& out, std::uint64_t max) {
        std::optional<std::uint64_t> number = value ? as_uint(*value) : std::nullopt;
        if (check(number && *number <= max)) {
            out = *number;
        }
    }

    const json::object* object_;
    bool ok_;
};

std::optional<Address> address_from_json(const json::value* value) {
    const json::string* text = value ? value->if_string() : nullptr;
    if (!text) {
        return std::nullopt;
    }
    return parse_address(std::string_view(text->data(), text->size()));
}

std::optional<KeySource> key_source_from_json(const json::value* value) {
    Fields fields(value);
    std::string kind;
    KeySource source;
    fields.read("kind", kind);
    fields.read("name", source.name);
    fields.take(enum_from_name<KeySource::Kind>(key_kind_names, kind), source.kind);
    return fields.ok() ? std::optional(source) : std::nullopt;
}

std::optional<HeaderRules> header_rules_from_json(const json::value* value) {
    Fields fields(value);
    HeaderRules rules;
    fields.read("set", rules.set);
    fields.read("remove", rules.remove);
    return fields.ok() ? std::optional(rules) : std::nullopt;
}

std::optional<RouteMatch> match_from_json(const json::value* value) {
    Fields fields(value);
    RouteMatch match;
    fields.read("host", match.host);
    fields.read("path", match.path);
    fields.read("path_exact", match.path_exact);
    fields.read("methods", match.methods);
    fields.read("headers", match.headers);
    return fields.ok() ? std::optional(match) : std::nullopt;
}

std::optional<Target> target_from_json(const json::value& value) {
    Fields fields(value);
    Target target;
    fields.take(address_from_json(fields.get("address")), target.address);
    fields.read("weight", target.weight);
    return fields.ok() ? std::optional(target) : std::nullopt;
}

std::optional<HealthCheck> health_check_from_json(const json::value* value) {
    Fields fields(value);
    HealthCheck check;
    fields.read("path", check.path);
    fields.read("interval", check.interval);
    fields.read("timeout", check.timeout);
    fields.read("unhealthy_after", check.unhealthy_after);
    fields.read("healthy_after", check.healthy_after);
    return fields.ok() ? std::optional(check) : std::nullopt;
}

std::optional<UpstreamTls> upstream_tls_from_json(const json::value* value) {
    Fields fields(value);
    UpstreamTls tls;
    fields.read("verify", tls.verify);
    fields.read("ca", tls.ca);
    fields.read("sni", tls.sni);
    return fields.ok() ? std::optional(tls) : std::nullopt;
}

void read_upstream_settings(Fields& fields, Upstream& upstream) {
    Fields keepalive(fields.get("keepalive"));
    keepalive.read("max_idle", upstream.keepalive.max_idle);
    keepalive.read("idle_timeout", upstream.keepalive.idle_timeout);
    fields.check(keepalive.ok());

    Fields timeouts(fields.get("timeouts"));
    timeouts.read("connect", upstream.timeouts.connect);
    timeouts.read("response", upstream.timeouts.response);
    fields.check(timeouts.ok());

    Fields outlier(fields.get("outlier"));
    outlier.read("consecutive_failures", upstream.outlier.consecutive_failures);
    outlier.read("eject_for", upstream.outlier.eject_for);
    fields.check(outlier.ok());

    fields.read("retries", upstream.retries);
    if (const json::value* check = fields.get_optional("health_check")) {
        fields.take(health_check_from_json(check), upstream.health_check.emplace());
    }
    if (const json::value* tls = fields.get_optional("tls")) {
        fields.take(upstream_tls_from_json(tls), upstream.tls.emplace());
    }
}

std::optional<Limits> limits_from_json(const json::value* value) {
    Fields fields(value);
    Limits limits;
    fields.read("max_header_bytes", limits.max_header_bytes);
    fields.read("max_body_bytes", limits.max_body_bytes);
    fields.read("header_timeout", limits.header_timeout);
    fields.read("idle_timeout", limits.idle_timeout);
    fields.read("drain_timeout", limits.drain_timeout);
    fields.read("send_timeout", limits.send_timeout);
    fields.read("max_headers", limits.max_headers);
    fields.read("max_connections", limits.max_connections);
    return fields.ok() ? std::optional(limits) : std::nullopt;
}

std::optional<Admin> admin_from_json(const json::value* value) {
    Fields fields(value);
    Admin admin;
    fields.read("socket", admin.socket);
    constexpr std::uint64_t max_unsigned = std::numeric_limits<unsigned>::max();
    if (const json::value* mode = fields.get_optional("mode")) {
        auto number = as_uint(*mode);
        if (fields.check(number && *number <= max_unsigned)) {
            admin.mode = static_cast<unsigned>(*number);
        }
    }
    if (const json::array* uids = fields.array(fields.get("allow_uids"))) {
        for (const auto& uid : *uids) {
            auto number = as_uint(uid);
            if (!fields.check(number && *number <= max_unsigned)) {
                break;
            }
            admin.allow_uids.push_back(static_cast<unsigned>(*number));
        }
    }
    return fields.ok() ? std::optional(admin) : std::nullopt;
}

std::optional<Listener> listener_from_json(const json::value& value) {
    Fields fields(value);
    Listener listener;
    fields.read("name", listener.name);
    fields.take(address_from_json(fields.get("address")), listener.address);
    if (const json::value* tls_json = fields.get_optional("tls")) {
        Fields tls(tls_json);
        ListenerTls& out = listener.tls.emplace();
        tls.read("min_version", out.min_version);
        if (const json::array* certificates = tls.array(tls.get("certificates"))) {
            for (const auto& item : *certificates) {
                Fields certificate(item);
                TlsCertificate& entry = out.certificates.emplace_back();
                certificate.read("cert", entry.cert);
                certificate.read("key", entry.key);
                tls.check(certificate.ok());
            }
        }
        fields.check(tls.ok());
    }
    if (const json::value* http2_json = fields.get_optional("http2")) {
        Fields http2(http2_json);
        Http2Settings& out = listener.http2.emplace();
        http2.read("max_concurrent_streams", out.max_concurrent_streams);
        http2.read("initial_window_size", out.initial_window_size);
        http2.read("max_header_list_size", out.max_header_list_size);
        fields.check(http2.ok());
    }
    return fields.ok() ? std::optional(listener) : std::nullopt;
}

// Decodes every item of the array `key` with `decode`.
template <typename T, typename Decode>
void read_items(Fields& fields, std::string_view key, std::vector<T>& out, Decode decode) {
    const json::array* items = fields.array(fields.get(key));
    if (!items) {
        return;
    }
    out.reserve(items->size());
    for (const auto& item : *items) {
        std::optional<T> value = decode(item);
        if (!fields.check(value.has_value())) {
            return;
        }
        out.push_back(std::move(*value));
    }
}

// Decoded into an array first, then shared: each item's block is allocated
// after everything the items own, not between one item's strings and the
// next's, so a worker that moves the routes into its route table frees the
// blocks as one stretch of heap it can give back to the system.
template <typename T, typename Decode>
void read_items(Fields& fields, std::string_view key, SharedList<T>& out, Decode decode) {
    std::vector<T> items;
    read_items(fields, key, items, decode);
    out = SharedList<T>(std::move(items));
}

}  // namespace

std::optional<Upstream> upstream_from_json(const json::value& value) {
    Fields fields(value);
    Upstream upstream;
    std::string balance;
    fields.read("name", upstream.name);
    read_items(fields, "targets", upstream.targets, target_from_json);
    fields.read("balance", balance);
    fields.take(enum_from_name<Balance>(balance_names, balance), upstream.balance);
    fields.take(key_source_from_json(fields.get("hash_key")), upstream.hash_key);
    read_upstream_settings(fields, upstream);
    return fields.ok() ? std::optional(std::move(upstream)) : std::nullopt;
}

std::optional<Route> route_from_json(const json::value& value) {
    Fields fields(value);
    Route route;
    fields.read("name", route.name);
    fields.take(match_from_json(fields.get("match")), route.match);
    read_items(fields, "split", route.split, [](const json::value& item) {
        Fields entry(item);
        SplitEntry split;
        entry.read("upstream", split.upstream);
        entry.read("weight", split.weight);
        return entry.ok() ? std::optional(split) : std::nullopt;
    });
    fields.read("single_upstream", route.single_upstream);
    fields.take(key_source_from_json(fields.get("sticky")), route.sticky);
    fields.read("strip_prefix", route.strip_prefix);
    fields.take(header_rules_from_json(fields.get("request_headers")), route.request_headers);
    fields.take(header_rules_from_json(fields.get("response_headers")), route.response_headers);
    return fields.ok() ? std::optional(std::move(route)) : std::nullopt;
}

std::optional<Config> config_from_json(const json::value& value) {
    Fields fields(value);
    Config config;
    fields.read("source_path", config.source_path);
    std::uint32_t workers = 0;
    fields.read("workers", workers);
    config.workers = workers;
    fields.take(admin_from_json(fields.get("admin")), config.admin);
    fields.read("state_dir", config.state_dir);
    if (const json::value* access_log = fields.get_optional("access_log")) {
        const json::string* text = access_log->if_string();
        if (fields.check(text != nullptr)) {
            config.access_log = std::string(text->data(), text->size());
        }
    }
    fields.take(limits_from_json(fields.get("limits")), config.limits);
    read_items(fields, "listeners", config.listeners, listener_from_json);
    read_items(fields, "upstreams", config.upstreams, upstream_from_json);
    read_items(fields, "routes", config.routes, route_from_json);
    return fields.ok() ? std::optional(std::move(config)) : std::nullopt;
}

}  // namespace turnout::config

namespace turnout::config {

std::optional<boost::json::value> parse_json(std::string_view text,
                                             boost::json::storage_ptr storage) {
    boost::json::parse_options options;
    options.allow_invalid_utf8 = true;
    boost::system::error_code ec;
    auto value = boost::json::parse(text, ec, std::move(storage), options);
    if (ec) {
        return std::nullopt;
    }
    return value;
}

}  // namespace turnout::config

// The `limits` and `listeners` sections of SPEC §3.

#include "config/sections.hpp"
#include "config/syntax.hpp"

namespace turnout::config::detail {

namespace {

std::optional<TlsCertificate> read_certificate(Context& context, const Cursor& at) {
    MapReader map(context, at, {"cert", "key"});
    TlsCertificate certificate;
    if (auto cert = map.require("cert")) {
        certificate.cert = read_path(context, *cert).value_or("");
    }
    if (auto key = map.require("key")) {
        certificate.key = read_path(context, *key).value_or("");
    }
    return certificate;
}

std::optional<ListenerTls> read_listener_tls(Context& context, const Cursor& at) {
    MapReader map(context, at, {"certificates", "min_version"});
    ListenerTls tls;
    if (auto certificates = map.require("certificates")) {
        bool ok = for_each_item(context, *certificates, [&](const Cursor& item) {
            if (auto certificate = read_certificate(context, item)) {
                tls.certificates.push_back(std::move(*certificate));
            }
        });
        if (ok && tls.certificates.empty()) {
            context.error(*certificates,
                          "needs at least one certificate, e.g. [{ cert: a.pem, key: a.key }]");
        }
    }
    map.read("min_version", tls.min_version, [](Context& c, const Cursor& value) {
        return read_choice(c, value, {"1.2", "1.3"});
    });
    return tls;
}

// RFC 9113 §6.5.2: a window above 2^31-1 is a FLOW_CONTROL_ERROR.
constexpr std::uint64_t max_window_size = 0x7fffffff;

// `http2: true`, `false`, or a map of settings (each defaulted when absent).
std::optional<Http2Settings> read_http2(Context& context, const Cursor& at) {
    if (!at.is_map()) {
        const auto on = read_bool(context, at);
        return on.value_or(false) ? std::optional(Http2Settings{}) : std::nullopt;
    }
    MapReader map(context, at,
                  {"max_concurrent_streams", "initial_window_size", "max_header_list_size"});
    Http2Settings settings;
    map.read("max_concurrent_streams", settings.max_concurrent_streams,
             [](Context& c, const Cursor& value) { return read_u32(c, value, 1); });
    auto size_up_to = [](std::uint64_t max) {
        return [max](Context& c, const Cursor& value) -> std::optional<std::uint32_t> {
            const auto size = read_size(c, value, 1024);
            if (size && *size > max) {
                c.error(value, "must be at most " + std::to_string(max) + " bytes, got " +
                                   value.describe());
                return std::nullopt;
            }
            return size ? std::optional(static_cast<std::uint32_t>(*size)) : std::nullopt;
        };
    };
    map.read("initial_window_size", settings.initial_window_size, size_up_to(max_window_size));
    map.read("max_header_list_size", settings.max_header_list_size, size_up_to(UINT32_MAX));
    return settings;
}

Listener read_listener(Context& context, const Cursor& at, UniqueCheck& names,
                       UniqueCheck& addresses) {
    MapReader map(context, at, {"name", "address", "tls", "http2"});
    Listener listener;
    if (auto name = map.require("name")) {
        if (auto value = read_name(context, *name)) {
            listener.name = *value;
            names.check(context, *name, *value, "'" + *value + "'");
        }
    }
    if (auto address = map.require("address")) {
        if (auto value = read_address(context, *address, AddressUse::listener)) {
            listener.address = *value;
            // Port 0 asks the kernel for a free port: never a clash.
            if (value->endpoint.port() != 0) {
                std::string key = value->endpoint.address().to_string() + " port " +
                                  std::to_string(value->endpoint.port());
                addresses.check(context, *address, key, quote(value->text));
            }
        }
    }
    if (auto tls = map.get("tls")) {
        listener.tls = read_listener_tls(context, *tls);
    }
    if (auto http2 = map.get("http2")) {
        listener.http2 = read_http2(context, *http2);
    }
    return listener;
}

}  // namespace

void read_limits(Context& context, const Cursor& at, Limits& limits) {
    MapReader map(context, at,
                  {"max_header_bytes", "max_body_bytes", "header_timeout", "idle_timeout",
                   "drain_timeout", "send_timeout", "max_headers", "max_connections"});
    auto positive_size = [](Context& c, const Cursor& value) { return read_size(c, value, 1); };
    auto any_size = [](Context& c, const Cursor& value) { return read_size(c, value, 0); };
    auto positive = [](Context& c, const Cursor& value) {
        return read_duration(c, value, Duration(1));
    };
    auto any_duration = [](Context& c, const Cursor& value) { return read_duration(c, value); };
    map.read("max_header_bytes", limits.max_header_bytes, positive_size);
    map.read("max_body_bytes", limits.max_body_bytes, any_size);
    map.read("header_timeout", limits.header_timeout, positive);
    map.read("idle_timeout", limits.idle_timeout, positive);
    map.read("drain_timeout", limits.drain_timeout, any_duration);
    map.read("send_timeout", limits.send_timeout, positive);
    map.read("max_headers", limits.max_headers,
             [](Context& c, const Cursor& value) { return read_uint(c, value, 1, UINT32_MAX); });
    map.read("max_connections", limits.max_connections,
             [](Context& c, const Cursor& value) { return read_uint(c, value, 0, UINT32_MAX); });
}

std::vector<Listener> read_listeners(Context& context, const Cursor& at) {
    std::vector<Listener> listeners;
    UniqueCheck names("listener name");
    UniqueCheck addresses("listener address");
    for_each_item(context, at, [&](const Cursor& item) {
        listeners.push_back(read_listener(context, item, names, addresses));
    });
    return listeners;
}

}  // namespace turnout::config::detail

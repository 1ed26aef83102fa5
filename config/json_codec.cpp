// Config ⇄ JSON (see json_codec.hpp). The JSON mirrors the structs field by
// field: durations are integer milliseconds, addresses their text (parsed
// again on the way in), enums their names, an absent optional null, header
// lists arrays of [name, value] pairs. Decoding is in json_codec_decode.cpp.

#include "config/json_codec.hpp"
#include "config/json_codec_names.hpp"

#include <boost/json.hpp>

namespace turnout::config {

namespace json = boost::json;
using detail::balance_names;
using detail::key_kind_names;

namespace {

// --- encoding ---------------------------------------------------------------

// Builds the JSON in one memory resource: a whole config is hundreds of
// thousands of small allocations, which a monotonic resource makes a
// pointer bump each (and frees at once with the value).
class Encoder {
public:
    explicit Encoder(json::storage_ptr storage) : sp_(std::move(storage)) {}

    json::value config(const Config& config) const {
        json::array listeners(sp_);
        for (const auto& value : config.listeners) {
            listeners.push_back(listener(value));
        }
        json::array upstreams(sp_);
        upstreams.reserve(config.upstreams.size());
        for (const auto& value : config.upstreams) {
            upstreams.push_back(upstream(value));
        }
        json::array routes(sp_);
        routes.reserve(config.routes.size());
        for (const auto& value : config.routes) {
            routes.push_back(route(value));
        }
        return object({{"source_path", config.source_path},
                       {"workers", config.workers},
                       {"admin", admin(config.admin)},
                       {"state_dir", config.state_dir},
                       {"access_log", config.access_log ? string(*config.access_log) : null()},
                       {"limits", limits(config.limits)},
                       {"listeners", std::move(listeners)},
                       {"upstreams", std::move(upstreams)},
                       {"routes", std::move(routes)}});
    }

    json::value route(const Route& route) const {
        json::array split(sp_);
        split.reserve(route.split.size());
        for (const auto& entry : route.split) {
            split.push_back(object({{"upstream", entry.upstream}, {"weight", entry.weight}}));
        }
        const RouteMatch& match = route.match;
        return object({{"name", route.name},
                       {"match", object({{"host", match.host},
                                         {"path", match.path},
                                         {"path_exact", match.path_exact},
                                         {"methods", strings(match.methods)},
                                         {"headers", header_list(match.headers)}})},
                       {"split", std::move(split)},
                       {"single_upstream", route.single_upstream},
                       {"sticky", key_source(route.sticky)},
                       {"strip_prefix", route.strip_prefix},
                       {"request_headers", header_rules(route.request_headers)},
                       {"response_headers", header_rules(route.response_headers)}});
    }

    json::value upstream(const Upstream& upstream) const {
        json::array targets(sp_);
        targets.reserve(upstream.targets.size());
        for (const auto& target : upstream.targets) {
            targets.push_back(
                object({{"address", target.address.text}, {"weight", target.weight}}));
        }
        json::value health_check = null();
        if (const auto& check = upstream.health_check) {
            health_check = object({{"path", check->path},
                                   {"interval", duration(check->interval)},
                                   {"timeout", duration(check->timeout)},
                                   {"unhealthy_after", check->unhealthy_after},
                                   {"healthy_after", check->healthy_after}});
        }
        json::value tls = null();
        if (const auto& value = upstream.tls) {
            tls = object({{"verify", value->verify}, {"ca", value->ca}, {"sni", value->sni}});
        }
        const Keepalive& keepalive = upstream.keepalive;
        const Outlier& outlier = upstream.outlier;
        return object({{"name", upstream.name},
                       {"targets", std::move(targets)},
                       {"balance", balance_names[static_cast<std::size_t>(upstream.balance)]},
                       {"hash_key", key_source(upstream.hash_key)},
                       {"keepalive", object({{"max_idle", keepalive.max_idle},
                                             {"idle_timeout", duration(keepalive.idle_timeout)}})},
                       {"timeouts", object({{"connect", duration(upstream.timeouts.connect)},
                                            {"response", duration(upstream.timeouts.response)}})},
                       {"retries", upstream.retries},
                       {"health_check", std::move(health_check)},
                       {"outlier", object({{"consecutive_failures", outlier.consecutive_failures},
                                           {"eject_for", duration(outlier.eject_for)}})},
                       {"tls", std::move(tls)}});
    }

private:
    json::value object(
        std::initializer_list<std::pair<json::string_view, json::value_ref>> items) const {
        return json::value(json::object(items, sp_));
    }
    json::value string(std::string_view text) const { return json::value(text, sp_); }
    json::value null() const { return json::value(nullptr, sp_); }
    json::value duration(Duration value) const {
        return json::value(static_cast<std::int64_t>(value.count()), sp_);
    }

    json::value strings(const std::vector<std::string>& items) const {
        json::array out(sp_);
        out.reserve(items.size());
        for (const auto& item : items) {
            out.emplace_back(item);
        }
        return out;
    }

    json::value header_list(const HeaderList& headers) const {
        json::array out(sp_);
        out.reserve(headers.size());
        for (const auto& [name, value] : headers) {
            json::array pair(sp_);
            pair.reserve(2);
            pair.emplace_back(name);
            pair.emplace_back(value);
            out.push_back(std::move(pair));
        }
        return out;
    }

    json::value key_source(const KeySource& source) const {
        return object({{"kind", key_kind_names[static_cast<std::size_t>(source.kind)]},
                       {"name", source.name}});
    }

    json::value header_rules(const HeaderRules& rules) const {
        return object({{"set", header_list(rules.set)}, {"remove", strings(rules.remove)}});
    }

    json::value limits(const Limits& value) const {
        return object({{"max_header_bytes", value.max_header_bytes},
                       {"max_body_bytes", value.max_body_bytes},
                       {"header_timeout", duration(value.header_timeout)},
                       {"idle_timeout", duration(value.idle_timeout)},
                       {"drain_timeout", duration(value.drain_timeout)},
                       {"send_timeout", duration(value.send_timeout)},
                       {"max_headers", value.max_headers},
                       {"max_connections", value.max_connections}});
    }

    json::value admin(const Admin& value) const {
        json::array uids(sp_);
        for (unsigned uid : value.allow_uids) {
            uids.emplace_back(uid);
        }
        return object({{"socket", value.socket},
                       {"mode", value.mode ? json::value(*value.mode, sp_) : null()},
                       {"allow_uids", std::move(uids)}});
    }

    json::value listener(const Listener& value) const {
        json::value tls = null();
        if (value.tls) {
            json::array certificates(sp_);
            for (const auto& certificate : value.tls->certificates) {
                certificates.push_back(
                    object({{"cert", certificate.cert}, {"key", certificate.key}}));
            }
            tls = object({{"certificates", std::move(certificates)},
                          {"min_version", value.tls->min_version}});
        }
        json::value http2 = null();
        if (value.http2) {
            http2 = object({{"max_concurrent_streams", value.http2->max_concurrent_streams},
                            {"initial_window_size", value.http2->initial_window_size},
                            {"max_header_list_size", value.http2->max_header_list_size}});
        }
        return object({{"name", value.name},
                       {"address", value.address.text},
                       {"tls", std::move(tls)},
                       {"http2", std::move(http2)}});
    }

    json::storage_ptr sp_;
};

}  // namespace

// One route or upstream travels alone or inside a delta message: the
// default resource, so that moving it into another value does not copy it.
json::value to_json(const Upstream& upstream) {
    return Encoder(json::storage_ptr()).upstream(upstream);
}

json::value to_json(const Route& route) {
    return Encoder(json::storage_ptr()).route(route);
}

json::value to_json(const Config& config) {
    return Encoder(json::make_shared_resource<json::monotonic_resource>()).config(config);
}

}  // namespace turnout::config

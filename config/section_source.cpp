// The bootstrap file's `source:` section (docs/configuration.md): where a
// fleet node reads the rest of its config from.

#include "config/sections.hpp"
#include "config/syntax.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <climits>

namespace turnout::config::detail {

namespace {

// "http://HOST:PORT" or "https://HOST:PORT", nothing after the port.
bool is_endpoint_url(std::string_view url) {
    for (std::string_view scheme : {"http://", "https://"}) {
        if (!url.starts_with(scheme)) {
            continue;
        }
        auto rest = url.substr(scheme.size());
        const auto colon = rest.rfind(':');
        if (colon == std::string_view::npos || colon == 0) {
            return false;
        }
        auto port = parse_uint(rest.substr(colon + 1));
        return port && *port >= 1 && *port <= 65535 &&
               rest.substr(0, colon).find_first_of("/?#@ ") == std::string_view::npos;
    }
    return false;
}

// Host names and the like: letters, digits, '.', '-', '_'.
bool is_node_name(std::string_view name) {
    return !name.empty() && name.size() <= 253 && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
    });
}

std::string host_name() {
    std::array<char, HOST_NAME_MAX + 1> name{};
    if (::gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0') {
        return "localhost";
    }
    return name.data();
}

std::optional<std::vector<std::string>> read_endpoints(Context& context, const Cursor& at) {
    std::vector<std::string> endpoints;
    bool ok = for_each_item(context, at, [&](const Cursor& item) {
        auto url = read_nonempty_string(context, item);
        if (url && !is_endpoint_url(*url)) {
            context.error(item, "must be a URL like http://127.0.0.1:2379 or https://etcd-1:2379 "
                                "(scheme, host and port, no path), got " +
                                    item.describe());
        } else if (url) {
            endpoints.push_back(*url);
        }
    });
    if (ok && endpoints.empty() && context.error_count() == 0) {
        context.error(at, "needs at least one endpoint, e.g. [\"http://127.0.0.1:2379\"]");
    }
    return endpoints;
}

void read_source_tls(Context& context, const Cursor& at, EtcdSource& source) {
    MapReader tls(context, at, {"ca", "cert", "key"});
    tls.read("ca", source.ca, read_path);
    tls.read("cert", source.cert, read_path);
    tls.read("key", source.key, read_path);
    if (source.cert.has_value() != source.key.has_value()) {
        context.error(at,
                      "cert and key go together: give both for a client certificate, or neither");
    }
}

void read_etcd(Context& context, const Cursor& at, EtcdSource& source) {
    MapReader etcd(context, at,
                   {"endpoints", "prefix", "node", "tls", "username", "password_file"});
    if (!etcd.is_map()) {
        return;
    }
    if (auto endpoints = etcd.require("endpoints")) {
        source.endpoints = read_endpoints(context, *endpoints).value_or(std::vector<std::string>{});
    }
    if (auto prefix = etcd.require("prefix")) {
        auto text = read_nonempty_string(context, *prefix);
        if (text && (!text->ends_with('/') || text->find('\0') != std::string::npos)) {
            context.error(*prefix,
                          "must end with '/', e.g. /turnout/prod/, got " + prefix->describe());
        } else if (text) {
            source.prefix = *text;
        }
    }
    source.node = host_name();
    if (auto node = etcd.get("node")) {
        auto text = read_nonempty_string(context, *node);
        if (text && !is_node_name(*text)) {
            context.error(*node,
                          "must be letters, digits, '.', '-' or '_', got " + node->describe());
        } else if (text) {
            source.node = *text;
        }
    }
    if (auto tls = etcd.get("tls")) {
        read_source_tls(context, *tls, source);
    }
    etcd.read("username", source.username, read_nonempty_string);
    etcd.read("password_file", source.password_file, read_path);
    if (source.username.has_value() != source.password_file.has_value()) {
        context.error(at, "username and password_file go together: give both, or neither");
    }
}

}  // namespace

std::optional<EtcdSource> read_source(Context& context, const Cursor& at) {
    MapReader source(context, at, {"etcd"});
    if (!source.is_map()) {
        return std::nullopt;
    }
    auto etcd = source.require("etcd");
    if (!etcd) {
        return std::nullopt;
    }
    EtcdSource result;
    read_etcd(context, *etcd, result);
    return result;
}

}  // namespace turnout::config::detail

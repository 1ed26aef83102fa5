#include "master/etcd/endpoint.hpp"

namespace turnout::master::etcd {

std::optional<Endpoint> parse_endpoint(std::string_view url) {
    Endpoint endpoint{std::string{url}, {}, {}, false};
    std::string_view rest;
    if (url.starts_with("http://")) {
        rest = url.substr(7);
    } else if (url.starts_with("https://")) {
        rest = url.substr(8);
        endpoint.tls = true;
    } else {
        return std::nullopt;
    }
    while (rest.ends_with('/')) {
        rest.remove_suffix(1);
    }
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size()) {
        return std::nullopt;
    }
    auto host = rest.substr(0, colon);
    if (host.starts_with('[') && host.ends_with(']')) {
        host = host.substr(1, host.size() - 2);
    }
    endpoint.host = std::string{host};
    endpoint.port = std::string{rest.substr(colon + 1)};
    return endpoint;
}

}  // namespace turnout::master::etcd

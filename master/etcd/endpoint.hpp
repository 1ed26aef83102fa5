#pragma once

// One etcd member's address as the bootstrap file gives it.

#include <optional>
#include <string>
#include <string_view>

namespace turnout::master::etcd {

struct Endpoint {
    std::string url;  // as given, for messages
    std::string host;
    std::string port;
    bool tls = false;
};

// "http://127.0.0.1:2379", "https://[::1]:2379"; nullopt otherwise.
std::optional<Endpoint> parse_endpoint(std::string_view url);

}  // namespace turnout::master::etcd

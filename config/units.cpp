// The value syntaxes of SPEC §3: durations, sizes and socket addresses.

#include "config/loader.hpp"
#include "config/syntax.hpp"

#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <limits>

namespace turnout::config {

namespace {

namespace ip = boost::asio::ip;

// Longer durations than this would overflow a steady_clock time point (in
// nanoseconds) when added to now(); nobody means them.
constexpr std::uint64_t max_duration_ms = 100ULL * 365 * 24 * 3600 * 1000;

std::optional<std::uint16_t> parse_port(std::string_view text) {
    if (text.size() > 5) {
        return std::nullopt;
    }
    auto value = detail::parse_uint(text);
    if (!value || *value > 65535) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(*value);
}

// The host part of "HOST:PORT" without brackets: an IPv4 address, empty
// (every IPv4 address) or "localhost". Names are never looked up.
std::optional<ip::address> parse_v4_host(std::string_view host) {
    if (host.empty()) {
        return ip::address(ip::address_v4::any());
    }
    if (detail::to_lower(host) == "localhost") {
        return ip::address(ip::address_v4::loopback());
    }
    boost::system::error_code error;
    auto address = ip::make_address_v4(std::string(host), error);
    if (error) {
        return std::nullopt;
    }
    return ip::address(address);
}

std::optional<ip::address> parse_v6_host(std::string_view host) {
    boost::system::error_code error;
    auto address = ip::make_address_v6(std::string(host), error);
    if (error) {
        return std::nullopt;
    }
    return ip::address(address);
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
    struct Unit {
        std::string_view suffix;
        std::uint64_t ms;
    };
    // "ms" before "s" and "m", so the longest suffix wins.
    static constexpr Unit units[] = {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}};
    for (const auto& unit : units) {
        if (!text.ends_with(unit.suffix)) {
            continue;
        }
        auto number = detail::parse_uint(text.substr(0, text.size() - unit.suffix.size()));
        if (!number || *number > max_duration_ms / unit.ms) {
            return std::nullopt;
        }
        return Duration(static_cast<Duration::rep>(*number * unit.ms));
    }
    return std::nullopt;
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
    std::uint64_t multiplier = 1;
    if (!text.empty()) {
        switch (text.back()) {
        case 'k':
        case 'K':
            multiplier = 1ULL << 10;
            break;
        case 'm':
        case 'M':
            multiplier = 1ULL << 20;
            break;
        case 'g':
        case 'G':
            multiplier = 1ULL << 30;
            break;
        default:
            break;
        }
    }
    if (multiplier != 1) {
        text.remove_suffix(1);
    }
    auto number = detail::parse_uint(text);
    if (!number || *number > std::numeric_limits<std::uint64_t>::max() / multiplier) {
        return std::nullopt;
    }
    return *number * multiplier;
}

std::optional<Address> parse_address(std::string_view text) {
    std::optional<ip::address> host;
    std::string_view port_text;
    if (text.starts_with('[')) {
        auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            return std::nullopt;
        }
        host = parse_v6_host(text.substr(1, close - 1));
        port_text = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos) {
            return std::nullopt;
        }
        std::string_view host_text = text.substr(0, colon);
        if (host_text.find(':') != std::string_view::npos) {
            return std::nullopt;  // IPv6 needs brackets: [::1]:8080
        }
        host = parse_v4_host(host_text);
        port_text = text.substr(colon + 1);
    }
    auto port = parse_port(port_text);
    if (!host || !port) {
        return std::nullopt;
    }
    return Address{std::string(text), boost::asio::ip::tcp::endpoint(*host, *port)};
}

}  // namespace turnout::config

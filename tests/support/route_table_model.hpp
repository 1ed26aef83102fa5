#pragma once

// A plain model of SPEC §3's route precedence for testing RouteTable: every
// route is checked against every request and the candidates sorted, so it
// is slow but obviously right. The unit tests and the route_lookup fuzz
// target compare the real table with it.

#include "config/config.hpp"
#include "server/http/head_fields.hpp"

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace turnout::test {

class RouteTableModel {
public:
    // A new name ranks after every route so far; a known one keeps its rank.
    void upsert(const config::Route& route) {
        auto it = routes_.find(route.name);
        std::uint64_t order = it != routes_.end() ? it->second.order : next_order_++;
        routes_[route.name] = {route, order};
    }

    bool remove(const std::string& name) { return routes_.erase(name) == 1; }

    std::size_t size() const { return routes_.size(); }

    // The name of the route for the request, "" when none matches. `host`
    // is the Host header as received.
    std::string match(std::string_view host, std::string_view path, std::string_view method,
                      const turnout::server::HeadFields& headers) const {
        const std::string request_host = normalize_host(host);
        std::vector<Candidate> candidates;
        for (const auto& [name, model] : routes_) {
            const auto& match = model.route.match;
            std::size_t rank = host_rank(match.host, request_host);
            bool path_fits = match.path_exact ? path == match.path : path.starts_with(match.path);
            if (rank > 0 && path_fits) {
                candidates.push_back(
                    {rank, match.path_exact, match.path.size(), model.order, &model.route});
            }
        }
        std::sort(candidates.begin(), candidates.end());
        for (const Candidate& c : candidates) {
            if (accepts(c.route->match, method, headers)) {
                return c.route->name;
            }
        }
        return "";
    }

private:
    struct Entry {
        config::Route route;
        std::uint64_t order = 0;
    };

    // Sorts in precedence order: host rank, exact path, longer path, config order.
    struct Candidate {
        std::size_t host;
        bool exact;
        std::size_t length;
        std::uint64_t order;
        const config::Route* route;

        bool operator<(const Candidate& other) const {
            if (host != other.host) {
                return host > other.host;
            }
            if (exact != other.exact) {
                return exact;
            }
            if (length != other.length) {
                return length > other.length;
            }
            return order < other.order;
        }
    };

    static std::string lower(std::string_view text) {
        std::string result;
        for (char c : text) {
            result += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        }
        return result;
    }

    // SPEC §3: the port, a trailing dot and case do not matter; an "[IPv6]"
    // keeps its colons (and a "[" never closed keeps everything); a Host
    // longer than any name matches only any-host routes (returned as "").
    static std::string normalize_host(std::string_view host) {
        if (host.starts_with('[')) {
            host = host.substr(0, host.find(']') == std::string_view::npos ? host.size()
                                                                           : host.find(']') + 1);
        } else if (std::count(host.begin(), host.end(), ':') == 1) {
            host = host.substr(0, host.find(':'));
        }
        if (host.ends_with('.')) {
            host.remove_suffix(1);
        }
        return host.size() > 256 ? "" : lower(host);
    }

    // How specific `pattern` is for `host`: exact above every wildcard, a
    // longer wildcard suffix above a shorter one, any host last, 0 for none.
    static std::size_t host_rank(const std::string& pattern, const std::string& host) {
        if (pattern.empty()) {
            return 1;
        }
        if (host.empty()) {
            return 0;
        }
        if (pattern.starts_with("*.")) {
            std::string suffix = pattern.substr(1);
            bool fits = host.size() > suffix.size() && host.ends_with(suffix);
            return fits ? 2 + suffix.size() : 0;
        }
        return pattern == host ? 1'000'000 : 0;
    }

    static bool accepts(const config::RouteMatch& match, std::string_view method,
                        const turnout::server::HeadFields& headers) {
        const auto& methods = match.methods;
        if (!methods.empty() &&
            std::find(methods.begin(), methods.end(), method) == methods.end()) {
            return false;
        }
        return std::all_of(match.headers.begin(), match.headers.end(), [&](const auto& header) {
            return std::any_of(headers.begin(), headers.end(), [&](const auto& field) {
                return boost::beast::iequals(field.name_string(), header.first) &&
                       field.value() == header.second;
            });
        });
    }

    std::map<std::string, Entry> routes_;
    std::uint64_t next_order_ = 0;
};

}  // namespace turnout::test

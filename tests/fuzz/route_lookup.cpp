// The route table against RouteTableModel (tests/support), on requests and
// route changes taken from the bytes. The input is lines:
//
//   ?HOST PATH METHOD NAME:VALUE...   a request; the table and the model must agree
//   +NAME HOST# PATH FLAGS            upsert a route; HOST# indexes route_hosts,
//                                     FLAGS: x exact path, G/P methods GET/POST,
//                                     c needs x-canary: 1, e needs x-env: canary
//   -NAME                             remove a route
//
// Every input starts from the same table of varied routes, so requests alone
// probe a fixed table and changes then edit it.

#include "server/http/request_head.hpp"
#include "server/routing/route_table.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/support/route_table_model.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace config = turnout::config;
namespace http = boost::beast::http;
using Fields = turnout::server::RequestHead;
using turnout::server::RouteRequest;
using turnout::server::RouteTable;
using turnout::test::RouteTableModel;

namespace {

// 253 bytes: the longest DNS name, right under the table's host buffer.
const std::string long_host = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                              std::string(63, 'c') + "." + std::string(61, 'd') + ".com";

const std::vector<std::string> route_hosts{
    "",          "api.example.com", "*.example.com", "*.b.example.com", "x.b.example.com",
    "127.0.0.1", long_host,         "*.com"};

config::Route make_route(std::string name, std::string host, std::string path, bool exact,
                         std::vector<std::string> methods = {}, config::HeaderList headers = {}) {
    config::Route route;
    route.name = std::move(name);
    route.match.host = std::move(host);
    route.match.path = std::move(path);
    route.match.path_exact = exact;
    route.match.methods = std::move(methods);
    route.match.headers = std::move(headers);
    route.split = {{"app", 1}};
    return route;
}

// Every kind of host, exact and prefix paths sharing prefixes, and filtered
// routes tied with unfiltered ones, so precedence and fallback both matter.
std::vector<config::Route> fixed_routes() {
    return {
        make_route("api", "api.example.com", "/", false),
        make_route("api-v1-get", "api.example.com", "/v1/", false, {"GET"}),
        make_route("api-users", "api.example.com", "/v1/users", true, {"POST", "PUT"}),
        make_route("api-v1-canary", "api.example.com", "/v1/", false, {}, {{"X-Canary", "1"}}),
        make_route("wild", "*.example.com", "/", false),
        make_route("wild-v1-env", "*.example.com", "/v1/", false, {},
                   {{"x-env", "canary"}, {"x-tenant", "a"}}),
        make_route("wild-b-static", "*.b.example.com", "/static/", false),
        make_route("xb-root", "x.b.example.com", "/", true),
        make_route("ip", "127.0.0.1", "/ip", false),
        make_route("long", long_host, "/", false),
        make_route("any", "", "/", false),
        make_route("any-admin", "", "/admin", false, {}, {{"x-admin", "yes"}}),
        make_route("any-health", "", "/healthz", true, {"GET", "HEAD"}),
        make_route("any-v1-delete", "", "/v1/", false, {"DELETE"}),
        make_route("any-deep", "", "/v1/users/", false),
    };
}

// Splits at the first `separator`: the part before it, and `rest` after it
// (all of `rest` and "" when there is none).
std::string_view take_field(std::string_view& rest, char separator = ' ') {
    auto end = rest.find(separator);
    std::string_view field = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    return field;
}

void probe(const RouteTable& table, const RouteTableModel& model, std::string_view line) {
    std::string_view host = take_field(line);
    std::string_view path = take_field(line);
    std::string_view method = take_field(line);
    Fields headers;
    while (!line.empty()) {
        std::string_view header = take_field(line);
        std::string_view name = take_field(header, ':');
        if (!name.empty()) {
            // A copy: Beast 1.81's iequals reads one byte past a name that
            // differs from a known field's only in the case of its last
            // letter. turnout's names are always followed by more bytes (':'
            // in the parser's buffer, a std::string's NUL), so it stays in
            // bounds there; a name at the very end of the fuzz input would not.
            headers.insert(std::string(name), header);
        }
    }
    auto entry = table.match(RouteRequest{host, path, method, headers});
    const std::string expected = model.match(host, path, method, headers);
    FUZZ_CHECK((entry ? entry->route.name : "") == expected);
}

config::Route route_from(std::string_view line) {
    std::string_view name = take_field(line);
    std::string_view host = take_field(line);
    std::string_view path = take_field(line);
    std::string_view flags = line;
    const std::size_t host_index = host.empty() ? 0 : static_cast<unsigned char>(host[0]);
    config::Route route =
        make_route(std::string(name), route_hosts[host_index % route_hosts.size()],
                   "/" + std::string(path), flags.find('x') != flags.npos);
    for (char flag : flags) {
        auto& methods = route.match.methods;
        const std::string method = flag == 'G' ? "GET" : flag == 'P' ? "POST" : "";
        if (!method.empty() && std::find(methods.begin(), methods.end(), method) == methods.end()) {
            methods.push_back(method);
        }
    }
    if (flags.find('c') != flags.npos) {
        route.match.headers.emplace_back("x-canary", "1");
    }
    if (flags.find('e') != flags.npos) {
        route.match.headers.emplace_back("X-Env", "canary");
    }
    return route;
}

// The fixed table and its model, built once; an input that changes routes
// gets its own copies, made at its first change.
struct Tables {
    std::vector<config::Route> routes = fixed_routes();
    RouteTable table{config::SharedList<config::Route>(routes)};
    RouteTableModel model;

    Tables() {
        for (const auto& route : routes) {
            model.upsert(route);
        }
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const Tables fixed;
    std::optional<Tables> edited;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    while (!input.empty()) {
        std::string_view line = take_field(input, '\n');
        if (line.empty()) {
            continue;
        }
        const char op = line.front();
        line.remove_prefix(1);
        if ((op == '+' || op == '-') && !edited) {
            edited.emplace();
        }
        if (op == '+') {
            config::Route route = route_from(line);
            edited->table.upsert(route);
            edited->model.upsert(route);
        } else if (op == '-') {
            const std::string name(line);
            FUZZ_CHECK(edited->table.remove(name) == edited->model.remove(name));
        } else {
            const Tables& tables = edited ? *edited : fixed;
            probe(tables.table, tables.model, line);
        }
        const Tables& tables = edited ? *edited : fixed;
        FUZZ_CHECK(tables.table.size() == tables.model.size());
    }
    return 0;
}

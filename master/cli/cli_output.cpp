#include "master/cli/cli_output.hpp"

#include "master/cli/cli_json.hpp"
#include "config/time_format.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdio>
#include <vector>

namespace turnout::master {

namespace json = boost::json;

namespace {

std::string duration_text(double seconds) {
    auto left = static_cast<std::int64_t>(seconds);
    std::string out;
    for (const auto& [unit, size] : {std::pair{"d", 86400}, {"h", 3600}, {"m", 60}}) {
        if (left >= size || !out.empty()) {
            out += std::to_string(left / size) + unit;
            left %= size;
        }
    }
    return out + std::to_string(left) + "s";
}

std::string uptime(const json::value& status) {
    for (const auto* name : {"uptime_s", "uptime_seconds", "uptime"}) {
        if (const auto seconds = number(field(status, name))) {
            return duration_text(*seconds);
        }
    }
    if (const auto ms = number(field(status, "uptime_ms"))) {
        return duration_text(*ms / 1000);
    }
    return text(status, "uptime");
}

// A list given as an array, or as an object keyed by name.
std::vector<std::pair<std::string, const json::value*>> entries(const json::value* list,
                                                                std::string_view name_key) {
    std::vector<std::pair<std::string, const json::value*>> out;
    if (list && list->is_array()) {
        for (const auto& item : list->as_array()) {
            out.emplace_back(text(item, name_key), &item);
        }
    } else if (list && list->is_object()) {
        for (const auto& [name, item] : list->as_object()) {
            out.emplace_back(std::string{name}, &item);
        }
    }
    return out;
}

std::string health(const json::value& target) {
    if (const auto* healthy = field(target, "healthy"); healthy && healthy->is_bool()) {
        return healthy->as_bool() ? "healthy" : "unhealthy";
    }
    for (const auto* name : {"health", "state", "status"}) {
        if (const auto* value = field(target, name)) {
            return text(value);
        }
    }
    return "-";
}

void print_workers(std::ostream& out, const json::value* workers) {
    std::vector<Row> rows{{"SLOT", "PID", "VERSION", "STATE", "RESTARTS"}};
    for (const auto& [slot, worker] : entries(workers, "slot")) {
        rows.push_back({slot, text(*worker, "pid"), text(*worker, "version"),
                        text(*worker, "state"), text(*worker, "restarts")});
    }
    out << "workers:\n";
    print_table(out, rows, "  ");
}

// A number with one decimal, times `scale`, then `suffix`; "-" when absent.
std::string fixed1(const json::value* value, double scale = 1, std::string_view suffix = "") {
    const auto n = number(value);
    if (!n) {
        return "-";
    }
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1f", *n * scale);
    return buffer + std::string{suffix};
}

// One row per target; the upstream's name, rates and panic flag on its
// first row only.
void print_upstreams(std::ostream& out, const json::value* upstreams) {
    std::vector<Row> rows{{"UPSTREAM", "RPS", "ERR%", "TARGET", "HEALTH"}};
    for (const auto& [name, upstream] : entries(upstreams, "name")) {
        Row first{name, fixed1(field(*upstream, "requests_per_s")),
                  fixed1(field(*upstream, "error_rate"), 100, "%")};
        if (const auto* panic = field(*upstream, "panic");
            panic && panic->is_bool() && panic->as_bool()) {
            first[0] += " (panic)";
        }
        bool shown = false;
        for (const auto& [address, target] : entries(field(*upstream, "targets"), "address")) {
            Row row = shown ? Row{"", "", ""} : first;
            row.push_back(address);
            row.push_back(health(*target));
            rows.push_back(std::move(row));
            shown = true;
        }
        if (!shown) {
            first.push_back("-");
            first.push_back("-");
            rows.push_back(std::move(first));
        }
    }
    out << "upstreams:\n";
    print_table(out, rows, "  ");
}

void print_rollouts(std::ostream& out, const json::value* rollouts) {
    const auto list = entries(rollouts, "route");
    if (list.empty()) {
        out << "rollouts: none\n";
        return;
    }
    std::vector<Row> rows{{"ROUTE", "TO", "WEIGHT", "STATE"}};
    for (const auto& [route, rollout] : list) {
        rows.push_back(
            {route, text(*rollout, "to"), text(*rollout, "weight"), text(*rollout, "state")});
    }
    out << "rollouts:\n";
    print_table(out, rows, "  ");
}

std::string history_time(const json::value& entry) {
    if (const auto ms = number(field(entry, "time_ms"))) {
        return iso8601_utc(static_cast<std::int64_t>(*ms));
    }
    if (const auto time = number(field(entry, "time"))) {
        // Seconds or milliseconds since the epoch: ms once past 1973 in s.
        return iso8601_utc(static_cast<std::int64_t>(*time > 1e11 ? *time : *time * 1000));
    }
    return text(entry, "time");
}

std::string hint(unsigned status) {
    switch (status) {
    case 413:
        return "; the admin API takes at most 64 MiB";
    default:
        return status >= 500 && status != 501 ? "; see the master's log" : "";
    }
}

void print_details(std::ostream& out, const json::value& details, const std::string& file,
                   std::string_view error) {
    if (!details.is_array()) {
        return;
    }
    for (const auto& detail : details.as_array()) {
        const auto line = number(field(detail, "line")).value_or(0);
        if (line <= 0 && text(detail, "message") == error) {
            continue;  // the error line says it already
        }
        std::string name = file;
        if (name.empty()) {
            const auto* own = field(detail, "file");
            name = own && own->is_string() ? std::string{own->as_string()} : "config";
        }
        const auto column = number(field(detail, "column")).value_or(0);
        out << name;
        if (line > 0) {
            out << ':' << static_cast<long>(line) << ':' << static_cast<long>(column);
        }
        out << ": " << text(detail, "message") << '\n';
    }
}

}  // namespace

void print_refusal(std::ostream& out, const AdminHttpResponse& response, const std::string& file) {
    const auto value = parse_answer(response.body);
    const auto* error = value ? field(*value, "error") : nullptr;
    if (!error || !error->is_string()) {
        auto first_line = response.body.substr(0, response.body.find('\n'));
        if (first_line.size() > 200) {
            first_line.resize(200);
        }
        out << "turnout: the master answered HTTP " << response.status
            << (first_line.empty() ? "" : ": " + first_line) << hint(response.status) << '\n';
        return;
    }
    if (const auto* details = field(*value, "details")) {
        print_details(out, *details, file, error->as_string().c_str());
    }
    out << "turnout: " << error->as_string().c_str() << hint(response.status) << '\n';
}

std::optional<std::uint64_t> version_of(const std::string& body) {
    const auto value = parse_answer(body);
    const auto* version = value ? field(*value, "version") : nullptr;
    if (version && version->is_uint64()) {
        return version->as_uint64();
    }
    if (version && version->is_int64() && version->as_int64() >= 0) {
        return static_cast<std::uint64_t>(version->as_int64());
    }
    return std::nullopt;
}

// A fleet node's source: where, what revision, connected, refusals.
void print_etcd_source(std::ostream& out, const json::value* etcd) {
    if (!etcd || !etcd->is_object()) {
        return;
    }
    const auto connected = field(*etcd, "connected");
    out << "etcd prefix " << text(*etcd, "prefix") << " at " << text(*etcd, "endpoint")
        << "  revision " << text(*etcd, "revision") << " (latest " << text(*etcd, "latest_revision")
        << ")  "
        << (connected && connected->is_bool() && connected->get_bool() ? "connected"
                                                                       : "disconnected")
        << "  " << text(*etcd, "state") << '\n';
    if (const auto error = text(*etcd, "last_error"); !error.empty() && error != "-") {
        out << "  last error: " << error << '\n';
    }
    if (const auto* errors = field(*etcd, "errors"); errors && errors->is_array()) {
        for (const auto& error : errors->get_array()) {
            out << "  refused: " << text(error, "key") << ':' << text(error, "line") << ':'
                << text(error, "column") << ": " << text(error, "message") << '\n';
        }
    }
}

bool print_status(std::ostream& out, const std::string& body) {
    const auto value = parse_answer(body);
    if (!value || !value->is_object()) {
        return false;
    }
    if (const auto* software = field(*value, "turnout_version")) {
        out << "turnout " << text(software) << '\n';
    }
    out << "version " << text(*value, "version");
    if (const auto* source = field(*value, "source")) {
        out << " (" << text(source) << ")";
    }
    out << "  pid " << text(*value, "pid") << "  up " << uptime(*value);
    if (const auto* state = field(*value, "state")) {
        out << "  " << text(state);
    }
    out << '\n';
    print_etcd_source(out, field(*value, "etcd"));
    print_workers(out, field(*value, "workers"));
    print_upstreams(out, field(*value, "upstreams"));
    print_rollouts(out, field(*value, "rollouts"));
    return true;
}

bool print_history(std::ostream& out, const std::string& body) {
    const auto value = parse_answer(body);
    if (!value) {
        return false;
    }
    const json::value* list = &*value;
    for (const auto* name : {"versions", "history"}) {
        if (const auto* inner = field(*value, name)) {
            list = inner;
        }
    }
    if (!list->is_array()) {
        return false;
    }
    std::vector<Row> rows{{"VERSION", "TIME", "SOURCE", "SUMMARY"}};
    for (const auto& entry : list->as_array()) {
        rows.push_back({text(entry, "version"), history_time(entry), text(entry, "source"),
                        text(entry, "summary")});
    }
    print_table(out, rows);
    return true;
}

}  // namespace turnout::master

#include "master/cli/cli_commands.hpp"

#include "config/rollout_spec.hpp"

#include "config/loader.hpp"
#include "master/cli/admin_client.hpp"
#include "master/cli/cli_output.hpp"
#include "master/cli/fleet_commands.hpp"
#include "master/cli/fleet_rollout_commands.hpp"

#include <CLI/CLI.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <map>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>

namespace turnout::master {

namespace http = boost::beast::http;
namespace json = boost::json;

ExitStatus fail(ExitStatus status, const std::string& message) {
    std::cerr << "turnout: " << message << '\n';
    return status;
}

namespace {

// One admin request and how to report its errors.
struct Call {
    http::verb method = http::verb::get;
    std::string target = {};
    std::string body = {};
    std::string content_type = {};
    AdminClient::Headers headers = {};
    std::string file = {};  // names config error details when they name none
};

// 4xx and 501 are refusals (1); any other 5xx means the master is broken (3).
ExitStatus exit_status_for(unsigned status) {
    return (status >= 400 && status < 500) || status == 501 ? exit_refused : exit_unreachable;
}

// Sends `call`; a 2xx answer goes to `on_success`, any other is reported
// on stderr and mapped to an exit status.
ExitStatus call_admin(const CliOptions& options, const Call& call,
                      const std::function<ExitStatus(const AdminHttpResponse&)>& on_success) {
    const auto socket = resolve_admin_socket(options);
    if (!socket) {
        return exit_usage;
    }
    AdminHttpResponse response;
    try {
        AdminClient client{*socket};
        response =
            client.request(call.method, call.target, call.body, call.content_type, call.headers);
    } catch (const AdminUnreachable& error) {
        return fail(exit_unreachable, error.what());
    }
    if (response.status >= 200 && response.status < 300) {
        return on_success(response);
    }
    print_refusal(std::cerr, response, call.file);
    return exit_status_for(response.status);
}

// Prints the `version` of an answer like {"version": 8, "apply_ms": 3}.
ExitStatus print_version(const AdminHttpResponse& response) {
    const auto version = version_of(response.body);
    if (!version) {
        return fail(exit_unreachable, "the master answered without a version: " + response.body);
    }
    std::cout << *version << '\n';
    return exit_ok;
}

ExitStatus print_body(const AdminHttpResponse& response) {
    std::cout << response.body;
    if (!response.body.empty() && response.body.back() != '\n') {
        std::cout << '\n';
    }
    return exit_ok;
}

// A JSON answer for people through `print`, or as it came with --json.
std::function<ExitStatus(const AdminHttpResponse&)> shown_with(const CliOptions& options,
                                                               bool (*print)(std::ostream&,
                                                                             const std::string&),
                                                               std::string_view what) {
    return [&options, print, what](const AdminHttpResponse& response) {
        if (options.json) {
            return print_body(response);
        }
        return print(std::cout, response.body)
                   ? exit_ok
                   : fail(exit_unreachable,
                          "the master's " + std::string{what} + " is not JSON: " + response.body);
    };
}

// A path segment, percent-encoded where it is not unreserved.
std::string encode_segment(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (const unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out += {'%', hex[c >> 4], hex[c & 15]};
        }
    }
    return out;
}

void add_socket_options(CLI::App& command, CliOptions& options) {
    command.add_option("--socket", options.socket,
                       "admin socket (default: $TURNOUT_SOCKET, else admin.socket of -c, else "
                       "run/admin.sock)");
    command.add_option("-c,--config", options.config_path, "config file whose admin.socket to use");
}

// ---- apply, status, config, history, rollback -------------------------------

void define_apply(CLI::App& command, CliOptions& options) {
    command.add_option("-f,--file", options.file, "config file (YAML) to push")->required();
    command.add_option_function<std::uint64_t>(
        "--if-version", [&options](const std::uint64_t& version) { options.if_version = version; },
        "refuse (412) unless VERSION is still live");
}

ExitStatus run_apply(const CliOptions& options) {
    std::ifstream in{options.file, std::ios::binary};
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
        return fail(exit_usage, "cannot read " + options.file + ": check the path given to -f");
    }
    Call call{http::verb::put, "/v1/config", text.str(), "application/yaml", {}, options.file};
    if (options.if_version) {
        call.headers.emplace_back("If-Match", "\"" + std::to_string(*options.if_version) + "\"");
    }
    return call_admin(options, call, print_version);
}

void define_json(CLI::App& command, CliOptions& options) {
    command.add_flag("--json", options.json, "print the admin API's JSON as is");
}

ExitStatus run_status(const CliOptions& options) {
    return call_admin(options, {http::verb::get, "/v1/status"},
                      shown_with(options, print_status, "status"));
}

void define_nothing(CLI::App&, CliOptions&) {}

ExitStatus run_config(const CliOptions& options) {
    return call_admin(options, {http::verb::get, "/v1/config"}, print_body);
}

ExitStatus run_history(const CliOptions& options) {
    return call_admin(options, {http::verb::get, "/v1/config/history"},
                      shown_with(options, print_history, "history"));
}

void define_rollback(CLI::App& command, CliOptions& options) {
    command.add_option("VERSION", options.version, "the version to make live again")->required();
}

ExitStatus run_rollback(const CliOptions& options) {
    if (options.version == 0) {
        return fail(exit_usage, "rollback needs a version >= 1; `turnout history` lists them");
    }
    const json::object body{{"version", options.version}};
    return call_admin(
        options,
        {http::verb::post, "/v1/config/rollback", json::serialize(body), "application/json"},
        print_version);
}

// ---- split, reload, stop ----------------------------------------------------

void define_split(CLI::App& command, CliOptions& options) {
    command.add_option("ROUTE", options.route, "the route")->required();
    command.add_option("WEIGHTS", options.weights, "UPSTREAM=WEIGHT, in split order")->required();
}

ExitStatus run_split(const CliOptions& options) {
    auto weights = parse_weights(options.weights);
    if (auto* message = std::get_if<std::string>(&weights)) {
        return fail(exit_usage, *message + "; usage: turnout split ROUTE UPSTREAM=WEIGHT...");
    }
    json::object body;
    for (const auto& [upstream, weight] : std::get<0>(weights)) {
        body[upstream] = weight;
    }
    return call_admin(options,
                      {http::verb::put, "/v1/routes/" + encode_segment(options.route) + "/split",
                       json::serialize(body), "application/json"},
                      print_version);
}

ExitStatus run_reload(const CliOptions& options) {
    return call_admin(options, {http::verb::post, "/v1/config/reload"}, print_version);
}

void define_stop(CLI::App& command, CliOptions& options) {
    command.add_flag("--now", options.now, "stop at once instead of draining");
}

ExitStatus run_stop(const CliOptions& options) {
    return call_admin(options, {http::verb::post, options.now ? "/v1/stop?now=1" : "/v1/stop"},
                      [&](const AdminHttpResponse&) {
                          std::cout << (options.now ? "stopping now\n" : "stopping gracefully\n");
                          return exit_ok;
                      });
}

// ---- upgrade -------------------------------------------------------------------

void define_upgrade(CLI::App& command, CliOptions& options) {
    command.add_option("--binary", options.binary,
                       "the new turnout binary (default: the running one's path, read again)");
}

// Waits for the new master to serve or fail; a failure exits 1 with why.
ExitStatus run_upgrade(const CliOptions& options) {
    json::object body;
    if (!options.binary.empty()) {
        body["binary"] = options.binary;
    }
    return call_admin(
        options, {http::verb::post, "/v1/upgrade", json::serialize(body), "application/json"},
        [](const AdminHttpResponse& response) {
            boost::system::error_code ec;
            const auto answer = json::parse(response.body, ec);
            const auto* object = ec ? nullptr : answer.if_object();
            const auto* pid = object ? object->if_contains("pid") : nullptr;
            const auto* previous = object ? object->if_contains("previous_pid") : nullptr;
            if (!pid || !previous) {
                return fail(exit_unreachable,
                            "the master answered without the new pid: " + response.body);
            }
            std::cout << "upgraded: pid " << json::serialize(*pid) << " serves, pid "
                      << json::serialize(*previous) << " drains and exits\n";
            return exit_ok;
        });
}

// ---- rollout ------------------------------------------------------------------

ExitStatus run_rollout_start(const CliOptions& options) {
    auto body = rollout_request(options);
    if (auto* message = std::get_if<std::string>(&body)) {
        return fail(exit_usage, *message);
    }
    return call_admin(
        options,
        {http::verb::post, "/v1/rollouts", json::serialize(std::get<0>(body)), "application/json"},
        shown_with(options, print_rollout, "rollout"));
}

ExitStatus run_rollout_status(const CliOptions& options) {
    return call_admin(options, {http::verb::get, "/v1/rollouts/" + encode_segment(options.route)},
                      shown_with(options, print_rollout, "rollout"));
}

template <const char* Action>
ExitStatus run_rollout_action(const CliOptions& options) {
    return call_admin(
        options, {http::verb::post, "/v1/rollouts/" + encode_segment(options.route) + "/" + Action},
        shown_with(options, print_rollout, "rollout"));
}

constexpr char pause_action[] = "pause";
constexpr char resume_action[] = "resume";
constexpr char promote_action[] = "promote";
constexpr char abort_action[] = "abort";

}  // namespace

void define_rollout_start(CLI::App& command, CliOptions& options) {
    define_json(command, options);
    command.add_option("ROUTE", options.route, "the route to move")->required();
    command.add_option("--to", options.to, "the upstream to move it to")->required();
    command.add_option_function<std::string>(
        "--steps", [&options](const std::string& steps) { options.steps = steps; },
        "percent steps (default 1,5,25,50,100)");
    command.add_option_function<std::string>(
        "--interval", [&options](const std::string& interval) { options.interval = interval; },
        "time per step (default 30s)");
    command
        .add_option_function<double>(
            "--max-error-rate", [&options](const double& rate) { options.max_error_rate = rate; },
            "roll back above this error rate (default 0.01)")
        ->check(CLI::Range(0.0, 1.0));
    command.add_option_function<std::string>(
        "--max-p99", [&options](const std::string& p99) { options.max_p99 = p99; },
        "roll back above this p99 latency (default 500ms)");
    command.add_option_function<std::uint64_t>(
        "--min-requests", [&options](const std::uint64_t& count) { options.min_requests = count; },
        "hold the step below this many requests (default 50)");
}

void define_rollout_route(CLI::App& command, CliOptions& options) {
    define_json(command, options);
    command.add_option("ROUTE", options.route, "the route being rolled out")->required();
}

// The master owns the defaults, so only the settings given are sent. Steps
// and durations are checked here so a typo is a usage error, not a round
// trip.
std::variant<json::object, std::string> rollout_request(const CliOptions& options) {
    json::object body{{"route", options.route}, {"to", options.to}};
    if (options.steps) {
        json::array steps;
        std::string_view text = *options.steps;
        while (!text.empty()) {
            const auto end = std::min(text.find(','), text.size());
            std::int64_t step = -1;
            const auto item = text.substr(0, end);
            const auto parsed = std::from_chars(item.data(), item.data() + item.size(), step);
            if (item.empty() || parsed.ptr != item.data() + item.size() || step < 1 || step > 100) {
                return "--steps " + *options.steps + ": give percents 1-100 like 1,5,25,50,100";
            }
            steps.push_back(step);
            text.remove_prefix(std::min(end + 1, text.size()));
        }
        body["steps"] = std::move(steps);
    }
    for (const auto& [name, value] :
         {std::pair{"interval", &options.interval}, std::pair{"max_p99", &options.max_p99}}) {
        if (*value && !config::parse_duration(**value)) {
            return std::string{"--"} +
                   (name == std::string_view{"interval"} ? "interval" : "max-p99") + " " + **value +
                   ": give a duration like 500ms, 30s, 5m";
        }
        if (*value) {
            body[name] = **value;
        }
    }
    if (options.max_error_rate) {
        body["max_error_rate"] = *options.max_error_rate;
    }
    if (options.min_requests) {
        body["min_requests"] = *options.min_requests;
    }
    // The master's own rules (increasing steps ending at 100, interval
    // bounds, ...), checked here so a bad argument is a usage error.
    if (auto checked = parse_rollout_spec(body); auto* error = std::get_if<std::string>(&checked)) {
        return *error;
    }
    return body;
}

const std::vector<CliCommand>& cli_commands() {
    static const std::vector<CliCommand> commands = with_fleet_commands({
        {"", "apply", "push a whole config; prints the new version", define_apply, run_apply},
        {"", "status", "version, workers, upstream health, rollouts", define_json, run_status},
        {"", "config", "print the live config (YAML)", define_nothing, run_config},
        {"", "history", "versions: number, time, source, summary", define_json, run_history},
        {"", "rollback", "make an old version live again (as a new version)", define_rollback,
         run_rollback},
        {"", "split", "change one route's split live: ROUTE UPSTREAM=WEIGHT...", define_split,
         run_split},
        {"", "reload", "re-read the file `run` was started with (same as SIGHUP)", define_nothing,
         run_reload},
        {"", "stop", "graceful stop (default) or immediate (--now)", define_stop, run_stop},
        {"", "upgrade", "start a new binary on the same sockets, without dropping a connection",
         define_upgrade, run_upgrade},
        {"rollout", "start", "move a route to another upstream in steps", define_rollout_start,
         run_rollout_start},
        {"rollout", "status", "a rollout's state", define_rollout_route, run_rollout_status},
        {"rollout", "pause", "hold a rollout at its step", define_rollout_route,
         run_rollout_action<pause_action>},
        {"rollout", "resume", "go on with a paused rollout", define_rollout_route,
         run_rollout_action<resume_action>},
        {"rollout", "promote", "send everything to the new upstream now", define_rollout_route,
         run_rollout_action<promote_action>},
        {"rollout", "abort", "send nothing to the new upstream now", define_rollout_route,
         run_rollout_action<abort_action>},
    });
    return commands;
}

namespace {

std::string group_help(std::string_view group) {
    if (group == "fleet") {
        return fleet_group_help;
    }
    if (group == "fleet rollout") {
        return fleet_rollout_group_help;
    }
    return "move a route to another upstream in steps: start|status|pause|resume|promote|abort";
}

// The subcommand for `group` ("rollout", "fleet rollout"), made with its
// parents on first use.
CLI::App* group_command(CLI::App& app, std::map<std::string_view, CLI::App*>& groups,
                        std::string_view group) {
    auto& found = groups[group];
    if (!found) {
        const auto space = group.rfind(' ');
        auto* parent = space == std::string_view::npos
                           ? &app
                           : group_command(app, groups, group.substr(0, space));
        const auto name = space == std::string_view::npos ? group : group.substr(space + 1);
        found = parent->add_subcommand(std::string{name}, group_help(group));
        found->require_subcommand(1);
    }
    return found;
}

}  // namespace

std::vector<std::pair<CLI::App*, const CliCommand*>> add_cli_commands(CLI::App& app,
                                                                      CliOptions& options) {
    std::vector<std::pair<CLI::App*, const CliCommand*>> added;
    std::map<std::string_view, CLI::App*> groups;
    for (const auto& command : cli_commands()) {
        CLI::App* parent = command.group.empty() ? &app : group_command(app, groups, command.group);
        auto* sub = parent->add_subcommand(std::string{command.name}, std::string{command.help});
        command.define(*sub, options);
        add_socket_options(*sub, options);
        added.emplace_back(sub, &command);
    }
    return added;
}

std::optional<std::string> resolve_admin_socket(const CliOptions& options) {
    if (!options.socket.empty()) {
        return options.socket;
    }
    if (const char* env = std::getenv("TURNOUT_SOCKET"); env && *env) {
        return std::string{env};
    }
    if (options.config_path.empty()) {
        return std::string{"run/admin.sock"};
    }
    auto result = config::load_config_file(options.config_path);
    if (auto* errors = std::get_if<config::ConfigErrors>(&result)) {
        for (const auto& error : *errors) {
            std::cerr << error.to_string() << '\n';
        }
        fail(exit_usage, "cannot find the admin socket: " + options.config_path +
                             " does not load; fix it or pass --socket PATH");
        return std::nullopt;
    }
    return std::get<0>(result)->admin.socket;
}

std::variant<std::vector<std::pair<std::string, std::int64_t>>, std::string> parse_weights(
    const std::vector<std::string>& arguments) {
    std::vector<std::pair<std::string, std::int64_t>> weights;
    for (const auto& argument : arguments) {
        const auto eq = argument.rfind('=');
        std::int64_t weight = -1;
        const char* end = argument.data() + argument.size();
        if (eq == std::string::npos || eq == 0 ||
            std::from_chars(argument.data() + eq + 1, end, weight).ptr != end ||
            eq + 1 == argument.size() || weight < 0) {
            return "`" + argument + "` is not UPSTREAM=WEIGHT with WEIGHT an integer >= 0";
        }
        std::string upstream = argument.substr(0, eq);
        for (const auto& [seen, ignored] : weights) {
            if (seen == upstream) {
                return "upstream " + upstream + " is named twice";
            }
        }
        weights.emplace_back(std::move(upstream), weight);
    }
    return weights;
}

}  // namespace turnout::master

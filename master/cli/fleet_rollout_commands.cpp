#include "master/cli/fleet_rollout_commands.hpp"

#include "config/fleet_keys.hpp"
#include "config/json_codec.hpp"
#include "config/rollout_spec.hpp"
#include "master/cli/cli_json.hpp"
#include "master/cli/cli_output.hpp"
#include "master/cli/fleet_client.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <unistd.h>

#include <chrono>
#include <iostream>
#include <memory>

namespace turnout::master {

namespace json = boost::json;

namespace {

// How long a request waits for the leader's answer, and how often it looks.
constexpr std::chrono::seconds answer_timeout{15};
constexpr std::chrono::milliseconds answer_poll{100};

std::int64_t unix_ms() {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    return std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
}

std::string string_in(const json::object& object, std::string_view name) {
    const auto* value = object.if_contains(name);
    return value && value->is_string() ? std::string{value->get_string()} : std::string{};
}

// The key as read: its value (an object) and mod_revision; none when absent.
struct StoredRollout {
    json::object value;
    std::int64_t mod_revision = 0;
};

void read_rollout(
    etcd::Client& client, const std::string& key,
    std::function<void(std::optional<std::optional<StoredRollout>>, std::string)> done) {
    client.read_prefix(key, [key, done](std::optional<etcd::Snapshot> snapshot, std::string error) {
        if (!snapshot) {
            done(std::nullopt, error);
            return;
        }
        for (const auto& kv : snapshot->kvs) {
            if (kv.key != key) {
                continue;
            }
            auto value = config::parse_json(kv.value);
            done(std::optional<StoredRollout>{StoredRollout{
                     value && value->is_object() ? value->get_object() : json::object{},
                     kv.mod_revision}},
                 {});
            return;
        }
        done(std::optional<StoredRollout>{}, {});
    });
}

// The stored rollout as `status` shows it: the time left to the next
// decision from now, as the local rollout's answer has it.
json::object shown(json::object value) {
    const auto* deadline = value.if_contains("deadline_unix_ms");
    value["deadline_in_ms"] =
        deadline && deadline->is_int64()
            ? json::value(std::max<std::int64_t>(0, deadline->get_int64() - unix_ms()))
            : nullptr;
    return value;
}

ExitStatus print(const CliOptions& options, const json::object& value) {
    const auto rollout = shown(value);
    const auto body = json::serialize(rollout);
    if (options.json) {
        std::cout << body << '\n';
        return exit_ok;
    }
    print_rollout(std::cout, body);
    if (const auto* behind = rollout.if_contains("behind");
        behind && behind->is_array() && !behind->get_array().empty()) {
        std::string nodes;
        for (const auto& node : behind->get_array()) {
            nodes += (nodes.empty() ? "" : ", ") + text(&node);
        }
        std::cout << "behind: " << nodes << '\n';
    }
    if (const auto leader = string_in(rollout, "leader"); !leader.empty()) {
        std::cout << "leader: " << leader << '\n';
    }
    return exit_ok;
}

// Polls the key until the leader's answer to request `id` is there.
void wait_for_answer(etcd::Client& client, const std::string& key, const std::string& id,
                     const CliOptions& options, FleetFinish finish) {
    auto timer = std::make_shared<boost::asio::steady_timer>(client.io());
    const auto give_up = std::chrono::steady_clock::now() + answer_timeout;
    auto look = std::make_shared<std::function<void()>>();
    *look = [&client, key, id, &options, finish, timer, give_up, look] {
        read_rollout(
            client, key,
            [&client, key, id, &options, finish, timer, give_up,
             look](std::optional<std::optional<StoredRollout>> read, std::string error) {
                if (!read) {
                    finish(fail(exit_unreachable, error));
                    *look = nullptr;
                    return;
                }
                const auto* answer = *read ? (*read)->value.if_contains("answer") : nullptr;
                if (answer && answer->is_object() && string_in(answer->get_object(), "id") == id) {
                    const auto refused = string_in(answer->get_object(), "error");
                    finish(refused.empty() ? print(options, (*read)->value)
                                           : fail(exit_refused, refused));
                    *look = nullptr;
                    return;
                }
                if (std::chrono::steady_clock::now() >= give_up) {
                    finish(fail(exit_unreachable,
                                "no fleet leader answered within 15s; the request stays in " + key +
                                    " (is any node of the fleet running?)"));
                    *look = nullptr;
                    return;
                }
                timer->expires_after(answer_poll);
                timer->async_wait([look](boost::system::error_code ec) {
                    if (!ec && *look) {
                        (*look)();
                    }
                });
            });
    };
    (*look)();
}

std::string request_id() {
    return std::to_string(::getpid()) + "-" + std::to_string(unix_ms());
}

// Writes `value` (holding the request `id`) to the key as long as it is
// still at `mod_revision` (0: absent), then waits for the answer. A key
// that moved on meanwhile ends the command, or calls `conflicted` if set.
void send_request(etcd::Client& client, const std::string& key, std::int64_t mod_revision,
                  const json::object& value, const std::string& id, const CliOptions& options,
                  FleetFinish finish, std::function<void()> conflicted = nullptr) {
    etcd::Txn txn;
    txn.compare.push_back({key,
                           {},
                           etcd::Compare::Target::mod_revision,
                           etcd::Compare::Result::equal,
                           mod_revision,
                           {}});
    txn.success.push_back({etcd::TxnOp::Kind::put, key, json::serialize(value), 0});
    client.txn(txn, [&client, key, id, &options, finish,
                     conflicted](std::optional<etcd::TxnResult> result, std::string error) {
        if (!result) {
            finish(fail(exit_unreachable, error));
        } else if (!result->succeeded && conflicted) {
            conflicted();
        } else if (!result->succeeded) {
            finish(fail(exit_refused, key + " changed meanwhile: nothing sent; retry"));
        } else {
            wait_for_answer(client, key, id, options, finish);
        }
    });
}

bool terminal_state(const std::string& state) {
    return state == "promoted" || state == "rolled_back" || state == "aborted";
}

void define_start(CLI::App& command, CliOptions& options) {
    define_rollout_start(command, options);
    add_fleet_target_options(command, options);
}

void define_route(CLI::App& command, CliOptions& options) {
    define_rollout_route(command, options);
    add_fleet_target_options(command, options);
}

// What the route's rollout key holds, for one command: the key, what it
// holds (none when absent) and how to end the command.
using OnRollout = std::function<void(etcd::Client&, const std::string& key,
                                     const std::optional<StoredRollout>&, FleetFinish)>;

// Reads the route's rollout key and hands it to `then`; an etcd that cannot
// be read ends the command.
ExitStatus with_rollout_key(const CliOptions& options, OnRollout then) {
    return with_fleet_client(options, [&options, then](etcd::Client& client,
                                                       const std::string& prefix,
                                                       FleetFinish finish) {
        const auto key = fleet::rollout_key(prefix, options.route);
        read_rollout(client, key,
                     [&client, key, finish, then](std::optional<std::optional<StoredRollout>> read,
                                                  std::string error) {
                         if (!read) {
                             finish(fail(exit_unreachable, error));
                             return;
                         }
                         then(client, key, *read, finish);
                     });
    });
}

ExitStatus no_rollout(const CliOptions& options, const std::string& key) {
    return fail(exit_refused,
                "no fleet rollout for route " + options.route + " (no key " + key + ")");
}

ExitStatus run_start(const CliOptions& options) {
    auto body = rollout_request(options);
    if (auto* message = std::get_if<std::string>(&body)) {
        return fail(exit_usage, *message);
    }
    const auto spec = std::get<RolloutSpec>(parse_rollout_spec(std::get<json::object>(body)));
    return with_rollout_key(options, [&options, spec](etcd::Client& client, const std::string& key,
                                                      const std::optional<StoredRollout>& stored,
                                                      FleetFinish finish) {
        if (stored) {
            const auto state = string_in(stored->value, "state");
            const auto* answer = stored->value.if_contains("answer");
            const bool refused_start = state == "pending" && answer && answer->is_object() &&
                                       !string_in(answer->get_object(), "error").empty();
            if (!terminal_state(state) && !refused_start) {
                finish(fail(exit_refused, "route " + options.route +
                                              " already has a fleet rollout (" + state +
                                              "); abort or promote it first"));
                return;
            }
        }
        const auto id = request_id();
        json::object pending{{"route", spec.route},
                             {"to", spec.to},
                             {"state", "pending"},
                             {"spec", to_json(spec)},
                             {"request", {{"action", "start"}, {"id", id}, {"reason", ""}}}};
        send_request(client, key, stored ? stored->mod_revision : 0, pending, id, options, finish);
    });
}

ExitStatus run_status(const CliOptions& options) {
    return with_rollout_key(options, [&options](etcd::Client&, const std::string& key,
                                                const std::optional<StoredRollout>& stored,
                                                FleetFinish finish) {
        finish(stored ? print(options, stored->value) : no_rollout(options, key));
    });
}

// The leader rewrites a live rollout's key as it steps and counts, so an
// action's write racing one of those is expected, not the operator's
// mistake: the action is read and sent again, on top of what the leader
// wrote (the leader judges it against the state it finds).
constexpr int action_retries = 5;

void send_action(etcd::Client& client, const std::string& key, const StoredRollout& stored,
                 const char* action, const CliOptions& options, FleetFinish finish,
                 int retries_left) {
    const auto id = request_id();
    auto value = stored.value;
    value["request"] = {{"action", action}, {"id", id}, {"reason", ""}};
    auto conflicted = [&client, key, action, &options, finish, retries_left] {
        if (retries_left == 0) {
            finish(fail(exit_refused, key + " changed under each of " +
                                          std::to_string(action_retries + 1) +
                                          " tries: nothing sent; retry"));
            return;
        }
        read_rollout(client, key,
                     [&client, key, action, &options, finish, retries_left](
                         std::optional<std::optional<StoredRollout>> read, std::string error) {
                         if (!read) {
                             finish(fail(exit_unreachable, error));
                         } else if (!*read) {
                             finish(no_rollout(options, key));
                         } else {
                             send_action(client, key, **read, action, options, finish,
                                         retries_left - 1);
                         }
                     });
    };
    send_request(client, key, stored.mod_revision, value, id, options, finish,
                 std::move(conflicted));
}

template <const char* Action>
ExitStatus run_action(const CliOptions& options) {
    return with_rollout_key(options, [&options](etcd::Client& client, const std::string& key,
                                                const std::optional<StoredRollout>& stored,
                                                FleetFinish finish) {
        if (!stored) {
            finish(no_rollout(options, key));
            return;
        }
        send_action(client, key, *stored, Action, options, finish, action_retries);
    });
}

constexpr char pause_action[] = "pause";
constexpr char resume_action[] = "resume";
constexpr char promote_action[] = "promote";
constexpr char abort_action[] = "abort";

}  // namespace

std::vector<CliCommand> with_fleet_rollout_commands(std::vector<CliCommand> commands) {
    const std::vector<CliCommand> rows{
        {"fleet rollout", "start", "move a route to another upstream in steps on every node",
         define_start, run_start},
        {"fleet rollout", "status", "a fleet rollout's state, and the nodes it waits for",
         define_route, run_status},
        {"fleet rollout", "pause", "hold a fleet rollout at its step", define_route,
         run_action<pause_action>},
        {"fleet rollout", "resume", "go on with a paused fleet rollout", define_route,
         run_action<resume_action>},
        {"fleet rollout", "promote", "send everything to the new upstream on every node now",
         define_route, run_action<promote_action>},
        {"fleet rollout", "abort", "send nothing to the new upstream on every node now",
         define_route, run_action<abort_action>},
    };
    commands.insert(commands.end(), rows.begin(), rows.end());
    return commands;
}

}  // namespace turnout::master

// The CLI's client commands (SPEC §2) against an AdminServer with a fake
// ControlPlane: what they send, print, and exit with.

#include "master/cli/cli_commands.hpp"
#include "tests/unit/master/admin/admin_test_support.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

using namespace turnout::master;
using namespace turnout::master::testing;

namespace {

// Runs a client command against `socket`, capturing its output.
struct CliRun {
    int status;
    std::string out;
    std::string err;
};

CliRun run_cli(std::string_view name, CliOptions options, const std::string& socket) {
    options.socket = socket;
    std::ostringstream out;
    std::ostringstream err;
    auto* old_out = std::cout.rdbuf(out.rdbuf());
    auto* old_err = std::cerr.rdbuf(err.rdbuf());
    int status = -1;
    // "rollout status" names a command of the group "rollout".
    const auto space = name.find(' ');
    const auto group = space == std::string_view::npos ? std::string_view{} : name.substr(0, space);
    const auto command_name = space == std::string_view::npos ? name : name.substr(space + 1);
    for (const auto& command : cli_commands()) {
        if (command.group == group && command.name == command_name) {
            status = command.run(options);
        }
    }
    std::cout.rdbuf(old_out);
    std::cerr.rdbuf(old_err);
    return {status, out.str(), err.str()};
}

}  // namespace

TEST_CASE("admin: CLI commands and their exit statuses", "[admin]") {
    Harness h;
    const auto file = (h.dir / "new.yaml").string();
    std::ofstream{file} << "workers: 2\n";
    CliOptions apply;
    apply.file = file;

    SECTION("apply prints the new version; --if-version becomes If-Match") {
        apply.if_version = 7;
        const auto run = run_cli("apply", apply, h.admin.socket);
        CHECK(run.status == 0);
        CHECK(run.out == "8\n");
        CHECK(h.control.last_call() == "apply_config api if_match=7 yaml=workers: 2\n");
    }
    SECTION("an invalid config: 1, each detail as FILE:LINE:COL") {
        h.control.answer = {400,
                            error_json("invalid config", {{"api", 3, 5, "unknown key `wrkers`"}})};
        const auto run = run_cli("apply", apply, h.admin.socket);
        CHECK(run.status == 1);
        CHECK_THAT(run.err,
                   Catch::StartsWith(file + ":3:5: unknown key `wrkers`\nturnout: invalid config"));
    }
    SECTION("412 is a refusal (1); a 5xx means the master is broken (3)") {
        h.control.answer = {412, error_json("stale")};
        CHECK(run_cli("apply", apply, h.admin.socket).status == 1);
        h.control.answer = {500, error_json("cannot write state_dir")};
        CHECK(run_cli("apply", apply, h.admin.socket).status == 3);
    }
    SECTION("split sends the weights in order; bad ones are usage errors (2)") {
        CliOptions split;
        split.route = "api";
        split.weights = {"app-v2=10", "app-v1=90"};
        CHECK(run_cli("split", split, h.admin.socket).status == 0);
        CHECK(h.control.last_call() == "put_split api app-v2=10 app-v1=90");
        split.weights = {"app-v2=ten"};
        CHECK(run_cli("split", split, h.admin.socket).status == 2);
    }
    SECTION("status, history, stop, rollback") {
        CHECK_THAT(run_cli("status", {}, h.admin.socket).out,
                   Catch::StartsWith("version 5  pid 42"));
        CHECK_THAT(run_cli("history", {}, h.admin.socket).out,
                   Catch::Contains("5        1970-01-01T00:00:00.000Z"));
        CliOptions rollback;
        rollback.version = 4;
        CHECK(run_cli("rollback", rollback, h.admin.socket).status == 0);
        CHECK(h.control.last_call() == "rollback 4");
    }
    SECTION("rollout status prints lines for people; --json the answer as it came") {
        CliOptions rollout;
        rollout.route = "api";
        const auto run = run_cli("rollout status", rollout, h.admin.socket);
        CHECK(run.status == 0);
        CHECK(h.control.last_call() == "rollout_status api");
        CHECK(run.out == "rollout api to v2: stepping at 5% (step 2 of 3), next decision in 27s\n"
                         "split: v1=95 v2=5\n"
                         "transitions:\n"
                         "  TIME                      FROM     TO        WEIGHT  REASON\n"
                         "  1970-01-01T00:00:00.000Z  pending  stepping  1       started\n");
        rollout.json = true;
        const auto raw = run_cli("rollout status", rollout, h.admin.socket);
        CHECK(boost::json::parse(raw.out) == h.control.rollout);
    }
    SECTION("rollout start and the actions print the rollout they answer with") {
        CliOptions start;
        start.route = "api";
        start.to = "v2";
        const auto started = run_cli("rollout start", start, h.admin.socket);
        CHECK(started.status == 0);
        CHECK(started.out == "rollout - to -: stepping at -%\nsplit: -\n");
        const auto paused = run_cli("rollout pause", start, h.admin.socket);
        CHECK(paused.status == 0);
        CHECK(h.control.last_call() == "rollout_action api pause");
        CHECK_THAT(paused.out, Catch::StartsWith("rollout api to -: "));
    }
    SECTION("upgrade names the binary when given, and a refusal exits 1 with why") {
        CliOptions upgrade;
        const auto plain = run_cli("upgrade", upgrade, h.admin.socket);
        CHECK(plain.status == 0);
        CHECK(h.control.last_call() == "upgrade ");
        CHECK(plain.out == "upgraded: pid 42 serves, pid 41 drains and exits\n");
        upgrade.binary = "/opt/turnout-2/turnout";
        CHECK(run_cli("upgrade", upgrade, h.admin.socket).status == 0);
        CHECK(h.control.last_call() == "upgrade /opt/turnout-2/turnout");
        h.control.upgrade_answer = {409, turnout::master::error_json("the new master failed")};
        const auto refused = run_cli("upgrade", upgrade, h.admin.socket);
        CHECK(refused.status == 1);
        CHECK_THAT(refused.err, Catch::Contains("the new master failed"));
    }
    SECTION("no master at the socket: 3") {
        const auto run = run_cli("status", {}, (h.dir / "nobody.sock").string());
        CHECK(run.status == 3);
        CHECK_THAT(run.err, Catch::Contains("is turnout running?"));
    }
}

TEST_CASE("admin: the CLI finds the socket: --socket, $TURNOUT_SOCKET, -c FILE, default",
          "[admin]") {
    const auto dir = make_temp_dir();
    const auto file = (dir / "turnout.yaml").string();
    std::ofstream{file} << "admin: { socket: sock/a.sock }\n"
                           "listeners: [{ name: web, address: 127.0.0.1:8080 }]\n"
                           "upstreams: { app: { targets: [127.0.0.1:9001] } }\n";
    const char* saved = std::getenv("TURNOUT_SOCKET");
    const std::optional<std::string> old_env =
        saved ? std::optional<std::string>{saved} : std::nullopt;
    ::unsetenv("TURNOUT_SOCKET");

    CliOptions options;
    CHECK(resolve_admin_socket(options) == "run/admin.sock");
    options.config_path = file;
    CHECK(resolve_admin_socket(options) == (dir / "sock" / "a.sock").string());
    ::setenv("TURNOUT_SOCKET", "/env.sock", 1);
    CHECK(resolve_admin_socket(options) == "/env.sock");
    options.socket = "/flag.sock";
    CHECK(resolve_admin_socket(options) == "/flag.sock");

    ::unsetenv("TURNOUT_SOCKET");
    CliOptions broken;
    broken.config_path = (dir / "missing.yaml").string();
    std::ostringstream err;
    auto* old_err = std::cerr.rdbuf(err.rdbuf());
    CHECK(!resolve_admin_socket(broken));
    std::cerr.rdbuf(old_err);
    CHECK_THAT(err.str(), Catch::Contains("pass --socket PATH"));

    if (old_env) {
        ::setenv("TURNOUT_SOCKET", old_env->c_str(), 1);
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("admin: split arguments", "[admin]") {
    using Weights = std::vector<std::pair<std::string, std::int64_t>>;
    CHECK(std::get<Weights>(parse_weights({"b=10", "a=90", "c=0"})) ==
          Weights{{"b", 10}, {"a", 90}, {"c", 0}});
    for (const auto& bad : {"a", "=5", "a=", "a=1.5", "a=-1", "a=x"}) {
        CHECK(std::holds_alternative<std::string>(parse_weights({bad})));
    }
    CHECK(std::holds_alternative<std::string>(parse_weights({"a=1", "a=2"})));
}

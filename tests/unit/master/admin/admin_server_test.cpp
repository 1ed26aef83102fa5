// The admin API over a real Unix socket, against a fake ControlPlane that
// records what it was asked.

#include "tests/unit/master/admin/admin_test_support.hpp"

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

using namespace turnout::master;
using namespace turnout::master::testing;
namespace config = turnout::config;
using stream_protocol = asio::local::stream_protocol;

TEST_CASE("admin: status, config, history, metrics", "[admin]") {
    Harness h;
    using http::verb;
    auto status = h.call(verb::get, "/v1/status");
    CHECK(status.status == 200);
    CHECK(status.content_type == "application/json");
    CHECK(body_json(status).at("pid") == 42);

    auto config = h.call(verb::get, "/v1/config");
    CHECK(config.status == 200);
    CHECK(config.body == "workers: 1\n");
    CHECK(config.etag == "\"5\"");
    CHECK(config.content_type == "application/yaml");

    CHECK(h.call(verb::get, "/v1/config/history").status == 200);
    CHECK(h.control.last_call() == "history");

    auto metrics = h.call(verb::get, "/v1/metrics");
    CHECK(metrics.content_type == "text/plain; version=0.0.4");
    CHECK(metrics.body == "turnout_config_version 5\n");
}

TEST_CASE("admin: PUT /v1/config passes If-Match as a version", "[admin]") {
    Harness h;
    using http::verb;
    auto applied = h.call(verb::put, "/v1/config", "workers: 2\n", {{"If-Match", "\"7\""}});
    CHECK(applied.status == 200);
    CHECK(body_json(applied).at("version") == 8);
    CHECK(h.control.last_call() == "apply_config api if_match=7 yaml=workers: 2\n");

    h.call(verb::put, "/v1/config", "workers: 2\n", {{"If-Match", "12"}});
    CHECK(h.control.last_call() == "apply_config api if_match=12 yaml=workers: 2\n");

    h.call(verb::put, "/v1/config", "workers: 2\n");
    CHECK(h.control.last_call() == "apply_config api if_match=none yaml=workers: 2\n");
}

TEST_CASE("admin: the ControlPlane's refusals pass through, also when answered later", "[admin]") {
    Harness h;
    using http::verb;
    h.control.defer = true;
    h.control.answer = {412, error_json("the live version is 9, not 7")};
    auto refused = h.call(verb::put, "/v1/config", "workers: 2\n", {{"If-Match", "7"}});
    CHECK(refused.status == 412);
    CHECK(error_of(refused) == "the live version is 9, not 7");
    CHECK(body_json(refused).at("details").as_array().empty());
}

TEST_CASE("admin: validate, reload, rollback", "[admin]") {
    Harness h;
    using http::verb;
    h.control.answer = {200, json::object{{"valid", true}}};
    CHECK(h.call(verb::post, "/v1/config/validate", "workers: 3\n").status == 200);
    CHECK(h.control.last_call() == "validate_config workers: 3\n");

    h.control.answer = {200, json::object{{"version", 9}}};
    CHECK(h.call(verb::post, "/v1/config/reload").status == 200);
    CHECK(h.control.last_call() == "apply_config file if_match=none yaml=");

    CHECK(h.call(verb::post, "/v1/config/rollback", R"({"version": 3})").status == 200);
    CHECK(h.control.last_call() == "rollback 3");
}

TEST_CASE("admin: routes, upstreams and splits, by name", "[admin]") {
    Harness h;
    using http::verb;
    h.call(verb::put, "/v1/routes/api", "upstream: app-v1\n");
    CHECK(h.control.last_call() == "put_route api upstream: app-v1\n");
    h.call(verb::delete_, "/v1/routes/my%20route");
    CHECK(h.control.last_call() == "delete_route my route");
    h.call(verb::put, "/v1/upstreams/app-v2", R"({"targets": ["127.0.0.1:9002"]})");
    CHECK(h.control.last_call() == R"(put_upstream app-v2 {"targets": ["127.0.0.1:9002"]})");
    h.call(verb::delete_, "/v1/upstreams/app-v2");
    CHECK(h.control.last_call() == "delete_upstream app-v2");
    CHECK(h.call(verb::put, "/v1/routes/api/split", R"({"zeta": 10, "alpha": 90, "mid": 0})")
              .status == 200);
    CHECK(h.control.last_call() == "put_split api zeta=10 alpha=90 mid=0");
}

TEST_CASE("admin: stop answers 202 before stopping", "[admin]") {
    Harness h;
    using http::verb;
    auto stopping = h.call(verb::post, "/v1/stop");
    CHECK(stopping.status == 202);
    auto now = h.call(verb::post, "/v1/stop?now=1");
    CHECK(now.status == 202);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (h.control.last_call() != "stop now" && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    const auto calls = h.control.calls();
    CHECK(calls == std::vector<std::string>{"stop graceful", "stop now"});
}

TEST_CASE("admin: rollout endpoints reach the control plane", "[admin]") {
    Harness h;
    using http::verb;
    CHECK(h.call(verb::post, "/v1/rollouts", R"({"route":"api","to":"v2"})").status == 201);
    CHECK(h.call(verb::get, "/v1/rollouts/api", "").status == 200);
    for (const char* action : {"pause", "resume", "promote", "abort"}) {
        CHECK(h.call(verb::post, std::string{"/v1/rollouts/api/"} + action, "").status == 200);
    }
    CHECK(h.call(verb::post, "/v1/rollouts", "not json").status == 400);
    CHECK(h.control.calls() ==
          std::vector<std::string>{R"(start_rollout {"route":"api","to":"v2"})",
                                   "rollout_status api", "rollout_action api pause",
                                   "rollout_action api resume", "rollout_action api promote",
                                   "rollout_action api abort"});
}

TEST_CASE("admin: bad requests", "[admin]") {
    Harness h;
    using http::verb;

    SECTION("unknown path: 404; known path, wrong method: 405 with Allow") {
        auto missing = h.call(verb::get, "/v1/nothing");
        CHECK(missing.status == 404);
        CHECK_THAT(error_of(missing), Catch::Contains("/v1/help"));
        auto wrong = h.call(verb::delete_, "/v1/status");
        CHECK(wrong.status == 405);
        CHECK(wrong.allow == "GET");
        CHECK(h.call(verb::post, "/v1/config").allow == "GET, PUT");
        CHECK(h.call(verb::get, "/v1/routes/api").allow == "PUT, DELETE");
    }
    SECTION("bad JSON and bad values: 400, nothing called") {
        auto not_json = h.call(verb::post, "/v1/config/rollback", "{version: 3");
        CHECK(not_json.status == 400);
        CHECK_THAT(error_of(not_json), Catch::Contains("not valid JSON"));
        CHECK(h.call(verb::post, "/v1/config/rollback", R"({"version": "3"})").status == 400);
        CHECK(h.call(verb::post, "/v1/config/rollback", R"({"version": 0})").status == 400);
        auto fraction = h.call(verb::put, "/v1/routes/api/split", R"({"a": 1.5, "b": 2})");
        CHECK(fraction.status == 400);
        CHECK_THAT(error_of(fraction), Catch::Contains("weight of a must be an integer"));
        CHECK(h.call(verb::put, "/v1/routes/api/split", R"({"a": "10"})").status == 400);
        CHECK(h.call(verb::put, "/v1/routes/api/split", "[90, 10]").status == 400);
        CHECK(h.call(verb::put, "/v1/config", "x", {{"If-Match", "\"v7\""}}).status == 400);
        CHECK(h.call(verb::put, "/v1/config", "").status == 400);
        CHECK(h.control.calls().empty());
    }
    SECTION("a handler that throws answers 500 and the connection goes on") {
        h.control.throw_in_status = true;
        CHECK(h.call(verb::get, "/v1/status").status == 500);
        CHECK(h.call(verb::get, "/v1/metrics").status == 200);
    }
    SECTION("malformed HTTP: 400 and close") {
        stream_protocol::socket raw{h.io};
        raw.connect(stream_protocol::endpoint{h.admin.socket});
        asio::write(raw,
                    asio::buffer(std::string{"GET /v1/status HTTP/1.1\r\nBad Header\r\n\r\n"}));
        std::string answer;
        boost::system::error_code ec;
        asio::read(raw, asio::dynamic_buffer(answer), ec);
        CHECK(ec == asio::error::eof);
        CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 400"));
    }
}

TEST_CASE("admin: GET /v1/help lists the whole table", "[admin]") {
    Harness h;
    auto help = body_json(h.call(http::verb::get, "/v1/help"));
    const auto& listed = help.at("endpoints").as_array();
    CHECK(listed.size() == admin_endpoints().size());
    std::vector<std::string> seen;
    for (const auto& endpoint : listed) {
        seen.push_back(std::string{endpoint.at("method").as_string()} + " " +
                       std::string{endpoint.at("path").as_string()});
        CHECK(!endpoint.at("help").as_string().empty());
    }
    for (const auto* spec_row : {"GET /v1/status",
                                 "GET /v1/config",
                                 "PUT /v1/config",
                                 "POST /v1/config/validate",
                                 "GET /v1/config/history",
                                 "POST /v1/config/rollback",
                                 "PUT /v1/routes/{name}",
                                 "DELETE /v1/routes/{name}",
                                 "PUT /v1/upstreams/{name}",
                                 "DELETE /v1/upstreams/{name}",
                                 "PUT /v1/routes/{name}/split",
                                 "POST /v1/rollouts",
                                 "GET /v1/rollouts/{route}",
                                 "POST /v1/rollouts/{route}/pause",
                                 "POST /v1/rollouts/{route}/resume",
                                 "POST /v1/rollouts/{route}/promote",
                                 "POST /v1/rollouts/{route}/abort",
                                 "GET /v1/metrics",
                                 "POST /v1/stop",
                                 "POST /v1/config/reload",
                                 "GET /v1/help"}) {
        CHECK(std::find(seen.begin(), seen.end(), spec_row) != seen.end());
    }
}

TEST_CASE("admin: the socket file", "[admin]") {
    struct stat info {};
    SECTION("created 0600 in a folder made for it, removed by stop()") {
        std::string path;
        {
            Harness h;
            path = h.admin.socket;
            REQUIRE(::stat(path.c_str(), &info) == 0);
            CHECK(S_ISSOCK(info.st_mode));
            CHECK((info.st_mode & 0777) == 0600);
        }
        CHECK(::lstat(path.c_str(), &info) != 0);
    }
    SECTION("admin.mode widens it") {
        Harness h{0660};
        REQUIRE(::stat(h.admin.socket.c_str(), &info) == 0);
        CHECK((info.st_mode & 0777) == 0660);
    }
    const auto dir = make_temp_dir();
    asio::io_context io;
    FakeControl control{io};
    config::Admin admin;
    admin.socket = (dir / "admin.sock").string();
    SECTION("a stale socket is replaced") {
        { stream_protocol::acceptor stale{io, stream_protocol::endpoint{admin.socket}}; }
        REQUIRE(::lstat(admin.socket.c_str(), &info) == 0);
        AdminServer server{io, admin, control};
        CHECK(::stat(admin.socket.c_str(), &info) == 0);
    }
    SECTION("a live socket or a file that is no socket is left alone") {
        SECTION("live") {
            stream_protocol::acceptor live{io, stream_protocol::endpoint{admin.socket}};
            CHECK_THROWS_WITH((AdminServer{io, admin, control}), Catch::Contains("in use"));
        }
        SECTION("a regular file") {
            std::ofstream{admin.socket} << "precious";
            CHECK_THROWS_WITH((AdminServer{io, admin, control}), Catch::Contains("not a socket"));
            std::ifstream in{admin.socket};
            std::string text;
            in >> text;
            CHECK(text == "precious");
        }
    }
    std::filesystem::remove_all(dir);
}

namespace {

// In a child that becomes `uid`: sends GET /v1/status and exits 0 on a 403,
// 1 on a 200, 2 otherwise. Only system calls after fork().
int status_as_uid(const std::string& socket_path, uid_t uid) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket_path.c_str(), sizeof address.sun_path - 1);
    const pid_t child = ::fork();
    if (child == 0) {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        if (::setgid(uid) != 0 || ::setuid(uid) != 0 ||
            ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
            ::_exit(3);
        }
        const char request[] = "GET /v1/status HTTP/1.1\r\nHost: t\r\n\r\n";
        char answer[13] = {};
        if (::write(fd, request, sizeof request - 1) < 0 || ::read(fd, answer, 12) != 12) {
            ::_exit(4);
        }
        ::_exit(std::strcmp(answer, "HTTP/1.1 403") == 0   ? 0
                : std::strcmp(answer, "HTTP/1.1 200") == 0 ? 1
                                                           : 2);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("admin: SO_PEERCRED decides who may talk", "[admin]") {
    if (::geteuid() != 0) {
        WARN("needs root to connect as another uid; skipped");
        return;
    }
    constexpr uid_t nobody = 65534;
    // The socket's folders must let `nobody` through (mkdtemp makes 0700).
    const auto open_folders = [](const Harness& h) {
        std::filesystem::permissions(h.dir, std::filesystem::perms{0711});
        std::filesystem::permissions(h.dir / "run", std::filesystem::perms{0711});
    };
    {
        Harness h{0666};
        open_folders(h);
        CHECK(status_as_uid(h.admin.socket, nobody) == 0);
    }
    {
        Harness h{0666, {nobody}};
        open_folders(h);
        CHECK(status_as_uid(h.admin.socket, nobody) == 1);
    }
}

TEST_CASE("admin: request parsing helpers", "[admin]") {
    using Version = std::optional<std::uint64_t>;
    CHECK(std::get<Version>(parse_if_match("\"7\"")) == Version{7});
    CHECK(std::get<Version>(parse_if_match("7")) == Version{7});
    CHECK(std::get<Version>(parse_if_match(" W/\"7\" ")) == Version{7});
    CHECK(std::get<Version>(parse_if_match("")) == Version{});
    CHECK(std::get<Version>(parse_if_match("*")) == Version{});
    CHECK(std::holds_alternative<std::string>(parse_if_match("\"\"")));
    CHECK(std::holds_alternative<std::string>(parse_if_match("-1")));
    CHECK(std::holds_alternative<std::string>(parse_if_match("7, 8")));

    CHECK(match_path("/v1/routes/{name}/split", "/v1/routes/a%2Fb/split") ==
          std::vector<std::string>{"a/b"});
    CHECK(!match_path("/v1/routes/{name}", "/v1/routes/api/split"));
    CHECK(!match_path("/v1/status", "v1/status"));
    CHECK(!match_path("/v1/status", "/v1/status/"));
    CHECK(!match_path("/v1/routes/{name}/split", "/v1/routes//split"));
    CHECK(!match_path("/v1/routes/{name}", "/v1/routes/"));

    CHECK(peer_allowed(1000, 1000, {}));
    CHECK(peer_allowed(1001, 1000, {1001}));
    CHECK(!peer_allowed(1002, 1000, {1001}));
}

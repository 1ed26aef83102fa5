#pragma once

// A fake ControlPlane and an AdminServer on a temp socket, for the admin
// API's and the CLI's tests.

#include "master/admin/admin_api.hpp"
#include "master/cli/admin_client.hpp"
#include "master/admin/admin_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <spdlog/spdlog.h>

#include <stdlib.h>

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace turnout::master::testing {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;

// Records every call; answers with `answer` (through io.post when `defer`,
// as the master does after the workers' acks).
class FakeControl : public ControlPlane {
public:
    explicit FakeControl(asio::io_context& io) : io_(io) {}

    json::value status() override {
        record("status");
        if (throw_in_status) {
            throw std::runtime_error("boom");
        }
        return json::object{{"version", 5}, {"pid", 42}};
    }
    std::pair<std::string, std::uint64_t> live_config() override {
        record("live_config");
        return {"workers: 1\n", 5};
    }
    void apply_config(std::string yaml, std::string source, std::optional<std::uint64_t> if_match,
                      AdminCallback done) override {
        record("apply_config " + source +
               " if_match=" + (if_match ? std::to_string(*if_match) : "none") + " yaml=" + yaml);
        answer_with(std::move(done));
    }
    AdminResult validate_config(const std::string& yaml) override {
        record("validate_config " + yaml);
        return answer;
    }
    AdminResult history() override {
        record("history");
        return {200, json::array{json::object{{"version", 5}, {"time_ms", 0}}}};
    }
    void rollback(std::uint64_t version, AdminCallback done) override {
        record("rollback " + std::to_string(version));
        answer_with(std::move(done));
    }
    void put_route(const std::string& name, const std::string& body, AdminCallback done) override {
        record("put_route " + name + " " + body);
        answer_with(std::move(done));
    }
    void delete_route(const std::string& name, AdminCallback done) override {
        record("delete_route " + name);
        answer_with(std::move(done));
    }
    void put_upstream(const std::string& name, const std::string& body,
                      AdminCallback done) override {
        record("put_upstream " + name + " " + body);
        answer_with(std::move(done));
    }
    void delete_upstream(const std::string& name, AdminCallback done) override {
        record("delete_upstream " + name);
        answer_with(std::move(done));
    }
    void put_split(const std::string& route,
                   std::vector<std::pair<std::string, std::int64_t>> weights,
                   AdminCallback done) override {
        std::string text = "put_split " + route;
        for (const auto& [upstream, weight] : weights) {
            text += " " + upstream + "=" + std::to_string(weight);
        }
        record(text);
        answer_with(std::move(done));
    }
    void start_rollout(const json::value& body, AdminCallback done) override {
        record("start_rollout " + json::serialize(body));
        done({201, json::object{{"state", "stepping"}}});
    }
    AdminResult rollout_status(const std::string& route) override {
        record("rollout_status " + route);
        return {200, rollout};
    }
    void rollout_action(const std::string& route, const std::string& action,
                        AdminCallback done) override {
        record("rollout_action " + route + " " + action);
        done({200, json::object{{"route", route}}});
    }
    std::string metrics() override {
        record("metrics");
        return "turnout_config_version 5\n";
    }
    void upgrade(std::string binary, AdminCallback done) override {
        record("upgrade " + binary);
        done(upgrade_answer);
    }
    void stop(bool now) override { record(now ? "stop now" : "stop graceful"); }

    std::vector<std::string> calls() {
        std::lock_guard lock{mutex_};
        return calls_;
    }
    std::string last_call() {
        const auto all = calls();
        return all.empty() ? "" : all.back();
    }

    AdminResult answer{200, json::object{{"version", 8}, {"apply_ms", 3}}};
    AdminResult upgrade_answer{
        200, json::object{{"pid", 42}, {"previous_pid", 41}, {"binary", "/b"}, {"version", 8}}};
    // GET /v1/rollouts/{route}'s answer, shaped as Rollout::to_json's.
    json::object rollout{{"route", "api"},
                         {"to", "v2"},
                         {"state", "stepping"},
                         {"weight", 5},
                         {"step", 1},
                         {"reason", ""},
                         {"spec", json::object{{"steps", json::array{1, 5, 100}}}},
                         {"split", json::array{json::object{{"upstream", "v1"}, {"weight", 95}},
                                               json::object{{"upstream", "v2"}, {"weight", 5}}}},
                         {"deadline_in_ms", 27000},
                         {"transitions", json::array{json::object{{"time_ms", 0},
                                                                  {"from", "pending"},
                                                                  {"to", "stepping"},
                                                                  {"weight", 1},
                                                                  {"reason", "started"}}}}};
    bool defer = false;
    bool throw_in_status = false;

private:
    void record(std::string call) {
        std::lock_guard lock{mutex_};
        calls_.push_back(std::move(call));
    }
    void answer_with(AdminCallback done) {
        if (defer) {
            asio::post(io_, [done = std::move(done), answer = answer] { done(answer); });
        } else {
            done(answer);
        }
    }

    asio::io_context& io_;
    std::mutex mutex_;
    std::vector<std::string> calls_;
};

inline std::filesystem::path make_temp_dir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "turnout-admin-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    return pattern;
}

// Keeps the admin request log out of the test output; returns the old level.
inline spdlog::level::level_enum quiet_log() {
    const auto old = spdlog::get_level();
    spdlog::set_level(spdlog::level::warn);
    return old;
}

// An AdminServer on a temp socket, its io_context run on a thread of its own.
struct Harness {
    explicit Harness(std::optional<unsigned> mode = std::nullopt,
                     std::vector<unsigned> allow_uids = {})
        : control(io) {
        admin.socket = (dir / "run" / "admin.sock").string();
        admin.mode = mode;
        admin.allow_uids = std::move(allow_uids);
        server.emplace(io, admin, control);
        server->start();
        thread = std::thread([this] { io.run(); });
    }
    ~Harness() {
        spdlog::set_level(log_level);
        asio::post(io, [this] { server->stop(); });
        thread.join();  // returns only once stop() has released every handler
        server.reset();
        std::filesystem::remove_all(dir);
    }

    AdminHttpResponse call(http::verb method, const std::string& target, std::string body = {},
                           const AdminClient::Headers& headers = {}) {
        return client.request(method, target, std::move(body), "", headers);
    }

    spdlog::level::level_enum log_level = quiet_log();
    std::filesystem::path dir = make_temp_dir();
    config::Admin admin;
    asio::io_context io;
    FakeControl control;
    std::optional<AdminServer> server;
    std::thread thread;
    AdminClient client{(dir / "run" / "admin.sock").string(), std::chrono::seconds(10)};
};

inline json::value body_json(const AdminHttpResponse& response) {
    return json::parse(response.body);
}

inline std::string error_of(const AdminHttpResponse& response) {
    return std::string{body_json(response).at("error").as_string()};
}

}  // namespace turnout::master::testing

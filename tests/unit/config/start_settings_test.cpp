// The settings read only at start (workers, admin.*, state_dir) in a config
// pushed to a running master: left out they keep the values in force, set
// to another value they are an error naming the key.

#include "config/start_settings.hpp"
#include "tests/unit/config/load_helpers.hpp"

using namespace turnout::config;
using namespace turnout::config::test;

namespace {

// What the master runs with: started from a file that set all of them.
std::shared_ptr<const Config> in_force() {
    return load_ok(preamble + yaml(R"(
workers: 2
admin: { socket: a.sock, mode: "0660", allow_uids: [1000] }
state_dir: state
)"));
}

LoadResult pushed(const std::string& text) {
    return load_config_text(text, "PUT /v1/config", base_dir, *in_force());
}

}  // namespace

TEST_CASE("a pushed config that leaves them out keeps the values in force", "[config]") {
    auto result = pushed(preamble);
    REQUIRE(std::holds_alternative<std::shared_ptr<const Config>>(result));
    const auto& config = *std::get<std::shared_ptr<const Config>>(result);
    CHECK(config.workers == 2);
    CHECK(config.admin.socket == "/etc/turnout/a.sock");
    CHECK(config.admin.mode == 0660U);
    CHECK(config.admin.allow_uids == std::vector<unsigned>{1000});
    CHECK(config.state_dir == "/etc/turnout/state");

    // The same values written out, in other words, are no change.
    auto same = pushed(preamble + yaml(R"(
workers: 2
admin: { socket: ./a.sock, mode: 660 }
state_dir: /etc/turnout/state
)"));
    CHECK(std::holds_alternative<std::shared_ptr<const Config>>(same));
}

TEST_CASE("a pushed config that changes one is refused, naming the key", "[config]") {
    auto result = pushed(preamble + yaml(R"(
workers: auto
admin: { socket: b.sock, mode: "0600", allow_uids: [] }
state_dir: elsewhere
)"));
    REQUIRE(std::holds_alternative<ConfigErrors>(result));
    const auto& errors = std::get<ConfigErrors>(result);
    INFO(describe(errors));
    REQUIRE(errors.size() == 5);
    const std::vector<std::pair<std::string, std::string>> expected{
        {"workers:", "runs with 2"},
        {"admin.socket:", "runs with /etc/turnout/a.sock"},
        {"admin.mode:", "runs with 0660"},
        {"admin.allow_uids:", "runs with [1000]"},
        {"state_dir:", "runs with /etc/turnout/state"}};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        CHECK(errors[i].file == "PUT /v1/config");
        CHECK(errors[i].line == 8 + static_cast<int>(i > 0) + static_cast<int>(i > 3));
        CHECK_THAT(errors[i].message, Catch::Matchers::StartsWith(expected[i].first));
        CHECK_THAT(errors[i].message, Catch::Matchers::Contains(expected[i].second));
        CHECK_THAT(errors[i].message, Catch::Matchers::Contains("takes a restart"));
    }
}

TEST_CASE("a file read at start takes them as written, with their defaults", "[config]") {
    const auto config = load_ok(preamble);
    CHECK(config->workers == 0);
    CHECK(config->admin.socket == "/etc/turnout/run/admin.sock");
    CHECK(config->state_dir == "/etc/turnout/run/state");
}

TEST_CASE("with_start_settings takes them from the config in force", "[config]") {
    const auto saved = load_ok(preamble);
    const auto running = in_force();
    const auto config = with_start_settings(saved, *running);
    CHECK(config->workers == running->workers);
    CHECK(config->admin == running->admin);
    CHECK(config->state_dir == running->state_dir);
    CHECK(config->upstreams == saved->upstreams);
    CHECK(with_start_settings(running, *running) == running);
}

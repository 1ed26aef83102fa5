#pragma once

// Helpers for the config loader tests: load YAML text and get either the
// Config or the errors, failing the test with the other's details.

#include "config/loader.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <variant>

namespace turnout::config::test {

// Every test's relative paths resolve against this folder.
inline const std::string base_dir = "/etc/turnout";

// A raw string literal written as R"(
// ...)" starts with a newline; drop it so line 1 is the first line shown.
inline std::string yaml(std::string_view text) {
    if (!text.empty() && text.front() == '\n') {
        text.remove_prefix(1);
    }
    return std::string(text);
}

inline std::string describe(const ConfigErrors& errors) {
    std::string out;
    for (const auto& error : errors) {
        out += error.to_string() + "\n";
    }
    return out;
}

inline std::shared_ptr<const Config> load_ok(const std::string& text) {
    auto result = load_config_text(text, "test.yaml", base_dir);
    if (auto* errors = std::get_if<ConfigErrors>(&result)) {
        FAIL("expected a valid config, got:\n" << describe(*errors));
    }
    return std::get<std::shared_ptr<const Config>>(result);
}

inline ConfigErrors load_errors(const std::string& text) {
    auto result = load_config_text(text, "test.yaml", base_dir);
    if (!std::holds_alternative<ConfigErrors>(result)) {
        FAIL("expected errors, but the config loaded");
    }
    return std::get<ConfigErrors>(result);
}

// The config has exactly one error, at line:column, and its message holds
// every one of `fragments`.
inline void require_error(const std::string& text, int line, int column,
                          std::initializer_list<std::string_view> fragments) {
    ConfigErrors errors = load_errors(text);
    INFO(describe(errors));
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].file == "test.yaml");
    CHECK(errors[0].line == line);
    CHECK(errors[0].column == column);
    for (auto fragment : fragments) {
        CHECK_THAT(errors[0].message, Catch::Matchers::Contains(std::string(fragment)));
    }
}

// The lines most configs in the tests start with: one listener (lines 1-2)
// and two upstreams, app (lines 4-5) and canary (lines 6-7). What a test
// appends starts at line 8.
inline const std::string preamble = yaml(R"(
listeners:
  - { name: web, address: 127.0.0.1:8080 }
upstreams:
  app:
    targets: [127.0.0.1:9001]
  canary:
    targets: [127.0.0.1:9002]
)");

}  // namespace turnout::config::test

// The config loader on arbitrary bytes: it must never crash, hang or throw,
// every error must carry a place, and a config it accepts must survive the
// two round trips the master relies on (YAML for state_dir and the admin
// API, JSON for the master → worker snapshots) unchanged.

#include "config/json_codec.hpp"
#include "config/loader.hpp"
#include "config/yaml_writer.hpp"
#include "tests/fuzz/fuzz_check.hpp"

#include <boost/json/serialize.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>

namespace config = turnout::config;

namespace {

const std::string file_name = "fuzz.yaml";
const std::string base_dir = "/etc/turnout";

void check_errors(const config::ConfigErrors& errors) {
    FUZZ_CHECK(!errors.empty());
    for (const auto& error : errors) {
        FUZZ_CHECK(error.file == file_name);
        FUZZ_CHECK(error.line >= 0 && error.column >= 0);
        FUZZ_CHECK(!error.message.empty());
        // The loader turns an exception it did not expect into this error,
        // with no place: for the fuzzer, a bug in a section reader.
        FUZZ_CHECK(error.line > 0 || !error.message.starts_with("internal error"));
    }
}

void check_round_trips(const config::Config& loaded) {
    const std::string yaml = config::to_yaml(loaded);
    auto reloaded = config::load_config_text(yaml, file_name, base_dir);
    FUZZ_CHECK(std::holds_alternative<std::shared_ptr<const config::Config>>(reloaded));
    FUZZ_CHECK(*std::get<std::shared_ptr<const config::Config>>(reloaded) == loaded);

    auto json = config::parse_json(boost::json::serialize(config::to_json(loaded)));
    FUZZ_CHECK(json.has_value());
    auto decoded = config::config_from_json(*json);
    FUZZ_CHECK(decoded.has_value());
    FUZZ_CHECK(*decoded == loaded);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    auto result = config::load_config_text(text, file_name, base_dir);
    if (auto* errors = std::get_if<config::ConfigErrors>(&result)) {
        check_errors(*errors);
    } else {
        check_round_trips(*std::get<std::shared_ptr<const config::Config>>(result));
    }
    return 0;
}

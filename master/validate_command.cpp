#include "config/loader.hpp"
#include "master/commands.hpp"
#include "master/tls_files.hpp"

#include <iostream>

namespace turnout::master {

bool validate_command(const std::string& config_path) {
    auto result = config::load_config_file(config_path);
    if (auto* errors = std::get_if<config::ConfigErrors>(&result)) {
        for (const auto& error : *errors) {
            std::cerr << error.to_string() << '\n';
        }
        return false;
    }
    const auto tls_errors =
        check_tls_files(*std::get<std::shared_ptr<const config::Config>>(result), config_path);
    for (const auto& error : tls_errors) {
        std::cerr << error.to_string() << '\n';
    }
    if (!tls_errors.empty()) {
        return false;
    }
    std::cout << config_path << ": valid\n";
    return true;
}

}  // namespace turnout::master

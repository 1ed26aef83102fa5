#include "master/stored_config.hpp"

#include "config/json_codec.hpp"

#include <boost/json/serialize.hpp>

namespace turnout::master {

std::string encode_config(const config::Config& config) {
    return boost::json::serialize(config::to_json(config));
}

std::shared_ptr<const config::Config> decode_config(std::string_view text) {
    const auto json = config::parse_json(text);
    if (!json) {
        return nullptr;
    }
    auto config = config::config_from_json(*json);
    return config ? std::make_shared<const config::Config>(std::move(*config)) : nullptr;
}

}  // namespace turnout::master

#include "master/store/stored_config.hpp"

#include "config/json_codec.hpp"

#include <boost/json/serialize.hpp>

namespace turnout::master {

namespace {

std::optional<config::Config> decode_whole(std::string_view text) {
    const auto json = config::parse_json(text);
    return json ? config::config_from_json(*json) : std::nullopt;
}

}  // namespace

std::string encode_config(const config::Config& config) {
    return config::to_json_text(config);
}

std::string encode_change(const worker::ConfigDelta& change) {
    return boost::json::serialize(worker::to_json(change));
}

std::shared_ptr<const config::Config> decode_config(std::string_view text) {
    auto config = decode_whole(text);
    return config ? std::make_shared<const config::Config>(std::move(*config)) : nullptr;
}

std::shared_ptr<const config::Config> decode_config(const StoredVersion& stored) {
    auto config = decode_whole(stored.config);
    if (!config) {
        return nullptr;
    }
    for (const auto& text : stored.changes) {
        const auto json = config::parse_json(text);
        const auto change = json ? worker::delta_from_json(*json) : std::nullopt;
        if (!change) {
            return nullptr;
        }
        worker::apply_delta(*change, *config);
    }
    return std::make_shared<const config::Config>(std::move(*config));
}

}  // namespace turnout::master

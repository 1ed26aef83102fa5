#pragma once

// Internal to the JSON codec (json_codec.cpp encodes, json_codec_decode.cpp
// decodes): the names enums travel as.

#include "config/config.hpp"

#include <array>
#include <optional>
#include <string_view>

namespace turnout::config::detail {

// Indexed by the enum's value.
inline constexpr std::array<std::string_view, 4> balance_names = {"round_robin", "least_request",
                                                                  "random_two", "hash"};
inline constexpr std::array<std::string_view, 4> key_kind_names = {"none", "header", "cookie",
                                                                   "client_ip"};

// The enum whose name is `name`; nullopt for none.
template <typename Enum, std::size_t N>
std::optional<Enum> enum_from_name(const std::array<std::string_view, N>& names,
                                   std::string_view name) {
    for (std::size_t i = 0; i < N; ++i) {
        if (names[i] == name) {
            return static_cast<Enum>(i);
        }
    }
    return std::nullopt;
}

}  // namespace turnout::config::detail

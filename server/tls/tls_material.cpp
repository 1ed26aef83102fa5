#include "server/tls/tls_material.hpp"

#include <boost/json.hpp>

namespace turnout::server {

namespace json = boost::json;

namespace {

std::string to_hex(const std::string& bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 0xf];
    }
    return out;
}

std::optional<std::string> from_hex(std::string_view hex) {
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        return -1;
    };
    if (hex.size() % 2 != 0) {
        return std::nullopt;
    }
    std::string out;
    out.reserve(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        const int high = nibble(hex[i]);
        const int low = nibble(hex[i + 1]);
        if (high < 0 || low < 0) {
            return std::nullopt;
        }
        out += static_cast<char>(high * 16 + low);
    }
    return out;
}

// The string at `key`, or nullopt when it is missing or not a string.
std::optional<std::string> string_at(const json::object& object, std::string_view key) {
    const auto* value = object.if_contains(key);
    if (!value || !value->is_string()) {
        return std::nullopt;
    }
    return std::string{value->get_string()};
}

std::optional<CertificatePem> certificate_from_json(const json::value& value) {
    const auto* object = value.if_object();
    if (!object) {
        return std::nullopt;
    }
    auto cert_path = string_at(*object, "cert_path");
    auto key_path = string_at(*object, "key_path");
    auto cert = string_at(*object, "cert");
    auto key = string_at(*object, "key");
    if (!cert_path || !key_path || !cert || !key) {
        return std::nullopt;
    }
    return CertificatePem{std::move(*cert_path), std::move(*key_path), std::move(*cert),
                          std::move(*key)};
}

std::optional<ListenerTlsMaterial> listener_from_json(const json::value& value) {
    const auto* object = value.if_object();
    const auto* certificates = object ? object->if_contains("certificates") : nullptr;
    auto min_version = object ? string_at(*object, "min_version") : std::nullopt;
    if (!certificates || !certificates->is_array() || !min_version) {
        return std::nullopt;
    }
    ListenerTlsMaterial listener{std::move(*min_version), {}};
    const auto* http2 = object->if_contains("http2");
    listener.http2 = http2 && http2->is_bool() && http2->get_bool();
    for (const auto& item : certificates->get_array()) {
        auto certificate = certificate_from_json(item);
        if (!certificate) {
            return std::nullopt;
        }
        listener.certificates.push_back(std::move(*certificate));
    }
    return listener;
}

}  // namespace

json::value to_json(const TlsMaterial& material) {
    json::object listeners;
    for (const auto& [name, listener] : material.listeners) {
        json::array certificates;
        for (const auto& certificate : listener.certificates) {
            certificates.push_back(json::object{{"cert_path", certificate.cert_path},
                                                {"key_path", certificate.key_path},
                                                {"cert", certificate.cert},
                                                {"key", certificate.key}});
        }
        listeners[name] = json::object{{"min_version", listener.min_version},
                                       {"http2", listener.http2},
                                       {"certificates", std::move(certificates)}};
    }
    return json::object{{"listeners", std::move(listeners)},
                        {"ticket_keys", to_hex(material.ticket_keys)}};
}

std::optional<TlsMaterial> tls_material_from_json(const json::value& value) {
    const auto* object = value.if_object();
    const auto* listeners = object ? object->if_contains("listeners") : nullptr;
    auto keys_hex = object ? string_at(*object, "ticket_keys") : std::nullopt;
    auto keys = keys_hex ? from_hex(*keys_hex) : std::nullopt;
    if (!listeners || !listeners->is_object() || !keys) {
        return std::nullopt;
    }
    TlsMaterial material;
    material.ticket_keys = std::move(*keys);
    for (const auto& [name, item] : listeners->get_object()) {
        auto listener = listener_from_json(item);
        if (!listener) {
            return std::nullopt;
        }
        material.listeners.emplace(std::string{name}, std::move(*listener));
    }
    return material;
}

}  // namespace turnout::server

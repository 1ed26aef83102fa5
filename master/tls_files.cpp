#include "master/tls_files.hpp"

#include "server/tls/tls_server_context.hpp"
#include "server/upstream/upstream_tls.hpp"

#include <openssl/rand.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace turnout::master {

namespace {

// PEM certificates and keys are a few KiB; a larger file is a wrong path.
constexpr std::streamoff max_pem_bytes = 1024 * 1024;

bool read_pem(const std::string& path, const char* what, std::string& out, std::string& error) {
    std::ifstream in{path, std::ios::binary};
    if (!in) {
        error = std::string{what} + " " + path + " cannot be read: " + std::strerror(errno);
        return false;
    }
    in.seekg(0, std::ios::end);
    const auto size = in.tellg();
    if (size > max_pem_bytes) {
        error = std::string{what} + " " + path + " is over 1 MiB: not a PEM file";
        return false;
    }
    in.seekg(0);
    std::ostringstream text;
    text << in.rdbuf();
    out = text.str();
    return true;
}

config::ConfigError error_in(const std::string& file, std::string message) {
    return config::ConfigError{file, 0, 0, std::move(message)};
}

}  // namespace

std::variant<server::TlsMaterial, config::ConfigErrors> read_listener_tls(
    const config::Config& config, const std::string& ticket_keys, const std::string& file) {
    server::TlsMaterial material;
    material.ticket_keys = ticket_keys;
    config::ConfigErrors errors;
    for (const auto& listener : config.listeners) {
        if (!listener.tls) {
            continue;
        }
        server::ListenerTlsMaterial tls{listener.tls->min_version, {}, listener.http2.has_value()};
        bool read_all = true;
        for (const auto& certificate : listener.tls->certificates) {
            server::CertificatePem pem{certificate.cert, certificate.key, {}, {}};
            std::string error;
            if (!read_pem(certificate.cert, "certificate", pem.cert, error) ||
                !read_pem(certificate.key, "key", pem.key, error)) {
                errors.push_back(error_in(file, "listener " + listener.name + ": " + error));
                read_all = false;
                continue;
            }
            tls.certificates.push_back(std::move(pem));
        }
        std::string error;
        if (read_all && !server::TlsServerContext::create(tls, ticket_keys, error)) {
            errors.push_back(error_in(file, "listener " + listener.name + ": " + error));
        }
        material.listeners.emplace(listener.name, std::move(tls));
    }
    if (!errors.empty()) {
        return errors;
    }
    return material;
}

config::ConfigErrors check_upstream_ca(const config::Upstream& upstream, const std::string& file) {
    if (!upstream.tls || upstream.tls->ca.empty() || !upstream.tls->verify) {
        return {};
    }
    std::string error;
    if (server::make_upstream_tls_context(*upstream.tls, error)) {
        return {};
    }
    return {error_in(file, "upstream " + upstream.name + ": " + error)};
}

config::ConfigErrors check_tls_files(const config::Config& config, const std::string& file) {
    config::ConfigErrors errors;
    auto listeners = read_listener_tls(config, {}, file);
    if (auto* listener_errors = std::get_if<config::ConfigErrors>(&listeners)) {
        errors = std::move(*listener_errors);
    }
    for (const auto& upstream : config.upstreams) {
        auto more = check_upstream_ca(upstream, file);
        errors.insert(errors.end(), more.begin(), more.end());
    }
    return errors;
}

std::string make_ticket_keys() {
    std::string keys(server::TlsServerContext::ticket_keys_size, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(keys.data()), static_cast<int>(keys.size())) !=
        1) {
        throw std::runtime_error{"OpenSSL's random generator failed to make session ticket keys"};
    }
    return keys;
}

}  // namespace turnout::master

#pragma once

// What a worker needs to terminate TLS on its listeners, as the master read
// it from the files the config names. The PEM text travels to the workers,
// not the paths: every worker serves exactly the bytes the master checked
// when it accepted the config, and a worker started later serves what its
// siblings serve even if a file changed on disk since.

#include <boost/json/value.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace turnout::server {

struct CertificatePem {
    std::string cert_path;  // for errors and logs
    std::string key_path;
    std::string cert;  // PEM: the certificate, then its chain
    std::string key;   // PEM private key
    bool operator==(const CertificatePem&) const = default;
};

struct ListenerTlsMaterial {
    std::string min_version = "1.2";           // "1.2" or "1.3"
    std::vector<CertificatePem> certificates;  // the first is the default
    bool http2 = false;                        // ALPN offers h2 before http/1.1
    bool operator==(const ListenerTlsMaterial&) const = default;
};

struct TlsMaterial {
    std::map<std::string, ListenerTlsMaterial> listeners;  // by listener name
    // Session ticket keys every worker shares, so a client resumes its
    // session on whichever worker accepts its next connection. Empty: each
    // context makes its own.
    std::string ticket_keys;
    bool operator==(const TlsMaterial&) const = default;
};

boost::json::value to_json(const TlsMaterial& material);
// nullopt when the JSON is not what to_json writes.
std::optional<TlsMaterial> tls_material_from_json(const boost::json::value& json);

}  // namespace turnout::server

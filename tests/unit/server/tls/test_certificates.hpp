#pragma once

// Certificates made in memory for TLS unit tests: a fresh P-256 key and a
// self-signed certificate valid for an hour, with the given names.

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace turnout::test {

struct TestCertificate {
    std::string cert;  // PEM
    std::string key;   // PEM
};

inline std::string pem_of(BIO* bio) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(size));
    BIO_free(bio);
    return out;
}

// `dns_names` become subjectAltName DNS entries; with none, the certificate
// has only its common name.
inline TestCertificate make_certificate(const std::string& common_name,
                                        const std::vector<std::string>& dns_names = {}) {
    static long serial = 1;
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    if (key == nullptr || cert == nullptr) {
        throw std::runtime_error("cannot make a test key or certificate");
    }
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                               0);
    X509_set_issuer_name(cert, name);
    if (!dns_names.empty()) {
        std::string alt_names;
        for (const auto& dns : dns_names) {
            alt_names += (alt_names.empty() ? "DNS:" : ",DNS:") + dns;
        }
        X509V3_CTX context;
        X509V3_set_ctx_nodb(&context);
        X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
        X509_EXTENSION* extension =
            X509V3_EXT_conf_nid(nullptr, &context, NID_subject_alt_name, alt_names.c_str());
        X509_add_ext(cert, extension, -1);
        X509_EXTENSION_free(extension);
    }
    X509_sign(cert, key, EVP_sha256());

    BIO* cert_bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(cert_bio, cert);
    BIO* key_bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(key_bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    X509_free(cert);
    EVP_PKEY_free(key);
    return {pem_of(cert_bio), pem_of(key_bio)};
}

}  // namespace turnout::test

#include "master/etcd/gateway_stream.hpp"

#include <stdexcept>

namespace turnout::master::etcd {

namespace ssl = boost::asio::ssl;

std::shared_ptr<ssl::context> make_tls_context(const std::optional<std::string>& ca,
                                               const std::optional<std::string>& cert,
                                               const std::optional<std::string>& key) {
    auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
    context->set_verify_mode(ssl::verify_peer);
    boost::system::error_code ec;
    if (ca) {
        context->load_verify_file(*ca, ec);
    } else {
        context->set_default_verify_paths(ec);
    }
    if (ec) {
        throw std::invalid_argument("cannot load the etcd CA " + ca.value_or("(system)") + ": " +
                                    ec.message());
    }
    if (cert && key) {
        context->use_certificate_chain_file(*cert, ec);
        if (!ec) {
            context->use_private_key_file(*key, ssl::context::pem, ec);
        }
        if (ec) {
            throw std::invalid_argument("cannot load the etcd client certificate " + *cert + " / " +
                                        *key + ": " + ec.message());
        }
    }
    return context;
}

}  // namespace turnout::master::etcd

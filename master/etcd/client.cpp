#include "master/etcd/client.hpp"

#include "master/etcd/gateway_stream.hpp"
#include "master/etcd/http_call.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <stdexcept>

namespace turnout::master::etcd {

namespace json = boost::json;

Client::Client(boost::asio::io_context& io, ClientOptions options)
    : io_{io}, options_{std::move(options)} {
    for (const auto& url : options_.endpoints) {
        auto endpoint = parse_endpoint(url);
        if (!endpoint) {
            throw std::invalid_argument("etcd endpoint " + url +
                                        " is not a URL like http://127.0.0.1:2379");
        }
        endpoints_.push_back(std::move(*endpoint));
    }
    if (endpoints_.empty()) {
        throw std::invalid_argument("no etcd endpoint given");
    }
    for (const auto& endpoint : endpoints_) {
        if (endpoint.tls && !tls_) {
            tls_ = make_tls_context(options_.ca, options_.cert, options_.key);
        }
    }
}

void Client::call(std::string path, json::object body, Answer done) {
    ensure_token([this, path = std::move(path), body = json::serialize(body),
                  done = std::move(done)](std::string error) mutable {
        if (!error.empty()) {
            done(std::nullopt, std::move(error));
            return;
        }
        call_from(std::move(path), std::move(body), endpoints_.size(), std::move(done));
    });
}

void Client::call_from(std::string path, std::string body, std::size_t tries_left, Answer done) {
    const auto endpoint = endpoints_[current_];
    http_post(
        io_, tls_.get(), endpoint, path, body, token_, options_.request_timeout,
        [this, path, body, tries_left, done = std::move(done),
         endpoint](HttpAnswer answer) mutable {
            if (answer.status == 401) {
                token_.clear();  // expired (etcd's --auth-token-ttl): the next call gets a new one
            }
            const bool member_failed = !answer.transport_error.empty() || answer.status >= 500;
            if (member_failed && tries_left > 1) {
                if (endpoints_[current_].url == endpoint.url) {
                    fail_over();
                }
                call_from(std::move(path), std::move(body), tries_left - 1, std::move(done));
                return;
            }
            if (!answer.transport_error.empty()) {
                done(std::nullopt, std::move(answer.transport_error));
                return;
            }
            if (answer.status != 200) {
                done(std::nullopt, endpoint.url + path + " answered " +
                                       std::to_string(answer.status) + ": " +
                                       error_message(answer.body));
                return;
            }
            boost::system::error_code ec;
            auto value = json::parse(answer.body, ec);
            if (ec) {
                done(std::nullopt, endpoint.url + path + " answered with no JSON: " + ec.message());
                return;
            }
            done(std::move(value), {});
        });
}

void Client::ensure_token(std::function<void(std::string error)> then) {
    if (!options_.username || !token_.empty()) {
        then({});
        return;
    }
    json::object body{{"name", *options_.username}, {"password", options_.password.value_or("")}};
    call_from("/v3/auth/authenticate", json::serialize(body), endpoints_.size(),
              [this, then = std::move(then)](std::optional<json::value> answer, std::string error) {
                  const auto* token = answer && answer->is_object()
                                          ? answer->get_object().if_contains("token")
                                          : nullptr;
                  if (!token || !token->is_string()) {
                      then(error.empty() ? "etcd authentication answered no token"
                                         : "etcd authentication failed: " + error);
                      return;
                  }
                  token_ = std::string{token->get_string()};
                  then({});
              });
}

void Client::read_prefix(std::string prefix, Done<Snapshot> done) {
    auto from = prefix;
    read_page(std::make_shared<Snapshot>(), std::move(prefix), std::move(from), std::move(done));
}

void Client::read_page(std::shared_ptr<Snapshot> snapshot, std::string prefix, std::string from,
                       Done<Snapshot> done) {
    auto body = range_request(from, prefix_end(prefix), snapshot->revision, options_.page_size);
    call("/v3/kv/range", std::move(body),
         [this, snapshot, prefix, done = std::move(done)](std::optional<json::value> answer,
                                                          std::string error) mutable {
             auto page = answer ? parse_range(*answer) : std::nullopt;
             if (!page) {
                 done(std::nullopt, error.empty() ? "a range answer does not decode" : error);
                 return;
             }
             if (snapshot->revision == 0) {
                 snapshot->revision = page->revision;
             }
             for (auto& kv : page->kvs) {
                 snapshot->kvs.push_back(std::move(kv));
             }
             if (!page->more || snapshot->kvs.empty()) {
                 done(std::move(*snapshot), {});
                 return;
             }
             // The next page starts just past the last key read.
             read_page(snapshot, prefix, snapshot->kvs.back().key + std::string(1, '\0'),
                       std::move(done));
         });
}

void Client::txn(const Txn& txn, Done<TxnResult> done) {
    call("/v3/kv/txn", txn_request(txn),
         [done = std::move(done)](std::optional<json::value> answer, std::string error) {
             auto result = answer ? parse_txn(*answer) : std::nullopt;
             done(result, result ? std::string{}
                                 : (error.empty() ? "a txn answer does not decode" : error));
         });
}

void Client::put(const std::string& key, const std::string& value, std::int64_t lease,
                 Done<std::int64_t> done) {
    json::object body{{"key", base64_encode(key)}, {"value", base64_encode(value)}};
    if (lease != 0) {
        body["lease"] = std::to_string(lease);
    }
    call("/v3/kv/put", std::move(body),
         [done = std::move(done)](std::optional<json::value> answer, std::string error) {
             auto range = answer ? parse_range(*answer) : std::nullopt;  // the same header
             done(range ? std::optional{range->revision} : std::nullopt,
                  range ? std::string{} : (error.empty() ? "a put answer does not decode" : error));
         });
}

void Client::lease_grant(std::int64_t ttl_seconds, Done<Lease> done) {
    call("/v3/lease/grant", json::object{{"TTL", std::to_string(ttl_seconds)}},
         [done = std::move(done)](std::optional<json::value> answer, std::string error) {
             auto lease = answer ? parse_lease(*answer) : std::nullopt;
             done(lease, lease ? std::string{}
                               : (error.empty() ? "a lease answer does not decode" : error));
         });
}

void Client::lease_keepalive(std::int64_t id, Done<Lease> done) {
    call("/v3/lease/keepalive", json::object{{"ID", std::to_string(id)}},
         [done = std::move(done)](std::optional<json::value> answer, std::string error) {
             auto lease = answer ? parse_lease(*answer) : std::nullopt;
             done(lease, lease ? std::string{}
                               : (error.empty() ? "a keep-alive answer does not decode" : error));
         });
}

void Client::lease_revoke(std::int64_t id, Done<bool> done) {
    call("/v3/lease/revoke", json::object{{"ID", std::to_string(id)}},
         [done = std::move(done)](std::optional<json::value> answer, std::string error) {
             done(answer ? std::optional{true} : std::nullopt, std::move(error));
         });
}

}  // namespace turnout::master::etcd

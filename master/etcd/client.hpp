#pragma once

// An etcd v3 client over the JSON gateway, in the master's event loop: the
// unary calls turnout needs (a prefix read pinned to one revision, a
// transaction, leases) with failover between members, and watch streams
// (watch_stream.hpp) on the member it currently uses. Every call answers
// exactly once through its callback, from the event loop; `error` is empty
// on success and otherwise says what failed where.

#include "master/etcd/endpoint.hpp"
#include "master/etcd/messages.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace turnout::master::etcd {

struct ClientOptions {
    std::vector<std::string> endpoints;  // URLs, in failover order
    std::optional<std::string> username;
    std::optional<std::string> password;
    // For https endpoints: the CA (else the system's) and a client certificate.
    std::optional<std::string> ca;
    std::optional<std::string> cert;
    std::optional<std::string> key;
    std::chrono::milliseconds request_timeout{3000};
    // Keys per page of a prefix read.
    std::int64_t page_size = 1000;
};

// Everything under a prefix at one revision.
struct Snapshot {
    std::int64_t revision = 0;
    std::vector<KeyValue> kvs;  // in key order
};

class Client {
public:
    template <typename T>
    using Done = std::function<void(std::optional<T>, std::string error)>;
    using Answer = Done<boost::json::value>;

    // Throws std::invalid_argument naming an endpoint that does not parse,
    // or TLS files that do not load.
    Client(boost::asio::io_context& io, ClientOptions options);

    // POSTs `body` to `path` (e.g. "/v3/kv/txn") on the current member; on a
    // transport failure or a 5xx answer, moves to the next member and tries
    // it, each member once per call. A 4xx answer is final (error holds
    // etcd's message).
    void call(std::string path, boost::json::object body, Answer done);

    // Every key under `prefix` at one revision: the first page fixes it and
    // the later pages are read at it, so the result is one consistent cut.
    void read_prefix(std::string prefix, Done<Snapshot> done);
    void txn(const Txn& txn, Done<TxnResult> done);
    // Puts one key (bound to `lease` unless 0); answers the revision made.
    void put(const std::string& key, const std::string& value, std::int64_t lease,
             Done<std::int64_t> done);
    void lease_grant(std::int64_t ttl_seconds, Done<Lease> done);
    // One keep-alive; the answer's ttl_seconds is 0 when the lease is gone.
    void lease_keepalive(std::int64_t id, Done<Lease> done);
    void lease_revoke(std::int64_t id, Done<bool> done);

    // The member calls and watches use now, and a move to the next one (after
    // a watch on it broke).
    const Endpoint& current() const { return endpoints_[current_]; }
    void fail_over() { current_ = (current_ + 1) % endpoints_.size(); }
    // The token to send as Authorization (empty without auth): a watch needs it.
    const std::string& token() const { return token_; }
    // For the watch streams of https endpoints; null when none is https.
    boost::asio::ssl::context* tls() const { return tls_.get(); }
    // Gets a token first when the options have a user and none is held.
    void ensure_token(std::function<void(std::string error)> then);
    boost::asio::io_context& io() { return io_; }

private:
    void call_from(std::string path, std::string body, std::size_t tries_left, Answer done);
    void read_page(std::shared_ptr<Snapshot> snapshot, std::string prefix, std::string from,
                   Done<Snapshot> done);

    boost::asio::io_context& io_;
    ClientOptions options_;
    std::vector<Endpoint> endpoints_;
    std::size_t current_ = 0;
    std::string token_;
    std::shared_ptr<boost::asio::ssl::context> tls_;
};

}  // namespace turnout::master::etcd

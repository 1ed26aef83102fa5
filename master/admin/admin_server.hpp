#pragma once

// The admin API (SPEC §4): HTTP/1.1 with Beast over a Unix-domain socket,
// so `curl --unix-socket run/admin.sock http://turnout/v1/status` works.
// Endpoints are a table of {method, path, help, handler}; `GET /v1/help`
// lists them. The socket is created with mode 0600 (admin.mode widens it),
// and every connection's peer uid (SO_PEERCRED) must be ours or listed in
// admin.allow_uids.

#include "config/config.hpp"
#include "master/control_plane.hpp"

#include <boost/asio/io_context.hpp>

#include <memory>

namespace turnout::master {

class AdminServer {
public:
    // Removes a stale socket file at the path first. Throws
    // std::system_error naming the path when it cannot listen.
    AdminServer(boost::asio::io_context& io, const config::Admin& admin, ControlPlane& control);
    ~AdminServer();

    void start();
    // Stops accepting and removes the socket file.
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace turnout::master

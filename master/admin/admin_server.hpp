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
    // std::system_error naming the path when it cannot listen. With
    // `inherited_fd` >= 0 (an upgrade) it accepts on that socket, already
    // listening at the path, and does not own the file until claim_path().
    AdminServer(boost::asio::io_context& io, const config::Admin& admin, ControlPlane& control,
                int inherited_fd = -1);
    ~AdminServer();

    void start();
    // Stops accepting and removes the socket file if it owns it.
    void stop();

    // The listening socket, for an upgrade to hand over.
    int native_handle();
    // An upgrade's two ends: the old master stops accepting and gives up the
    // file (its open sessions still answer); the new master, once serving,
    // owns the file (and removes it when it stops).
    void hand_over();
    void claim_path();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace turnout::master

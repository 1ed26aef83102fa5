#pragma once

// Both ends of a loopback TCP connection, for unit tests that need a real
// socket under a stream, a deadline or a wait.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <utility>

namespace turnout::test {

template <class Socket>
struct LoopbackConnection {
    Socket client;
    Socket server;
};

template <class Socket = boost::asio::ip::tcp::socket>
LoopbackConnection<Socket> loopback_connection(boost::asio::io_context& io) {
    using tcp = boost::asio::ip::tcp;
    tcp::acceptor acceptor{io, tcp::endpoint{boost::asio::ip::address_v4::loopback(), 0}};
    Socket client{io};
    client.connect(acceptor.local_endpoint());
    Socket server{acceptor.accept(io)};
    return {std::move(client), std::move(server)};
}

}  // namespace turnout::test

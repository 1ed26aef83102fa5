#include "master/listener_sockets.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace turnout::master {

namespace {

constexpr int listen_backlog = 4096;

[[noreturn]] void fail(int fd, const config::Address& address, const char* what) {
    const int error = errno;
    if (fd >= 0) {
        ::close(fd);
    }
    throw std::system_error(error, std::generic_category(), std::string{what} + " " + address.text);
}

}  // namespace

int bind_listener(const config::Address& address) {
    const auto& endpoint = address.endpoint;
    const int fd = ::socket(endpoint.protocol().family(),
                            SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0) {
        fail(fd, address, "cannot create a socket for");
    }
    const int on = 1;
    if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0) {
        fail(fd, address, "cannot set SO_REUSEPORT on");
    }
    if (endpoint.protocol().family() == AF_INET6) {
        ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
    }
    if (::bind(fd, endpoint.data(), static_cast<socklen_t>(endpoint.size())) != 0) {
        fail(fd, address, "cannot bind");
    }
    if (::listen(fd, listen_backlog) != 0) {
        fail(fd, address, "cannot listen on");
    }
    return fd;
}

unsigned short bound_port(int fd) {
    sockaddr_storage storage{};
    socklen_t length = sizeof(storage);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length);
    if (storage.ss_family == AF_INET6) {
        return ntohs(reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port);
    }
    return ntohs(reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
}

}  // namespace turnout::master

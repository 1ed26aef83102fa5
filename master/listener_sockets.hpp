#pragma once

// Binding the listening sockets. The master does this, never a worker, so
// sockets outlive any one worker and a replacement serves the same queue.

#include "config/config.hpp"

#include <string>

namespace turnout::master {

// A bound, listening, non-blocking TCP socket with SO_REUSEPORT set, so
// several of them (one per worker slot) can share the address. Throws
// std::system_error naming the address when it cannot bind.
int bind_listener(const config::Address& address);

// The port a bound socket got (for addresses written with port 0).
unsigned short bound_port(int fd);

}  // namespace turnout::master

#pragma once

// WebSocket upgrades (RFC 6455 §4) through the proxy. Upgrade and Connection
// are hop-by-hop and removed from every message (SPEC §5); a WebSocket
// handshake is the exception: its request and the upstream's 101 keep them,
// and the connection becomes a Tunnel. Any other Upgrade value is dropped.

#include "server/http/head_fields.hpp"
#include "server/http/request_head.hpp"

namespace turnout::server {

// An HTTP/1.1 GET with `Upgrade: websocket` and `upgrade` among the
// Connection tokens (both case-insensitive, in any list position).
bool is_websocket_upgrade(const RequestHead& request);

// Puts back `Connection: Upgrade` and `Upgrade: websocket` after
// remove_hop_by_hop() took them out: in the request, and in the 101.
void keep_websocket_upgrade(HeadFields& fields);

}  // namespace turnout::server

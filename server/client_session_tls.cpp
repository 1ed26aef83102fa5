// The TLS steps of ClientSession: the handshake before the first request,
// and close_notify before a graceful close. The rest is in client_session.cpp.

#include "server/client_session.hpp"

#include "server/serving_state.hpp"

#include <boost/asio/ssl/stream_base.hpp>

namespace turnout::server {

using error_code = boost::system::error_code;

// The handshake counts against header_timeout: a client that connects and
// then stays silent (or drips its ClientHello) is cut off like one that
// drips its header.
void ClientSession::handshake() {
    arm_deadline(state_.limits().header_timeout);
    socket_.tls().async_handshake(
        boost::asio::ssl::stream_base::server,
        [self = shared_from_this()](error_code ec) { self->on_handshake(ec); });
}

void ClientSession::on_handshake(error_code ec) {
    if (phase_ == Phase::closing) {
        return;
    }
    if (ec) {
        state_.handshake_failures().record(listener_->name, client_ip_, ec, deadline_.expired());
        close();
        return;
    }
    const unsigned char* protocol = nullptr;
    unsigned int protocol_size = 0;
    SSL_get0_alpn_selected(socket_.tls().native_handle(), &protocol, &protocol_size);
    if (std::string_view{reinterpret_cast<const char*>(protocol), protocol_size} == "h2") {
        hand_over_to_h2({});
        return;
    }
    wait_for_request();
}

// Sends close_notify, so a client reading a close-delimited body knows it
// is whole, and waits (under the linger deadline already armed) for the
// client's own; then drains the TCP connection like a plain close.
void ClientSession::send_close_notify() {
    socket_.tls().async_shutdown([self = shared_from_this()](error_code ec) {
        if (ec == boost::asio::error::operation_aborted && self->deadline_.expired()) {
            self->close();
            return;
        }
        error_code ignored;
        self->socket_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
        self->discard_input();
    });
}

}  // namespace turnout::server

#include "server/tunnel.hpp"

#include <boost/asio/write.hpp>

namespace turnout::server {

namespace asio = boost::asio;

Tunnel::Tunnel(std::shared_ptr<ClientSession> client, TransportStream upstream,
               boost::beast::flat_buffer upstream_early)
    : client_{std::move(client)}, upstream_{std::move(upstream)}, upstream_early_{std::move(
                                                                      upstream_early)},
      to_upstream_{client_->socket(), upstream_}, to_client_{upstream_, client_->socket()},
      idle_timer_{upstream_.get_executor()}, idle_timeout_{client_->limits().idle_timeout} {}

void Tunnel::start() {
    last_activity_ = clock::now();
    watch_idle();
    send_early(to_upstream_, client_->buffer());
    send_early(to_client_, upstream_early_);
}

void Tunnel::send_early(Direction& direction, boost::beast::flat_buffer& early) {
    if (early.size() == 0) {
        relay(direction);
        return;
    }
    asio::async_write(direction.to, early.data(),
                      [self = shared_from_this(), &direction, &early](error_code ec, std::size_t) {
                          early.clear();
                          if (ec) {
                              self->stop();
                              return;
                          }
                          self->relay(direction);
                      });
}

void Tunnel::relay(Direction& direction) {
    direction.from.async_read_some(
        asio::buffer(direction.buffer),
        [self = shared_from_this(), &direction](error_code ec, std::size_t size) {
            if (ec) {
                self->stop();  // one side closed (or failed): the conversation is over
                return;
            }
            self->last_activity_ = clock::now();
            asio::async_write(direction.to, asio::buffer(direction.buffer.data(), size),
                              [self, &direction](error_code write_ec, std::size_t) {
                                  if (write_ec) {
                                      self->stop();
                                      return;
                                  }
                                  self->relay(direction);
                              });
        });
}

// One timer for both directions, re-armed from the last activity instead of
// on every transfer.
void Tunnel::watch_idle() {
    idle_timer_.expires_at(last_activity_ + idle_timeout_);
    idle_timer_.async_wait([self = shared_from_this()](error_code ec) {
        if (ec || self->stopped_) {
            return;
        }
        if (clock::now() - self->last_activity_ >= self->idle_timeout_) {
            self->stop();
            return;
        }
        self->watch_idle();
    });
}

void Tunnel::stop() {
    if (stopped_) {
        return;
    }
    stopped_ = true;
    idle_timer_.cancel();
    upstream_.close();
    client_->close();
}

}  // namespace turnout::server

#include "server/deadline.hpp"

namespace turnout::server {

Deadline::Deadline(const boost::asio::any_io_executor& executor)
    : timer_{executor, [this] {
                 expired_ = true;
                 boost::system::error_code ignored;
                 stream_->socket().cancel(ignored);
             }} {}

void Deadline::arm(TransportStream& stream, std::chrono::milliseconds after) {
    stream_ = &stream;
    expired_ = false;
    timer_.arm(after);
}

}  // namespace turnout::server

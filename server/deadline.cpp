#include "server/deadline.hpp"

namespace turnout::server {

void Deadline::on_expired() {
    expired_ = true;
    boost::system::error_code ignored;
    stream_->socket().cancel(ignored);
}

}  // namespace turnout::server

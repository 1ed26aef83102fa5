#include "server/http/request_head.hpp"

namespace turnout::server {

void RequestHead::start(boost::beast::http::verb method, std::string_view method_string,
                        std::string_view target, unsigned version) {
    clear_fields();
    method_ = method;
    method_text_.assign(method_string);
    target_.assign(target);
    version_ = version;
    body_ = Body{};
}

void RequestHead::release_room_over(std::size_t bytes) {
    start(boost::beast::http::verb::unknown, {}, {}, 11);
    release_fields_room_over(bytes);
    if (target_.capacity() > bytes) {
        std::string{}.swap(target_);
    }
}

void RequestHead::method_string(std::string_view method) {
    method_text_.assign(method);
    method_ = boost::beast::http::string_to_verb(method);
}

}  // namespace turnout::server

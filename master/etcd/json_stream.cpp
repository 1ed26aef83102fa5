#include "master/etcd/json_stream.hpp"

namespace turnout::master::etcd {

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

}  // namespace

std::vector<std::string> JsonObjectSplitter::feed(std::string_view piece, bool& ok) {
    ok = true;
    std::vector<std::string> objects;
    for (char c : piece) {
        if (depth_ == 0) {
            if (is_space(c)) {
                continue;
            }
            if (c != '{') {
                ok = false;
                return objects;
            }
        }
        current_.push_back(c);
        if (current_.size() > max_object_bytes_) {
            ok = false;
            return objects;
        }
        if (in_string_) {
            if (escaped_) {
                escaped_ = false;
            } else if (c == '\\') {
                escaped_ = true;
            } else if (c == '"') {
                in_string_ = false;
            }
            continue;
        }
        if (c == '"') {
            in_string_ = true;
        } else if (c == '{' || c == '[') {
            ++depth_;
        } else if (c == '}' || c == ']') {
            if (--depth_ == 0) {
                objects.push_back(std::move(current_));
                current_.clear();
            }
        }
    }
    return objects;
}

}  // namespace turnout::master::etcd

#include "master/upgrade/handover.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdlib>
#include <stdexcept>

namespace turnout::master {

namespace json = boost::json;

std::vector<int> Handover::fds() const {
    std::vector<int> all{ready_fd, lock_fd, admin_fd};
    for (const auto& listener : listeners) {
        all.insert(all.end(), listener.fds.begin(), listener.fds.end());
    }
    return all;
}

Handover Handover::renumbered(int first) const {
    Handover moved = *this;
    int next = first;
    moved.ready_fd = next++;
    moved.lock_fd = next++;
    moved.admin_fd = next++;
    for (auto& listener : moved.listeners) {
        for (int& fd : listener.fds) {
            fd = next++;
        }
    }
    return moved;
}

std::string encode_handover(const Handover& handover) {
    json::array listeners;
    for (const auto& listener : handover.listeners) {
        json::array fds;
        for (int fd : listener.fds) {
            fds.push_back(fd);
        }
        listeners.push_back(json::object{
            {"name", listener.name}, {"address", listener.address}, {"fds", std::move(fds)}});
    }
    return json::serialize(json::object{{"ready_fd", handover.ready_fd},
                                        {"lock_fd", handover.lock_fd},
                                        {"admin_fd", handover.admin_fd},
                                        {"listeners", std::move(listeners)}});
}

namespace {

// A descriptor number: an integer >= 0.
bool read_fd(const json::object& object, std::string_view key, int& fd) {
    const auto* value = object.if_contains(key);
    if (!value || !value->is_int64() || value->as_int64() < 0 || value->as_int64() > 1 << 20) {
        return false;
    }
    fd = static_cast<int>(value->as_int64());
    return true;
}

std::optional<HandedListener> read_listener(const json::value& value) {
    const auto* object = value.if_object();
    const auto* name = object ? object->if_contains("name") : nullptr;
    const auto* address = object ? object->if_contains("address") : nullptr;
    const auto* fds = object ? object->if_contains("fds") : nullptr;
    if (!name || !name->is_string() || !address || !address->is_string() || !fds ||
        !fds->is_array() || fds->as_array().empty()) {
        return std::nullopt;
    }
    HandedListener listener{std::string{name->as_string()}, std::string{address->as_string()}, {}};
    for (const auto& fd : fds->as_array()) {
        if (!fd.is_int64() || fd.as_int64() < 0 || fd.as_int64() > 1 << 20) {
            return std::nullopt;
        }
        listener.fds.push_back(static_cast<int>(fd.as_int64()));
    }
    return listener;
}

}  // namespace

std::variant<Handover, std::string> decode_handover(std::string_view text) {
    const std::string what = std::string{handover_variable} +
                             " (set by the master that started this one for an upgrade) ";
    boost::system::error_code ec;
    const auto parsed = json::parse(text, ec);
    const auto* object = ec ? nullptr : parsed.if_object();
    if (!object) {
        return what + "is not a JSON object";
    }
    Handover handover;
    if (!read_fd(*object, "ready_fd", handover.ready_fd) ||
        !read_fd(*object, "lock_fd", handover.lock_fd) ||
        !read_fd(*object, "admin_fd", handover.admin_fd)) {
        return what + "lacks ready_fd, lock_fd or admin_fd as descriptor numbers";
    }
    const auto* listeners = object->if_contains("listeners");
    if (!listeners || !listeners->is_array()) {
        return what + "lacks the listeners array";
    }
    for (const auto& value : listeners->as_array()) {
        auto listener = read_listener(value);
        if (!listener) {
            return what + "has a listener without name, address and descriptor numbers";
        }
        handover.listeners.push_back(std::move(*listener));
    }
    return handover;
}

std::optional<Handover> take_handover_from_environment() {
    const char* text = std::getenv(handover_variable);
    if (!text) {
        return std::nullopt;
    }
    auto decoded = decode_handover(text);
    ::unsetenv(handover_variable);
    if (auto* error = std::get_if<std::string>(&decoded)) {
        throw std::runtime_error(*error + "; start turnout without it");
    }
    return std::get<Handover>(std::move(decoded));
}

}  // namespace turnout::master

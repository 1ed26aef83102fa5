#include "server/session_registry.hpp"

#include <vector>

namespace turnout::server {

void SessionRegistry::add(ClientConnection* session) {
    sessions_.insert(session);
}

void SessionRegistry::remove(ClientConnection* session) {
    sessions_.erase(session);
    if (!waiting_for_room_.empty()) {
        auto waiting = std::move(waiting_for_room_);
        waiting_for_room_.clear();
        for (auto& resume : waiting) {
            resume();
        }
    }
    if (sessions_.empty() && on_empty_) {
        auto on_empty = std::move(on_empty_);
        on_empty_ = nullptr;
        on_empty();
    }
}

void SessionRegistry::drain(std::function<void()> on_empty) {
    if (sessions_.empty()) {
        on_empty();
        return;
    }
    on_empty_ = std::move(on_empty);
    // drain() may close a session, which removes it from the set: iterate a copy.
    const std::vector<ClientConnection*> sessions{sessions_.begin(), sessions_.end()};
    for (auto* session : sessions) {
        session->drain();
    }
}

void SessionRegistry::when_one_closes(std::function<void()> resume) {
    waiting_for_room_.push_back(std::move(resume));
}

void SessionRegistry::close_all() {
    const std::vector<ClientConnection*> sessions{sessions_.begin(), sessions_.end()};
    for (auto* session : sessions) {
        session->close();
    }
}

void SessionRegistry::tls_changed(std::string_view listener) {
    // A session may close at once (nothing in flight): iterate a copy.
    const std::vector<ClientConnection*> sessions{sessions_.begin(), sessions_.end()};
    for (auto* session : sessions) {
        session->tls_changed(listener);
    }
}

}  // namespace turnout::server

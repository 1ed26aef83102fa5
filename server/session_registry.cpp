#include "server/session_registry.hpp"

#include <vector>

namespace turnout::server {

void SessionRegistry::add(ClientConnection* session) {
    sessions_.push_back(*session);
}

void SessionRegistry::remove(ClientConnection* session) {
    // A session that never started was never added.
    if (session->registry_hook_.is_linked()) {
        sessions_.erase(sessions_.iterator_to(*session));
    }
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
    for (auto* session : snapshot()) {
        session->drain();
    }
}

void SessionRegistry::when_one_closes(std::function<void()> resume) {
    waiting_for_room_.push_back(std::move(resume));
}

void SessionRegistry::close_all() {
    for (auto* session : snapshot()) {
        session->close();
    }
}

void SessionRegistry::tls_changed(std::string_view listener) {
    for (auto* session : snapshot()) {
        session->tls_changed(listener);
    }
}

std::vector<ClientConnection*> SessionRegistry::snapshot() {
    std::vector<ClientConnection*> sessions;
    sessions.reserve(sessions_.size());
    for (auto& session : sessions_) {
        sessions.push_back(&session);
    }
    return sessions;
}

}  // namespace turnout::server

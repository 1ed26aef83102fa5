#pragma once

// The client sessions a worker has open, so a graceful stop can close the
// idle ones and wait for the busy ones. Holds plain pointers: a session
// adds itself when it starts and removes itself when destroyed, so the
// registry never keeps one alive.

#include <cstddef>
#include <functional>
#include <unordered_set>
#include <vector>

namespace turnout::server {

class ClientSession;

class SessionRegistry {
public:
    void add(ClientSession* session);
    void remove(ClientSession* session);
    std::size_t size() const { return sessions_.size(); }

    // Asks every session to finish its current request and close; `on_empty`
    // runs once the last session is gone (at once if there is none).
    void drain(std::function<void()> on_empty);

    // Forgets a pending drain's callback (its owner is going away).
    void cancel_drain() { on_empty_ = nullptr; }

    // Closes every session now, in-flight requests included.
    void close_all();

    // `resume` runs once, the next time a session goes away: a listener
    // paused at limits.max_connections accepts again then.
    void when_one_closes(std::function<void()> resume);

private:
    std::unordered_set<ClientSession*> sessions_;
    std::function<void()> on_empty_;
    std::vector<std::function<void()>> waiting_for_room_;
};

}  // namespace turnout::server

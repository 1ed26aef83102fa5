#pragma once

// The client sessions a worker has open, so a graceful stop can close the
// idle ones and wait for the busy ones. A session adds itself when it
// starts and removes itself when destroyed, so the registry never keeps one
// alive. The list is intrusive: an idle connection costs its two links and
// no node or hash bucket of its own.

#include <boost/intrusive/list.hpp>

#include <cstddef>
#include <functional>
#include <string_view>
#include <vector>

namespace turnout::server {

// A client connection, whatever its protocol (ClientSession for HTTP/1.1,
// Http2Session for HTTP/2), as a graceful or immediate stop sees it.
class ClientConnection {
public:
    // Finish what is in flight, then close.
    virtual void drain() = 0;
    // Close now, in-flight requests included.
    virtual void close() = 0;
    // The TLS (certificates) of `listener` changed: a connection of it that
    // would outlive the old certificate by far asks its client to come back
    // on a new one. An HTTP/2 connection carries every request of its client
    // for as long as it likes, so it does (GOAWAY, open streams finish); an
    // HTTP/1.1 one, like nginx's, keeps its certificate until it closes.
    virtual void tls_changed(std::string_view listener) { static_cast<void>(listener); }

protected:
    ~ClientConnection() = default;

private:
    friend class SessionRegistry;
    boost::intrusive::list_member_hook<> registry_hook_;
};

class SessionRegistry {
public:
    void add(ClientConnection* session);
    void remove(ClientConnection* session);
    std::size_t size() const { return sessions_.size(); }

    // Asks every session to finish its current request and close; `on_empty`
    // runs once the last session is gone (at once if there is none).
    void drain(std::function<void()> on_empty);

    // Forgets a pending drain's callback (its owner is going away).
    void cancel_drain() { on_empty_ = nullptr; }

    // Closes every session now, in-flight requests included.
    void close_all();

    // Tells every session that `listener`'s TLS changed.
    void tls_changed(std::string_view listener);

    // `resume` runs once, the next time a session goes away: a listener
    // paused at limits.max_connections accepts again then.
    void when_one_closes(std::function<void()> resume);

private:
    using Sessions = boost::intrusive::list<
        ClientConnection,
        boost::intrusive::member_hook<ClientConnection, boost::intrusive::list_member_hook<>,
                                      &ClientConnection::registry_hook_>>;

    // The sessions as they are now: asking one to drain or close may close
    // it, which takes it out of the list.
    std::vector<ClientConnection*> snapshot();

    Sessions sessions_;
    std::function<void()> on_empty_;
    std::vector<std::function<void()>> waiting_for_room_;
};

}  // namespace turnout::server

#pragma once

// The master's copies of every listening socket: one SO_REUSEPORT socket
// per listener and worker slot (SPEC §6). The master keeps them open, so a
// worker that dies is replaced on the very socket whose queue holds the
// connections waiting for it.

#include "config/config.hpp"
#include "master/upgrade/handover.hpp"

#include <map>
#include <string>
#include <vector>

namespace turnout::master {

class ListenerSet {
public:
    explicit ListenerSet(unsigned slots) : slots_{slots} {}
    ~ListenerSet();
    ListenerSet(const ListenerSet&) = delete;
    ListenerSet& operator=(const ListenerSet&) = delete;

    // Binds every listener of `config` that is not bound yet, or whose
    // address changed, and returns their names. The new sockets stay staged
    // until commit_staged(), so a change refused later (say, it could not be
    // persisted) is undone with discard_staged(). All or nothing: on failure
    // it throws std::system_error naming the address and stages nothing.
    std::vector<std::string> stage(const config::Config& config);
    void commit_staged();
    void discard_staged();

    // Takes the sockets an upgrading master handed over for a listener of
    // `config` at the same address (stage() then binds nothing for it): one
    // per slot, more bound when there are more slots now, the surplus
    // closed. Sockets of a listener `config` does not name, or names at
    // another address, are closed. Throws std::system_error like stage().
    void adopt(const HandedListener& handed, const config::Config& config);
    // What an upgrade hands over: every bound listener and its sockets.
    std::vector<HandedListener> handover() const;

    // Closes the sockets of listeners `config` no longer names.
    void close_unused(const config::Config& config);

    // The socket of `name` for `slot`, or -1.
    int fd(const std::string& name, unsigned slot) const;
    std::vector<std::string> names() const;

private:
    struct Bound {
        std::string address;
        std::vector<int> fds;  // one per slot
    };
    static void close_all(Bound& bound);

    unsigned slots_;
    std::map<std::string, Bound> bound_;
    std::map<std::string, Bound> staged_;
};

}  // namespace turnout::master

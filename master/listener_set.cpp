#include "master/listener_set.hpp"

#include "master/listener_sockets.hpp"
#include "server/logfmt.hpp"

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

namespace turnout::master {

ListenerSet::~ListenerSet() {
    discard_staged();
    for (auto& [name, bound] : bound_) {
        close_all(bound);
    }
}

void ListenerSet::close_all(Bound& bound) {
    for (int fd : bound.fds) {
        ::close(fd);
    }
    bound.fds.clear();
}

std::vector<std::string> ListenerSet::stage(const config::Config& config) {
    discard_staged();
    std::map<std::string, Bound> fresh;
    try {
        for (const auto& listener : config.listeners) {
            auto existing = bound_.find(listener.name);
            if (existing != bound_.end() && existing->second.address == listener.address.text) {
                continue;
            }
            Bound bound{listener.address.text, {}};
            // With port 0 the kernel picks a port for the first socket; the
            // other slots must share that one, not get ports of their own.
            auto address = listener.address;
            for (unsigned slot = 0; slot < slots_; ++slot) {
                bound.fds.push_back(bind_listener(address));
                address.endpoint.port(bound_port(bound.fds.front()));
            }
            spdlog::info("msg=\"listening\" listener={} address={} port={} sockets={}",
                         log_value(listener.name), log_value(listener.address.text),
                         address.endpoint.port(), slots_);
            fresh.emplace(listener.name, std::move(bound));
        }
    } catch (...) {
        for (auto& [name, bound] : fresh) {
            close_all(bound);
        }
        throw;
    }
    std::vector<std::string> names;
    for (const auto& [name, bound] : fresh) {
        names.push_back(name);
    }
    staged_ = std::move(fresh);
    return names;
}

void ListenerSet::commit_staged() {
    for (auto& [name, bound] : staged_) {
        if (auto old = bound_.find(name); old != bound_.end()) {
            close_all(old->second);
        }
        bound_[name] = std::move(bound);
    }
    staged_.clear();
}

void ListenerSet::discard_staged() {
    for (auto& [name, bound] : staged_) {
        close_all(bound);
    }
    staged_.clear();
}

void ListenerSet::close_unused(const config::Config& config) {
    for (auto it = bound_.begin(); it != bound_.end();) {
        const bool used =
            std::any_of(config.listeners.begin(), config.listeners.end(),
                        [&](const auto& listener) { return listener.name == it->first; });
        if (used) {
            ++it;
            continue;
        }
        spdlog::info("msg=\"listener closed\" listener={} address={}", log_value(it->first),
                     log_value(it->second.address));
        close_all(it->second);
        it = bound_.erase(it);
    }
}

void ListenerSet::adopt(const HandedListener& handed, const config::Config& config) {
    Bound bound{handed.address, handed.fds};
    for (int fd : bound.fds) {
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    const auto listener =
        std::find_if(config.listeners.begin(), config.listeners.end(),
                     [&](const auto& candidate) { return candidate.name == handed.name; });
    if (listener == config.listeners.end() || listener->address.text != handed.address) {
        spdlog::info("msg=\"handed-over listener not served, closed\" listener={} address={}",
                     log_value(handed.name), log_value(handed.address));
        close_all(bound);
        return;
    }
    if (bound.fds.size() > slots_) {
        // Connections waiting in these queues are reset: fewer workers now.
        spdlog::warn("msg=\"fewer worker slots than handed-over sockets, closing the rest\" "
                     "listener={} sockets={} slots={}",
                     log_value(handed.name), bound.fds.size(), slots_);
        for (std::size_t slot = slots_; slot < bound.fds.size(); ++slot) {
            ::close(bound.fds[slot]);
        }
        bound.fds.resize(slots_);
    }
    auto address = listener->address;
    address.endpoint.port(bound_port(bound.fds.front()));
    try {
        while (bound.fds.size() < slots_) {
            bound.fds.push_back(bind_listener(address));
        }
    } catch (...) {
        close_all(bound);
        throw;
    }
    spdlog::info("msg=\"listening (handed over)\" listener={} address={} port={} sockets={}",
                 log_value(handed.name), log_value(handed.address), address.endpoint.port(),
                 slots_);
    if (auto old = bound_.find(handed.name); old != bound_.end()) {
        close_all(old->second);
    }
    bound_[handed.name] = std::move(bound);
}

std::vector<HandedListener> ListenerSet::handover() const {
    std::vector<HandedListener> handed;
    for (const auto& [name, bound] : bound_) {
        handed.push_back({name, bound.address, bound.fds});
    }
    return handed;
}

int ListenerSet::fd(const std::string& name, unsigned slot) const {
    if (auto found = staged_.find(name); found != staged_.end()) {
        return slot < found->second.fds.size() ? found->second.fds[slot] : -1;
    }
    auto found = bound_.find(name);
    return found == bound_.end() || slot >= found->second.fds.size() ? -1 : found->second.fds[slot];
}

std::vector<std::string> ListenerSet::names() const {
    std::vector<std::string> names;
    for (const auto& [name, bound] : bound_) {
        names.push_back(name);
    }
    return names;
}

}  // namespace turnout::master

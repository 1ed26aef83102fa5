#include "master/admin/admin_server.hpp"

#include "master/admin/admin_api.hpp"
#include "server/logfmt.hpp"

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <list>
#include <optional>
#include <system_error>

namespace turnout::master {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using stream_protocol = asio::local::stream_protocol;

namespace {

// Bounds on what one admin client may make the master hold or wait for.
constexpr std::uint32_t header_limit = 64 * 1024;
constexpr std::uint64_t body_limit = 64 * 1024 * 1024;   // a 10,000-route config fits
constexpr auto idle_timeout = std::chrono::seconds(60);  // keep-alive, no request
constexpr auto header_timeout = std::chrono::seconds(10);
constexpr auto body_timeout = std::chrono::seconds(60);
constexpr auto write_timeout = std::chrono::seconds(30);

class AdminSession;

// What the acceptor and every session share. Handlers hold it by
// shared_ptr, so none of them dangles when the AdminServer goes first.
struct AdminShared {
    AdminShared(asio::io_context& io, ControlPlane& control, std::vector<unsigned> allow_uids)
        : acceptor(io), control(control), allow_uids(std::move(allow_uids)) {}

    stream_protocol::acceptor acceptor;
    ControlPlane& control;
    std::vector<unsigned> allow_uids;
    std::list<std::weak_ptr<AdminSession>> sessions;  // weak: no cycles
    bool stopped = false;
};

// The peer's uid from SO_PEERCRED, or nullopt when the kernel will not say.
std::optional<uid_t> peer_uid(int fd) {
    ucred cred{};
    socklen_t length = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) {
        return std::nullopt;
    }
    return cred.uid;
}

// One admin connection: requests one at a time (keep-alive), each handed to
// the endpoint table; at most one read or write pending, never both.
class AdminSession : public std::enable_shared_from_this<AdminSession> {
public:
    AdminSession(stream_protocol::socket socket, std::shared_ptr<AdminShared> shared)
        : socket_(std::move(socket)), timer_(socket_.get_executor()), shared_(std::move(shared)) {}

    void start() {
        const auto uid = peer_uid(socket_.native_handle());
        uid_ = uid.value_or(static_cast<uid_t>(-1));
        allowed_ = uid && peer_allowed(*uid, ::geteuid(), shared_->allow_uids);
        if (!allowed_) {
            spdlog::warn("msg=\"admin connection refused\" uid={}",
                         uid ? std::to_string(*uid) : "unknown");
        }
        wait_for_request();
    }

    void close() {
        boost::system::error_code ignored;
        timer_.cancel();
        socket_.shutdown(stream_protocol::socket::shutdown_both, ignored);
        socket_.close(ignored);
    }

private:
    void arm(std::chrono::seconds after) {
        timer_.expires_after(after);
        timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (!ec) {
                self->close();
            }
        });
    }

    // Waits for the next request's first byte under the idle timeout, so the
    // header timeout only runs once a request has begun.
    void wait_for_request() {
        if (shared_->stopped) {
            close();
            return;
        }
        if (buffer_.size() > 0) {
            read_header();
            return;
        }
        arm(idle_timeout);
        socket_.async_wait(stream_protocol::socket::wait_read,
                           [self = shared_from_this()](boost::system::error_code ec) {
                               if (ec) {
                                   self->close();
                               } else {
                                   self->read_header();
                               }
                           });
    }

    void read_header() {
        parser_.emplace();
        parser_->header_limit(header_limit);
        parser_->body_limit(body_limit);
        arm(header_timeout);
        http::async_read_header(socket_, buffer_, *parser_,
                                [self = shared_from_this()](boost::system::error_code ec,
                                                            std::size_t) { self->on_header(ec); });
    }

    void on_header(boost::system::error_code ec) {
        if (ec) {
            on_read_error(ec);
        } else if (!allowed_) {
            send(error_response(403, "uid " + std::to_string(uid_) +
                                         " may not use this socket; run as the user that runs "
                                         "turnout or add the uid to admin.allow_uids"),
                 false);
        } else if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
            continue_.emplace(http::status::continue_, parser_->get().version());
            arm(write_timeout);
            http::async_write(
                socket_, *continue_,
                [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                    if (ec) {
                        self->close();
                    } else {
                        self->read_body();
                    }
                });
        } else {
            read_body();
        }
    }

    void read_body() {
        arm(body_timeout);
        http::async_read(socket_, buffer_, *parser_,
                         [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                             if (ec) {
                                 self->on_read_error(ec);
                             } else {
                                 self->dispatch();
                             }
                         });
    }

    // A closed or timed-out connection just ends; a request Beast cannot
    // accept gets its status and the connection closes.
    void on_read_error(boost::system::error_code ec) {
        if (ec == http::error::header_limit) {
            send(error_response(431, "request headers over 64 KiB"), false);
        } else if (ec == http::error::body_limit) {
            send(error_response(413, "request body over 64 MiB"), false);
        } else if (ec.category() == make_error_code(http::error::bad_method).category() &&
                   ec != http::error::end_of_stream && ec != http::error::partial_message &&
                   socket_.is_open()) {
            send(error_response(400, "malformed HTTP request: " + ec.message()), false);
        } else {
            close();
        }
    }

    void dispatch() {
        timer_.cancel();
        auto& message = parser_->get();
        AdminRequest request;
        request.method = message.method();
        const std::string_view target{message.target().data(), message.target().size()};
        const auto query = target.find('?');
        request.path = std::string{target.substr(0, query)};
        if (query != std::string_view::npos) {
            request.query = std::string{target.substr(query + 1)};
        }
        request.if_match = std::string{message[http::field::if_match]};
        request.body = std::move(message.body());
        request.peer_uid = uid_;
        const bool keep_alive = message.keep_alive();
        auto answered = std::make_shared<bool>(false);
        dispatch_admin_request(
            shared_->control, std::move(request),
            [self = shared_from_this(), keep_alive, answered](AdminResponse response) {
                if (*answered) {
                    spdlog::error("msg=\"admin handler answered twice\"");
                    return;
                }
                *answered = true;
                self->send(std::move(response), keep_alive);
            });
    }

    void send(AdminResponse answer, bool keep_alive) {
        keep_alive = keep_alive && !shared_->stopped;
        response_.emplace(static_cast<http::status>(answer.status), 11);
        response_->set(http::field::server, "turnout");
        response_->set(http::field::content_type, answer.content_type);
        for (const auto& [name, value] : answer.headers) {
            response_->set(name, value);
        }
        response_->body() = std::move(answer.body);
        response_->keep_alive(keep_alive);
        response_->prepare_payload();
        after_write_ = std::move(answer.after_write);
        arm(write_timeout);
        http::async_write(
            socket_, *response_,
            [self = shared_from_this(), keep_alive](boost::system::error_code ec, std::size_t) {
                self->on_write(ec, keep_alive);
            });
    }

    void on_write(boost::system::error_code ec, bool keep_alive) {
        timer_.cancel();
        response_.reset();
        if (after_write_) {
            asio::post(socket_.get_executor(), std::move(after_write_));
            after_write_ = nullptr;
        }
        if (ec || !keep_alive) {
            boost::system::error_code ignored;
            socket_.shutdown(stream_protocol::socket::shutdown_send, ignored);
            close();
            return;
        }
        wait_for_request();
    }

    stream_protocol::socket socket_;
    asio::steady_timer timer_;
    std::shared_ptr<AdminShared> shared_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::optional<http::response<http::empty_body>> continue_;
    std::optional<http::response<http::string_body>> response_;
    std::function<void()> after_write_;
    uid_t uid_ = 0;
    bool allowed_ = false;
};

std::system_error path_error(int error, const std::string& what) {
    return std::system_error{error, std::generic_category(), what};
}

// True when something accepts connections at `path` (another turnout).
bool socket_in_use(const std::string& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return false;
    }
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    const int result = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    const bool in_use = result == 0 || errno == EAGAIN || errno == EINPROGRESS;
    ::close(fd);
    return in_use;
}

// Creates the socket's folder if missing and removes a stale socket file;
// refuses to remove anything that is not a socket, or a live one.
void prepare_socket_path(const std::string& path) {
    const auto folder = std::filesystem::path{path}.parent_path();
    std::error_code ec;
    if (!folder.empty()) {
        std::filesystem::create_directories(folder, ec);
        if (ec) {
            throw path_error(ec.value(), "cannot create " + folder.string() +
                                             ", the folder of admin.socket " + path);
        }
    }
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0) {
        return;
    }
    if (!S_ISSOCK(info.st_mode)) {
        throw path_error(EEXIST,
                         "admin.socket " + path +
                             " exists and is not a socket; remove it or choose another path");
    }
    if (socket_in_use(path)) {
        throw path_error(EADDRINUSE,
                         "admin.socket " + path +
                             " is in use by another process (another turnout?); stop it "
                             "or choose another path");
    }
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        throw path_error(errno, "cannot remove the stale admin socket " + path);
    }
}

// Accepts connections until the acceptor closes; each gets a session.
void accept_next(std::shared_ptr<AdminShared> shared) {
    auto& acceptor = shared->acceptor;
    acceptor.async_accept([shared = std::move(shared)](boost::system::error_code ec,
                                                       stream_protocol::socket socket) mutable {
        if (shared->stopped || ec == asio::error::operation_aborted) {
            return;
        }
        if (!ec) {
            shared->sessions.remove_if([](const auto& session) { return session.expired(); });
            auto session = std::make_shared<AdminSession>(std::move(socket), shared);
            shared->sessions.push_back(session);
            session->start();
        } else {
            spdlog::warn("msg=\"admin accept failed\" error={}", log_value(ec.message()));
        }
        accept_next(std::move(shared));
    });
}

}  // namespace

struct AdminServer::Impl {
    std::string path;
    std::shared_ptr<AdminShared> shared;
    dev_t device = 0;
    ino_t inode = 0;
    bool stopped = false;
    bool owns_path = true;

    void open(std::optional<unsigned> mode);
    void adopt(int fd);
    void close_acceptor();
};

// Binds under umask 0177 so the file is 0600 from its first moment; a wider
// admin.mode is set before listen(), so no client can connect in between.
void AdminServer::Impl::open(std::optional<unsigned> mode) {
    prepare_socket_path(path);
    auto& acceptor = shared->acceptor;
    boost::system::error_code ec;
    acceptor.open(stream_protocol{}, ec);
    if (!ec) {
        const mode_t old_mask = ::umask(0177);
        acceptor.bind(stream_protocol::endpoint{path}, ec);
        ::umask(old_mask);
    }
    if (ec) {
        throw path_error(ec.value(), "cannot bind admin.socket " + path + ": " + ec.message());
    }
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0) {
        device = info.st_dev;
        inode = info.st_ino;
    }
    if (mode && ::chmod(path.c_str(), static_cast<mode_t>(*mode)) != 0) {
        const int error = errno;
        ::unlink(path.c_str());
        throw path_error(error, "cannot set admin.mode on " + path);
    }
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        ::unlink(path.c_str());
        throw path_error(ec.value(), "cannot listen on admin.socket " + path + ": " + ec.message());
    }
}

// The socket an upgrading master handed over: its file stays the old
// master's to remove until claim_path().
void AdminServer::Impl::adopt(int fd) {
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    boost::system::error_code ec;
    shared->acceptor.assign(stream_protocol{}, fd, ec);
    if (ec) {
        ::close(fd);
        throw path_error(ec.value(), "cannot take over admin.socket " + path + ": " + ec.message());
    }
    owns_path = false;
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0) {
        device = info.st_dev;
        inode = info.st_ino;
    }
}

void AdminServer::Impl::close_acceptor() {
    shared->stopped = true;
    boost::system::error_code ignored;
    shared->acceptor.close(ignored);
}

AdminServer::AdminServer(asio::io_context& io, const config::Admin& admin, ControlPlane& control,
                         int inherited_fd)
    : impl_(std::make_unique<Impl>()) {
    impl_->path = admin.socket;
    impl_->shared = std::make_shared<AdminShared>(io, control, admin.allow_uids);
    if (inherited_fd >= 0) {
        impl_->adopt(inherited_fd);
    } else {
        impl_->open(admin.mode);
    }
}

AdminServer::~AdminServer() {
    stop();
}

void AdminServer::start() {
    accept_next(impl_->shared);
}

void AdminServer::stop() {
    if (!impl_ || impl_->stopped) {
        return;
    }
    impl_->stopped = true;
    impl_->close_acceptor();
    auto& shared = *impl_->shared;
    for (const auto& weak : shared.sessions) {
        if (auto session = weak.lock()) {
            session->close();
        }
    }
    shared.sessions.clear();
    // Only our own file: a later turnout may have bound the path since.
    struct stat info {};
    if (impl_->owns_path && ::lstat(impl_->path.c_str(), &info) == 0 &&
        info.st_dev == impl_->device && info.st_ino == impl_->inode) {
        ::unlink(impl_->path.c_str());
    }
}

int AdminServer::native_handle() {
    return impl_->shared->acceptor.native_handle();
}

void AdminServer::hand_over() {
    impl_->owns_path = false;
    impl_->close_acceptor();
}

void AdminServer::claim_path() {
    impl_->owns_path = true;
}

}  // namespace turnout::master

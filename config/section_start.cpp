// The settings of SPEC §3 that turnout reads only when it starts: `workers`,
// `admin` and `state_dir`. A running master cannot change them (the admin
// socket is open, the worker slots and the state folder are in use), so a
// config pushed to it keeps the values in force where it leaves them out,
// and one that sets them to something else is refused, naming the key.

#include "config/sections.hpp"
#include "config/syntax.hpp"

#include <sys/un.h>

#include <cstdio>

namespace turnout::config::detail {

namespace {

constexpr std::uint64_t max_workers = 1024;
constexpr unsigned default_admin_mode = 0600;

std::optional<unsigned> read_workers(Context& context, const Cursor& at) {
    if (at.is_scalar() && at.scalar() == "auto") {
        return 0U;
    }
    auto text = at.is_scalar() ? parse_uint(at.scalar()) : std::nullopt;
    if (!text || *text < 1 || *text > max_workers) {
        context.error(at, "must be auto or an integer from 1 to " + std::to_string(max_workers) +
                              ", got " + at.describe());
        return std::nullopt;
    }
    return static_cast<unsigned>(*text);
}

// sockaddr_un::sun_path, less its terminating NUL.
constexpr std::size_t max_socket_path = sizeof(sockaddr_un::sun_path) - 1;

std::optional<std::string> read_socket_path(Context& context, const Cursor& at) {
    auto path = read_path(context, at);
    if (path && path->size() > max_socket_path) {
        context.error(at, "resolves to a path of " + std::to_string(path->size()) +
                              " bytes, too long for a Unix socket (at most " +
                              std::to_string(max_socket_path) + "); use a shorter path");
        return std::nullopt;
    }
    return path;
}

// A permission mode, always octal as with chmod: "0660", 660, "0o660".
std::optional<unsigned> read_mode(Context& context, const Cursor& at) {
    constexpr std::string_view what = "an octal file mode like \"0660\"";
    std::string text = at.is_scalar() ? at.scalar() : std::string();
    if (text.starts_with("0o")) {
        text.erase(0, 2);
    }
    bool octal = !text.empty() && text.size() <= 4 &&
                 text.find_first_not_of("01234567") == std::string::npos;
    unsigned mode = octal ? static_cast<unsigned>(std::stoul(text, nullptr, 8)) : 0;
    if (!octal || mode > 0777) {
        context.error(at, "must be " + std::string(what) + ", got " + at.describe());
        return std::nullopt;
    }
    if ((mode & 0600) != 0600) {
        context.error(at,
                      "must let the owner read and write (0600 at least), got " + at.describe());
        return std::nullopt;
    }
    return mode;
}

std::optional<std::vector<unsigned>> read_uids(Context& context, const Cursor& at) {
    std::vector<unsigned> uids;
    bool ok = for_each_item(context, at, [&](const Cursor& item) {
        // (uid_t)-1 means "no user" to the kernel.
        if (auto uid = read_uint(context, item, 0, 0xfffffffeULL)) {
            uids.push_back(static_cast<unsigned>(*uid));
        }
    });
    return ok ? std::optional(uids) : std::nullopt;
}

// Each setting as people read it; two values are the same setting when
// they read the same (an unset mode is the default 0600).
std::string workers_text(unsigned workers) {
    return workers == 0 ? "auto" : std::to_string(workers);
}

std::string mode_text(const std::optional<unsigned>& mode) {
    char text[8];
    std::snprintf(text, sizeof text, "%04o", mode.value_or(default_admin_mode));
    return text;
}

std::string uids_text(const std::vector<unsigned>& uids) {
    std::string text = "[";
    for (unsigned uid : uids) {
        text += (text.size() > 1 ? ", " : "") + std::to_string(uid);
    }
    return text + "]";
}

void check_unchanged(Context& context, const std::optional<Cursor>& at, const std::string& pushed,
                     const std::string& in_force) {
    if (at && pushed != in_force) {
        context.error(*at, "cannot change while turnout runs, it takes a restart: turnout runs "
                           "with " +
                               in_force +
                               "; leave it out to keep it, or change the -c "
                               "file and restart turnout");
    }
}

}  // namespace

void read_start_settings(Context& context, const MapReader& top, Config& config,
                         const Config* in_force) {
    if (in_force) {
        config.workers = in_force->workers;
        config.admin = in_force->admin;
        config.state_dir = in_force->state_dir;
    } else {
        config.admin.socket = context.resolve_path("run/admin.sock");
        config.state_dir = context.resolve_path("run/state");
    }
    top.read("workers", config.workers, read_workers);
    top.read("state_dir", config.state_dir, read_path);
    std::optional<MapReader> admin;
    if (auto at = top.get("admin")) {
        admin.emplace(context, *at,
                      std::initializer_list<std::string_view>{"socket", "mode", "allow_uids"});
        admin->read("socket", config.admin.socket, read_socket_path);
        admin->read("mode", config.admin.mode, read_mode);
        admin->read("allow_uids", config.admin.allow_uids, read_uids);
    }
    if (!in_force) {
        return;
    }
    check_unchanged(context, top.get("workers"), workers_text(config.workers),
                    workers_text(in_force->workers));
    check_unchanged(context, top.get("state_dir"), config.state_dir, in_force->state_dir);
    if (admin) {
        check_unchanged(context, admin->get("socket"), config.admin.socket, in_force->admin.socket);
        check_unchanged(context, admin->get("mode"), mode_text(config.admin.mode),
                        mode_text(in_force->admin.mode));
        check_unchanged(context, admin->get("allow_uids"), uids_text(config.admin.allow_uids),
                        uids_text(in_force->admin.allow_uids));
    }
}

}  // namespace turnout::config::detail

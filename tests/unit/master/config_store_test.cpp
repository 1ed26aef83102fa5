#include "master/config_store.hpp"

#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/stat.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <system_error>

namespace fs = std::filesystem;
using turnout::master::ConfigStore;

namespace {

// A fresh folder under the system temp dir, removed with everything in it.
class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "turnout-store-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::system_error(errno, std::generic_category(), "mkdtemp");
        }
        path_ = pattern;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

std::set<std::string> names_in(const fs::path& folder) {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(folder)) {
        names.insert(entry.path().filename().string());
    }
    return names;
}

void write_text(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    REQUIRE(out.good());
}

std::string config_text(int n) { return "workers: " + std::to_string(n) + "\nlisteners: []\n"; }

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Sets RLIMIT_FSIZE (with SIGXFSZ ignored, so write() fails with EFBIG
// instead of killing the process) and restores both on scope exit. It is
// the one disk-full stand-in that works as root without mount privileges.
class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t bytes) {
        ::getrlimit(RLIMIT_FSIZE, &saved_);
        previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);
        rlimit limit = saved_;
        limit.rlim_cur = bytes;
        ::setrlimit(RLIMIT_FSIZE, &limit);
    }
    FileSizeLimit(const FileSizeLimit&) = delete;
    FileSizeLimit& operator=(const FileSizeLimit&) = delete;
    ~FileSizeLimit() {
        ::setrlimit(RLIMIT_FSIZE, &saved_);
        std::signal(SIGXFSZ, previous_handler_);
    }

private:
    rlimit saved_{};
    void (*previous_handler_)(int) = SIG_DFL;
};

}  // namespace

TEST_CASE("commit, latest, load and history round trip", "[store]") {
    TempDir dir;
    ConfigStore store((dir.path() / "state").string());
    CHECK(fs::is_directory(dir.path() / "state" / "versions"));
    CHECK_FALSE(store.latest());
    CHECK(store.history(10).empty());

    const auto before = now_ms();
    auto first = store.commit(config_text(1), "file", "initial");
    CHECK(first.version == 1);
    CHECK(first.source == "file");
    CHECK(first.summary == "initial");
    CHECK(first.time_ms >= before);
    CHECK(first.time_ms <= now_ms());

    auto second = store.commit(config_text(2), "api", "PUT route api\nsecond line");
    CHECK(second.version == 2);
    CHECK(second.summary == "PUT route api second line");

    auto latest = store.latest();
    REQUIRE(latest);
    CHECK(latest->info.version == 2);
    CHECK(latest->info.source == "api");
    CHECK(latest->info.time_ms == second.time_ms);
    CHECK(latest->content == config_text(2));

    auto old = store.load(1);
    REQUIRE(old);
    CHECK(old->content == config_text(1));
    CHECK(old->info.summary == "initial");
    CHECK_FALSE(store.load(3));
    CHECK_FALSE(store.load(0));

    auto history = store.history(10);
    REQUIRE(history.size() == 2);
    CHECK(history[0].version == 2);
    CHECK(history[1].version == 1);
    CHECK(history[1].source == "file");
    REQUIRE(store.history(1).size() == 1);
    CHECK(store.history(1)[0].version == 2);
    CHECK(store.history(0).empty());

    const auto versions = dir.path() / "state" / "versions";
    CHECK(names_in(versions) == std::set<std::string>{"00000001.config", "00000001.json",
                                                      "00000002.config", "00000002.json"});
    struct stat st {};
    REQUIRE(::stat((versions / "00000002.config").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("an empty config text is a version like any other", "[store]") {
    TempDir dir;
    ConfigStore store(dir.path().string());
    store.commit("", "api", "empty");
    auto latest = store.latest();
    REQUIRE(latest);
    CHECK(latest->content.empty());
}

TEST_CASE("version numbers keep growing across a restart", "[store]") {
    TempDir dir;
    const std::string state = (dir.path() / "a" / "b" / "state").string() + "/";
    {
        ConfigStore store(state);
        store.commit(config_text(1), "file", "one");
        store.commit(config_text(2), "api", "two");
        store.commit(config_text(3), "rollout", "three");
    }
    ConfigStore restarted(state);
    auto latest = restarted.latest();
    REQUIRE(latest);
    CHECK(latest->info.version == 3);
    CHECK(latest->info.source == "rollout");
    CHECK(latest->content == config_text(3));
    CHECK(restarted.commit(config_text(4), "rollback", "back to 1").version == 4);
}

TEST_CASE("pruning keeps the newest versions and numbering continues", "[store]") {
    TempDir dir;
    const auto extra = 5;
    const auto total = static_cast<int>(ConfigStore::kept_versions) + extra;
    {
        ConfigStore store(dir.path().string());
        for (int i = 1; i <= total; ++i) {
            REQUIRE(store.commit(config_text(i), "api", "change " + std::to_string(i)).version ==
                    static_cast<std::uint64_t>(i));
        }
        auto history = store.history(1000);
        REQUIRE(history.size() == ConfigStore::kept_versions);
        CHECK(history.front().version == static_cast<std::uint64_t>(total));
        CHECK(history.back().version == static_cast<std::uint64_t>(extra + 1));
        CHECK_FALSE(store.load(extra));
        REQUIRE(store.load(extra + 1));
        CHECK(store.load(extra + 1)->content == config_text(extra + 1));
        CHECK(names_in(dir.path() / "versions").size() == 2 * ConfigStore::kept_versions);
    }
    ConfigStore restarted(dir.path().string());
    CHECK(restarted.commit(config_text(0), "api", "after restart").version ==
          static_cast<std::uint64_t>(total + 1));
    CHECK(restarted.history(1000).size() == ConfigStore::kept_versions);
    CHECK(restarted.history(1000).back().version == static_cast<std::uint64_t>(extra + 2));
}

TEST_CASE("stray temp files and damaged versions are ignored", "[store]") {
    TempDir dir;
    ConfigStore store(dir.path().string());
    store.commit(config_text(1), "file", "one");
    store.commit(config_text(2), "api", "two");
    const auto versions = dir.path() / "versions";

    SECTION("temp files, unfinished versions and foreign files") {
        write_text(versions / ".00000003.config.tmp", "half a confi");
        write_text(versions / ".00000003.json.tmp", "{\"version\":");
        write_text(versions / "00000003.config", config_text(3));  // its .json never arrived
        write_text(versions / "README", "not a version");
        fs::create_directory(versions / "00000007.json");
        auto latest = store.latest();
        REQUIRE(latest);
        CHECK(latest->info.version == 2);
        CHECK(store.history(10).size() == 2);

        // The next number is above the unfinished one, and the commit's
        // prune clears the leftovers (but not what is not its own).
        CHECK(store.commit(config_text(4), "api", "four").version == 4);
        CHECK(names_in(versions) == std::set<std::string>{"00000001.config", "00000001.json",
                                                          "00000002.config", "00000002.json",
                                                          "00000004.config", "00000004.json",
                                                          "README", "00000007.json"});
    }

    SECTION("corrupt metadata falls back to the newest good version") {
        store.commit(config_text(3), "api", "three");
        write_text(versions / "00000003.json", "{not json");
        CHECK(store.latest()->info.version == 2);
        CHECK_FALSE(store.load(3));
        CHECK(store.history(10).size() == 2);
        CHECK(store.commit(config_text(4), "api", "four").version == 4);
    }

    SECTION("metadata for another version is corrupt") {
        fs::copy_file(versions / "00000001.json", versions / "00000003.json");
        fs::copy_file(versions / "00000001.config", versions / "00000003.config");
        CHECK(store.latest()->info.version == 2);
    }

    SECTION("metadata missing a field is corrupt") {
        write_text(versions / "00000002.json", "{\"version\":2,\"time_ms\":1}");
        CHECK(store.latest()->info.version == 1);
    }

    SECTION("a truncated or altered content makes its version damaged") {
        write_text(versions / "00000002.config", "workers: 2\n");
        CHECK(store.latest()->info.version == 1);
        CHECK(store.history(10).size() == 1);

        auto text = config_text(1);
        text[0] = 'W';  // same size, different bytes: caught by the checksum
        write_text(versions / "00000001.config", text);
        CHECK_FALSE(store.load(1));
        CHECK_FALSE(store.latest());
    }

    SECTION("a missing content makes its version damaged") {
        fs::remove(versions / "00000002.config");
        CHECK(store.latest()->info.version == 1);
        CHECK(store.commit(config_text(3), "api", "three").version == 3);
    }
}

// Failures are made without root-defeated permission bits or mounts: a
// directory where a file must go makes open() or rename() fail (EISDIR),
// and RLIMIT_FSIZE makes write() fail (EFBIG) as a disk-full stand-in.
TEST_CASE("a failed commit leaves the store as it was", "[store]") {
    TempDir dir;
    ConfigStore store(dir.path().string());
    store.commit(config_text(1), "file", "one");
    const auto versions = dir.path() / "versions";

    auto expect_unchanged = [&](const std::set<std::string>& planted) {
        auto latest = store.latest();
        REQUIRE(latest);
        CHECK(latest->info.version == 1);
        CHECK(latest->content == config_text(1));
        std::set<std::string> expected{"00000001.config", "00000001.json"};
        expected.insert(planted.begin(), planted.end());
        CHECK(names_in(versions) == expected);
        CHECK(store.history(10).size() == 1);
    };
    auto expect_failure = [&](const std::string& fragment) {
        try {
            store.commit(config_text(2), "api", "two");
            FAIL("commit did not throw");
        } catch (const std::system_error& error) {
            INFO(error.what());
            CHECK(std::string(error.what()).find(fragment) != std::string::npos);
            CHECK(std::string(error.what()).find(versions.string()) != std::string::npos);
        }
    };

    SECTION("the metadata cannot be renamed into place") {
        fs::create_directories(versions / "00000002.json" / "blocker");
        expect_failure("rename");
        expect_unchanged({"00000002.json"});  // the planted folder; no 00000002.config
        fs::remove_all(versions / "00000002.json");
    }

    SECTION("the config text cannot be renamed into place") {
        fs::create_directories(versions / "00000002.config" / "blocker");
        expect_failure("rename");
        expect_unchanged({"00000002.config"});
        fs::remove_all(versions / "00000002.config");
    }

    SECTION("the temp file cannot be created") {
        fs::create_directory(versions / ".00000002.config.tmp");
        expect_failure("create");
        expect_unchanged({".00000002.config.tmp"});
        fs::remove(versions / ".00000002.config.tmp");
    }

    SECTION("the disk is full while writing the config text") {
        {
            FileSizeLimit limit(8);
            expect_failure("write");
        }
        expect_unchanged({});
    }

    SECTION("the disk is full while writing the metadata") {
        {
            // The content (24 bytes) fits, the metadata (~150 bytes) does not.
            FileSizeLimit limit(64);
            expect_failure("write");
        }
        expect_unchanged({});
    }

    // Once the cause is gone the next commit works, with the next number.
    auto next = store.commit(config_text(2), "api", "two");
    CHECK(next.version == 2);
    CHECK(store.latest()->content == config_text(2));
}

TEST_CASE("a state_dir that cannot be created throws naming it", "[store]") {
    TempDir dir;
    write_text(dir.path() / "file", "x");
    const auto bad = (dir.path() / "file" / "state").string();
    try {
        ConfigStore store(bad);
        FAIL("constructor did not throw");
    } catch (const std::system_error& error) {
        CHECK(std::string(error.what()).find(bad) != std::string::npos);
    }
}

// Not run by default: only meaningful with an fsync error injected, e.g.
//   strace -f -qq -o /dev/null -e trace=fsync -e inject=fsync:error=EIO:when=N
//          build/tests/unit_tests "[store_fsync_eio]"
// for N = 1..4 (the temp content, the folder, the temp json, the folder again).
// The folders exist before the store is made, so its constructor fsyncs
// nothing and the commit's fsyncs are the first ones.
TEST_CASE("an injected fsync error fails the commit cleanly", "[.][store_fsync_eio]") {
    TempDir dir;
    fs::create_directories(dir.path() / "versions");
    ConfigStore store(dir.path().string());
    try {
        store.commit(config_text(1), "api", "one");
        FAIL("commit succeeded: run this test under strace with an fsync error injected");
    } catch (const std::system_error& error) {
        INFO(error.what());
        CHECK(std::string(error.what()).find("fsync") != std::string::npos);
        CHECK(error.code().value() == EIO);
    }
    CHECK_FALSE(store.latest());
    CHECK(names_in(dir.path() / "versions").empty());
    CHECK(store.commit(config_text(2), "api", "two").version == 1);
}

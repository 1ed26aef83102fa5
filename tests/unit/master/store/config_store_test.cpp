#include "master/store/config_store.hpp"

#include "tests/unit/master/store/config_store_test_support.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

using turnout::master::ConfigStore;
using namespace turnout::master::store_test;

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
    CHECK(latest->config == config_text(2));
    CHECK(latest->changes.empty());

    auto old = store.load(1);
    REQUIRE(old);
    CHECK(old->config == config_text(1));
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
    CHECK(names_in(versions) == std::set<std::string>{"00000001.config", "00000002.config"});
    CHECK(body_of(versions / "00000002.config") == config_text(2));
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
    CHECK(latest->config.empty());
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
    CHECK(latest->config == config_text(3));
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
        CHECK(store.load(extra + 1)->config == config_text(extra + 1));
        CHECK(names_in(dir.path() / "versions").size() == ConfigStore::kept_versions);
    }
    ConfigStore restarted(dir.path().string());
    CHECK(restarted.commit(config_text(0), "api", "after restart").version ==
          static_cast<std::uint64_t>(total + 1));
    CHECK(restarted.history(1000).size() == ConfigStore::kept_versions);
    CHECK(restarted.history(1000).back().version == static_cast<std::uint64_t>(extra + 2));
}

TEST_CASE("stray temp files and damaged versions are ignored", "[store]") {
    TempDir dir;
    const auto versions = dir.path() / "versions";
    {
        ConfigStore store(dir.path().string());
        store.commit(config_text(1), "file", "one");
        store.commit(config_text(2), "api", "two");
    }

    SECTION("a crash before a rename leaves a temp file, removed at the next start") {
        write_text(versions / ".00000003.change.tmp", "{\"version\":3,");
        write_text(versions / ".00000004.config.tmp", "half a confi");
        write_text(versions / "README", "not a version");
        fs::create_directory(versions / "00000007.config");
        ConfigStore store(dir.path().string());
        auto latest = store.latest();
        REQUIRE(latest);
        CHECK(latest->info.version == 2);
        CHECK(store.history(10).size() == 2);
        CHECK(store.commit(config_text(3), "api", "three").version == 3);
        CHECK(names_in(versions) == std::set<std::string>{"00000001.config", "00000002.config",
                                                          "00000003.config", "README",
                                                          "00000007.config"});
    }

    SECTION(
        "files of an older layout or with broken metadata are skipped, their numbers not reused") {
        write_text(versions / "00000003.json", "{\"version\":3}");
        write_text(versions / "00000004.config", "{not a header\n{}");
        ConfigStore store(dir.path().string());
        CHECK(store.latest()->info.version == 2);
        CHECK_FALSE(store.load(4));
        CHECK(store.history(10).size() == 2);
        CHECK(store.commit(config_text(5), "api", "five").version == 5);
    }

    SECTION("metadata naming another version makes the file damaged") {
        fs::copy_file(versions / "00000001.config", versions / "00000003.config");
        ConfigStore store(dir.path().string());
        CHECK(store.latest()->info.version == 2);
    }

    SECTION("metadata missing a field makes the file damaged") {
        write_text(versions / "00000002.config", "{\"version\":2,\"time_ms\":1}\n{}");
        ConfigStore store(dir.path().string());
        CHECK(store.latest()->info.version == 1);
    }

    SECTION("a truncated or altered body makes its version damaged") {
        const auto whole = read_text(versions / "00000002.config");
        write_text(versions / "00000002.config", whole.substr(0, whole.size() - 3));
        ConfigStore store(dir.path().string());
        CHECK(store.latest()->info.version == 1);

        alter_last_byte(versions / "00000001.config");  // same size: caught by the checksum
        CHECK_FALSE(store.load(1));
        CHECK_FALSE(store.latest());
    }

    SECTION("a missing file makes its version absent") {
        fs::remove(versions / "00000002.config");
        ConfigStore store(dir.path().string());
        CHECK(store.latest()->info.version == 1);
        CHECK(store.commit(config_text(3), "api", "three").version == 2);
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
        CHECK(latest->config == config_text(1));
        std::set<std::string> expected{"00000001.config"};
        expected.insert(planted.begin(), planted.end());
        CHECK(names_in(versions) == expected);
        CHECK(store.history(10).size() == 1);
    };
    auto expect_failure = [&](const std::string& fragment, bool change) {
        try {
            if (change) {
                store.commit_change(1, change_text(2), "api", "two");
            } else {
                store.commit(config_text(2), "api", "two");
            }
            FAIL("commit did not throw");
        } catch (const std::system_error& error) {
            INFO(error.what());
            CHECK(std::string(error.what()).find(fragment) != std::string::npos);
            CHECK(std::string(error.what()).find(versions.string()) != std::string::npos);
        }
    };

    SECTION("the config cannot be renamed into place") {
        fs::create_directories(versions / "00000002.config" / "blocker");
        expect_failure("rename", false);
        expect_unchanged({"00000002.config"});
        fs::remove_all(versions / "00000002.config");
    }

    SECTION("the change cannot be renamed into place") {
        fs::create_directories(versions / "00000002.change" / "blocker");
        expect_failure("rename", true);
        expect_unchanged({"00000002.change"});
        fs::remove_all(versions / "00000002.change");
    }

    SECTION("the temp file cannot be created") {
        fs::create_directory(versions / ".00000002.config.tmp");
        expect_failure("create", false);
        expect_unchanged({".00000002.config.tmp"});
        fs::remove(versions / ".00000002.config.tmp");
    }

    SECTION("the disk is full while writing the config") {
        {
            FileSizeLimit limit(8);
            expect_failure("write", false);
        }
        expect_unchanged({});
    }

    SECTION("the disk is full while writing a change") {
        {
            FileSizeLimit limit(64);  // the metadata line alone is longer
            expect_failure("write", true);
        }
        expect_unchanged({});
    }

    // Once the cause is gone the next commit works, with the next number.
    auto next = store.commit(config_text(2), "api", "two");
    CHECK(next.version == 2);
    CHECK(store.latest()->config == config_text(2));
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
// for N = 1..2 (the temp file, the folder). The folders exist before the
// store is made, so its constructor fsyncs nothing and the commit's fsyncs
// are the first ones.
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

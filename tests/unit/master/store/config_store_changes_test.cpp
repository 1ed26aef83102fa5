#include "master/store/config_store.hpp"

#include "tests/unit/master/store/config_store_test_support.hpp"

#include <catch2/catch.hpp>

using turnout::master::ConfigStore;
using namespace turnout::master::store_test;

TEST_CASE("a change is stored alone, with its base, and loads as base plus changes", "[store]") {
    TempDir dir;
    const auto versions = dir.path() / "versions";
    {
        ConfigStore store(dir.path().string());
        store.commit(config_text(1), "file", "one");
        CHECK(store.commit_change(1, change_text(2), "api", "PUT route a").version == 2);
        CHECK(store.commit_change(2, change_text(3), "rollout", "split a").version == 3);
        CHECK(names_in(versions) ==
              std::set<std::string>{"00000001.config", "00000002.change", "00000003.change"});
        // Only the change is written, whatever the size of the config.
        CHECK(body_of(versions / "00000003.change") == change_text(3));

        auto third = store.load(3);
        REQUIRE(third);
        CHECK(third->info.summary == "split a");
        CHECK(third->config == config_text(1));
        CHECK(third->changes == std::vector<std::string>{change_text(2), change_text(3)});
        auto second = store.load(2);
        REQUIRE(second);
        CHECK(second->changes == std::vector<std::string>{change_text(2)});
    }
    // A restart resumes the newest version, chain and all, and goes on
    // numbering after it.
    ConfigStore restarted(dir.path().string());
    auto latest = restarted.latest();
    REQUIRE(latest);
    CHECK(latest->info.version == 3);
    CHECK(latest->info.source == "rollout");
    CHECK(latest->changes.size() == 2);
    auto history = restarted.history(10);
    REQUIRE(history.size() == 3);
    CHECK(history[0].summary == "split a");
    CHECK(restarted.commit(config_text(4), "rollback", "back to 1").version == 4);
    CHECK(restarted.latest()->changes.empty());
}

TEST_CASE("a change to a version that is not stored is refused", "[store]") {
    TempDir dir;
    ConfigStore store(dir.path().string());
    CHECK_THROWS_AS(store.commit_change(1, change_text(1), "api", "x"), std::system_error);
    store.commit(config_text(1), "file", "one");
    CHECK_THROWS_AS(store.commit_change(7, change_text(2), "api", "x"), std::system_error);
    CHECK(store.history(10).size() == 1);
}

TEST_CASE("checkpoints shorten the chain and a damaged one is passed over", "[store]") {
    TempDir dir;
    const auto versions = dir.path() / "versions";
    ConfigStore store(dir.path().string());
    store.commit(config_text(1), "file", "one");
    std::uint64_t version = 1;
    for (std::size_t i = 1; i < ConfigStore::changes_per_checkpoint; ++i) {
        version =
            store.commit_change(version, change_text(static_cast<int>(i)), "api", "c").version;
        CHECK_FALSE(store.wants_checkpoint(version));
    }
    auto info = store.commit_change(version, change_text(99), "api", "last");
    REQUIRE(store.wants_checkpoint(info.version));

    store.write_checkpoint(info, config_text(99));
    store.add_checkpoint(info.version);
    CHECK_FALSE(store.wants_checkpoint(info.version));
    CHECK(fs::exists(versions / "00000033.change"));
    CHECK(fs::exists(versions / "00000033.config"));
    auto loaded = store.load(info.version);
    REQUIRE(loaded);
    CHECK(loaded->config == config_text(99));
    CHECK(loaded->changes.empty());
    CHECK(loaded->info.summary == "last");

    // A later change builds on the checkpoint; the history is unchanged.
    auto next = store.commit_change(info.version, change_text(100), "api", "after");
    CHECK(store.load(next.version)->changes == std::vector<std::string>{change_text(100)});
    CHECK(store.history(100).size() == 34);

    // A checkpoint whose body was altered is passed over for the chain.
    alter_last_byte(versions / "00000033.config");
    ConfigStore restarted(dir.path().string());
    auto latest = restarted.latest();
    REQUIRE(latest);
    CHECK(latest->info.version == next.version);
    CHECK(latest->config == config_text(1));
    CHECK(latest->changes.size() == 33);
    CHECK(latest->changes.back() == change_text(100));
}

TEST_CASE("a checkpoint of a version pruned meanwhile is removed", "[store]") {
    TempDir dir;
    ConfigStore store(dir.path().string());
    auto first = store.commit(config_text(1), "file", "one");
    auto change = store.commit_change(1, change_text(2), "api", "two");
    for (std::size_t i = 0; i < ConfigStore::kept_versions; ++i) {
        store.commit(config_text(3), "api", "whole");
    }
    CHECK_FALSE(store.load(change.version));
    store.write_checkpoint(change, config_text(2));
    store.add_checkpoint(change.version);
    CHECK_FALSE(fs::exists(dir.path() / "versions" / "00000002.config"));
    CHECK_FALSE(store.load(first.version));
}

TEST_CASE("pruning keeps the whole config and changes a kept version is built on", "[store]") {
    TempDir dir;
    ConfigStore store(dir.path().string());
    store.commit(config_text(1), "file", "one");
    std::uint64_t version = 1;
    const int changes = static_cast<int>(ConfigStore::kept_versions) + 10;
    for (int i = 0; i < changes; ++i) {
        version = store.commit_change(version, change_text(i), "api", "c").version;
    }
    // No checkpoint was written, so every version is still needed: the
    // oldest kept one is built on all those before it.
    auto oldest_kept = store.history(ConfigStore::kept_versions).back().version;
    auto loaded = store.load(oldest_kept);
    REQUIRE(loaded);
    CHECK(loaded->config == config_text(1));
    CHECK(store.load(version)->changes.size() == static_cast<std::size_t>(changes));

    // With a checkpoint in the window, what lies before the window goes.
    store.write_checkpoint(store.history(1).front(), config_text(2));
    store.add_checkpoint(version);
    for (std::size_t i = 0; i < ConfigStore::kept_versions; ++i) {
        version = store.commit_change(version, change_text(0), "api", "c").version;
    }
    CHECK_FALSE(store.load(1));
    CHECK(store.history(1000).size() == ConfigStore::kept_versions + 1);  // and the checkpoint's
    CHECK(store.load(version)->config == config_text(2));
}

// A crash between the files of a chain: the change files were written one
// by one, and one of them (or the whole config under them) is lost or
// damaged. Every version built on it is then unusable, and the store falls
// back to the newest version that still loads whole.
TEST_CASE("a chain with a missing or damaged link falls back below it", "[store]") {
    TempDir dir;
    const auto versions = dir.path() / "versions";
    {
        ConfigStore store(dir.path().string());
        store.commit(config_text(1), "file", "one");
        store.commit_change(1, change_text(2), "api", "two");
        store.commit_change(2, change_text(3), "api", "three");
        store.commit_change(3, change_text(4), "api", "four");
    }

    SECTION("a change in the middle is gone") {
        fs::remove(versions / "00000003.change");
        ConfigStore store(dir.path().string());
        auto latest = store.latest();
        REQUIRE(latest);
        CHECK(latest->info.version == 2);
        CHECK_FALSE(store.load(4));
        // The next change builds on what is live (2), not on 4.
        CHECK(store.commit_change(2, change_text(5), "api", "five").version == 5);
        CHECK(store.latest()->changes == std::vector<std::string>{change_text(2), change_text(5)});
    }

    SECTION("a change in the middle is damaged") {
        write_text(versions / "00000003.change", "{\"version\":3}");
        ConfigStore store(dir.path().string());
        CHECK(store.latest()->info.version == 2);
    }

    SECTION("the whole config under the chain is gone") {
        fs::remove(versions / "00000001.config");
        ConfigStore store(dir.path().string());
        CHECK_FALSE(store.latest());
        CHECK(store.commit(config_text(5), "file", "fresh").version == 5);
    }
}

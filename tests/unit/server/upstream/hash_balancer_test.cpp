#include "server/upstream/hash_balancer.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <numeric>
#include <set>
#include <string>
#include <vector>

using turnout::config::Target;
using turnout::server::HashBalancer;
using turnout::server::PickContext;

namespace {

// Targets 127.0.0.1:(9001 + port_offsets[i]) with the given weights.
std::vector<Target> make_targets(const std::vector<std::uint32_t>& weights,
                                 std::vector<std::size_t> port_offsets = {}) {
    std::vector<Target> targets;
    for (std::size_t i = 0; i < weights.size(); ++i) {
        std::size_t offset = i < port_offsets.size() ? port_offsets[i] : i;
        Target target;
        target.address.text = "127.0.0.1:" + std::to_string(9001 + offset);
        target.weight = weights[i];
        targets.push_back(target);
    }
    return targets;
}

constexpr std::size_t key_count = 10000;

std::string key(std::size_t i) {
    return "user-" + std::to_string(i);
}

// The address each of the keys goes to.
std::vector<std::string> owners(HashBalancer& balancer, const std::vector<Target>& targets,
                                const std::vector<std::uint8_t>& excluded = {}) {
    std::vector<std::string> result;
    for (std::size_t i = 0; i < key_count; ++i) {
        std::string k = key(i);
        auto index = balancer.pick(PickContext{excluded, k});
        REQUIRE(index);
        result.push_back(targets.at(*index).address.text);
    }
    return result;
}

}  // namespace

TEST_CASE("hash: a key keeps its target, whatever the target order", "[server][balancer]") {
    auto targets = make_targets({1, 1, 1, 1, 1});
    HashBalancer balancer(targets);
    HashBalancer again(targets);
    auto reordered = make_targets({1, 1, 1, 1, 1}, {3, 0, 4, 1, 2});
    HashBalancer shuffled(reordered);
    auto first = owners(balancer, targets);
    CHECK(owners(balancer, targets) == first);
    CHECK(owners(again, targets) == first);
    CHECK(owners(shuffled, reordered) == first);
}

TEST_CASE("hash: keys spread evenly and by weight", "[server][balancer]") {
    auto check_shares = [](const std::vector<std::uint32_t>& weights) {
        auto targets = make_targets(weights);
        HashBalancer balancer(targets);
        CHECK(balancer.point_count() == 160 * std::accumulate(weights.begin(), weights.end(), 0u));
        std::vector<std::size_t> counts(targets.size());
        for (std::size_t i = 0; i < key_count; ++i) {
            std::string k = key(i);
            ++counts.at(*balancer.pick(PickContext{{}, k}));
        }
        const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
        for (std::size_t i = 0; i < targets.size(); ++i) {
            double share = 100.0 * counts[i] / key_count;
            double expected = 100.0 * weights[i] / total;
            INFO("target " << i << ": " << share << "% of keys, weight share " << expected << "%");
            CHECK(share == Approx(expected).margin(5.0));
        }
    };
    check_shares({1, 1, 1, 1, 1});
    check_shares({1, 2, 3, 4});
    check_shares({0, 1, 1});
}

TEST_CASE("hash: adding one of 6 targets moves about a sixth, all to it", "[server][balancer]") {
    auto five = make_targets({1, 1, 1, 1, 1});
    HashBalancer before(five);
    // The new target goes in the middle of the list: positions do not matter.
    auto six = make_targets({1, 1, 1, 1, 1, 1}, {0, 1, 5, 2, 3, 4});
    HashBalancer after(six);
    auto old_owners = owners(before, five);
    auto new_owners = owners(after, six);
    std::size_t moved = 0;
    for (std::size_t i = 0; i < key_count; ++i) {
        if (old_owners[i] != new_owners[i]) {
            ++moved;
            CHECK(new_owners[i] == "127.0.0.1:9006");
        }
    }
    double fraction = static_cast<double>(moved) / key_count;
    CHECK(fraction >= 0.10);
    CHECK(fraction <= 0.25);
}

TEST_CASE("hash: removing a target moves only its keys", "[server][balancer]") {
    auto five = make_targets({1, 1, 1, 1, 1});
    HashBalancer before(five);
    auto four = make_targets({1, 1, 1, 1}, {0, 1, 3, 4});
    HashBalancer after(four);
    auto old_owners = owners(before, five);
    auto new_owners = owners(after, four);
    std::size_t moved = 0;
    for (std::size_t i = 0; i < key_count; ++i) {
        if (old_owners[i] == "127.0.0.1:9003") {
            ++moved;
        } else {
            CHECK(new_owners[i] == old_owners[i]);
        }
    }
    double fraction = static_cast<double>(moved) / key_count;
    CHECK(fraction >= 0.10);
    CHECK(fraction <= 0.30);
}

TEST_CASE("hash: an excluded target's keys spread and come back", "[server][balancer]") {
    auto targets = make_targets({1, 1, 1, 1, 1});
    HashBalancer balancer(targets);
    auto normal = owners(balancer, targets);
    auto while_out = owners(balancer, targets, {0, 0, 1, 0, 0});
    std::set<std::string> took_over;
    for (std::size_t i = 0; i < key_count; ++i) {
        if (normal[i] == "127.0.0.1:9003") {
            CHECK(while_out[i] != "127.0.0.1:9003");
            took_over.insert(while_out[i]);
        } else {
            CHECK(while_out[i] == normal[i]);
        }
    }
    CHECK(took_over.size() == 4);
    CHECK(owners(balancer, targets) == normal);
}

TEST_CASE("hash: no key means round robin among the rest", "[server][balancer]") {
    HashBalancer balancer(make_targets({1, 1, 1}));
    const std::array<std::uint8_t, 3> excluded{0, 1, 0};
    std::vector<std::size_t> sequence;
    for (int i = 0; i < 4; ++i) {
        sequence.push_back(*balancer.pick(PickContext{excluded, {}}));
    }
    CHECK(sequence == std::vector<std::size_t>{0, 2, 0, 2});
}

TEST_CASE("hash: nothing to pick gives nullopt", "[server][balancer]") {
    HashBalancer balancer(make_targets({1, 0, 1}));
    const std::array<std::uint8_t, 3> excluded{1, 0, 1};
    CHECK_FALSE(balancer.pick(PickContext{excluded, "user-1"}));
    CHECK_FALSE(balancer.pick(PickContext{excluded, {}}));
    HashBalancer zero(make_targets({0, 0}));
    CHECK_FALSE(zero.pick(PickContext{{}, "user-1"}));
    HashBalancer none(make_targets({}));
    CHECK_FALSE(none.pick(PickContext{{}, "user-1"}));
}

TEST_CASE("hash: large weights share a bounded ring", "[server][balancer]") {
    auto targets = make_targets({1000000, 1000000, 1});
    HashBalancer balancer(targets);
    CHECK(balancer.point_count() <= HashBalancer::max_points + targets.size());
    std::array<std::size_t, 3> counts{};
    for (std::size_t i = 0; i < key_count; ++i) {
        std::string k = key(i);
        ++counts.at(*balancer.pick(PickContext{{}, k}));
    }
    CHECK(counts[0] == Approx(key_count / 2).margin(500));
    CHECK(counts[1] == Approx(key_count / 2).margin(500));
}

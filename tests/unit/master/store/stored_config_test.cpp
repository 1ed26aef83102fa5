#include "master/store/stored_config.hpp"

#include "config/edits.hpp"
#include "tests/unit/config/config_fixtures.hpp"

#include <catch2/catch.hpp>

using namespace turnout;
using config::test::check_same_config;
using worker::ConfigDelta;

namespace {

std::shared_ptr<const config::Config> edited(const config::EditResult& result) {
    const auto* config = std::get_if<std::shared_ptr<const config::Config>>(&result);
    REQUIRE(config);
    return *config;
}

}  // namespace

// The master stores a partial change as the delta it sends workers; loading
// the version back replays those deltas on the whole config below them, and
// must give exactly the config the edits made.
TEST_CASE("a whole config plus its stored changes decodes to the edited config", "[store]") {
    const auto base = config::test::load_ok(config::test::every_field_yaml);
    master::StoredVersion stored{{}, master::encode_config(*base), {}};
    auto live = base;
    auto record = [&](std::shared_ptr<const config::Config> next, ConfigDelta change) {
        stored.changes.push_back(master::encode_change(change));
        live = std::move(next);
    };

    auto added =
        edited(config::put_route(*live, "new", "match: { path: /new }\nupstream: app-v2\n", "PUT"));
    record(added, {ConfigDelta::Op::put_route, "new", *added->find_route("new"), std::nullopt});
    auto split = edited(config::put_split(*live, "api", {{"app-v2", 3}, {"app-v1", 1}}));
    record(split, {ConfigDelta::Op::put_route, "api", *split->find_route("api"), std::nullopt});
    auto upstream =
        edited(config::put_upstream(*live, "extra", "targets: [127.0.0.1:9100]\n", "PUT"));
    record(upstream, {ConfigDelta::Op::put_upstream, "extra", std::nullopt,
                      *upstream->find_upstream("extra")});
    record(edited(config::delete_route(*live, "exact")),
           {ConfigDelta::Op::delete_route, "exact", std::nullopt, std::nullopt});
    record(edited(config::delete_upstream(*live, "extra")),
           {ConfigDelta::Op::delete_upstream, "extra", std::nullopt, std::nullopt});

    const auto decoded = master::decode_config(stored);
    REQUIRE(decoded);
    check_same_config(*decoded, *live);
    CHECK(decoded->routes.back().name == "new");  // appended, as the edit did
    CHECK(decoded->routes.front().split.size() == 2);

    SECTION("a change that does not decode makes the version unusable") {
        stored.changes[1] = "{\"op\":\"put_route\"}";
        CHECK_FALSE(master::decode_config(stored));
    }
    SECTION("so does a whole config that does not decode") {
        stored.config = "{}";
        CHECK_FALSE(master::decode_config(stored));
    }
}

#include "server/worker_metrics.hpp"

#include "config/json_codec.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

using turnout::server::Histogram;
using turnout::server::metrics_from_json;
using turnout::server::MetricsSnapshot;
using turnout::server::UpstreamErrorKind;
using turnout::server::WorkerMetrics;

namespace {

std::string text_of(const MetricsSnapshot& snapshot) {
    return boost::json::serialize(turnout::server::to_json(snapshot));
}

std::optional<MetricsSnapshot> decode(const std::string& text) {
    auto json = turnout::config::parse_json(text);
    REQUIRE(json);
    return metrics_from_json(*json);
}

}  // namespace

TEST_CASE("a series counts requests by code, errors and durations", "[metrics]") {
    WorkerMetrics metrics;
    auto& series = metrics.series("api", "v1");
    series.record(200, 0.003);
    series.record(200, 0.2);
    series.record(502, 0.001);
    series.record(200, 0.04, true);  // timed out mid-body

    const auto snapshot = metrics.snapshot();
    REQUIRE(snapshot.requests.size() == 1);
    const auto& totals = snapshot.requests.at({"api", "v1"});
    CHECK(totals.codes == std::map<unsigned, std::uint64_t>{{200, 3}, {502, 1}});
    CHECK(totals.errors == 2);
    CHECK(totals.requests() == 4);
    CHECK(totals.duration.sum() == Approx(0.244));
    CHECK(totals.duration.counts() ==
          std::vector<std::uint64_t>{1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0});
}

TEST_CASE("series handles stay valid as more series are interned", "[metrics]") {
    WorkerMetrics metrics;
    auto* first = &metrics.series("api", "v1");
    for (int i = 0; i < 1000; ++i) {
        metrics.series("route" + std::to_string(i), "v1");
    }
    CHECK(&metrics.series("api", "v1") == first);
    CHECK(&metrics.series("api", "v2") != first);
    // The pair is the key, not the concatenation.
    CHECK(&metrics.series("ap", "iv1") != &metrics.series("api", "v1"));
    first->record(204, 0.01);
    const auto snapshot = metrics.snapshot();
    // Series with no requests are left out.
    REQUIRE(snapshot.requests.size() == 1);
    CHECK(snapshot.requests.at({"api", "v1"}).codes.at(204) == 1);
}

TEST_CASE("upstream errors and the connections gauge", "[metrics]") {
    WorkerMetrics metrics;
    metrics.record_upstream_error("v1", "10.0.0.1:80", UpstreamErrorKind::connect_failed);
    metrics.record_upstream_error("v1", "10.0.0.1:80", UpstreamErrorKind::connect_failed);
    metrics.upstream_errors("v1", "10.0.0.2:80").record(UpstreamErrorKind::bad_response);
    metrics.upstream_errors("v1", "10.0.0.3:80");  // a handle taken, nothing recorded
    metrics.connection_opened();
    metrics.connection_opened();
    metrics.connection_closed();

    const auto snapshot = metrics.snapshot();
    REQUIRE(snapshot.upstream_errors.size() == 2);
    const auto& first = snapshot.upstream_errors.at({"v1", "10.0.0.1:80"});
    CHECK(first[static_cast<std::size_t>(UpstreamErrorKind::connect_failed)] == 2);
    CHECK(first[static_cast<std::size_t>(UpstreamErrorKind::timeout)] == 0);
    CHECK(snapshot.upstream_errors.at({"v1", "10.0.0.2:80"})[4] == 1);
    CHECK(snapshot.connections_active == 1);
}

TEST_CASE("error kinds have their metric names", "[metrics]") {
    CHECK(to_string(UpstreamErrorKind::connect_timeout) == "connect_timeout");
    CHECK(turnout::server::upstream_error_kind_from_string("reset") == UpstreamErrorKind::reset);
    CHECK_FALSE(turnout::server::upstream_error_kind_from_string("other"));
}

TEST_CASE("a snapshot survives the trip through JSON", "[metrics]") {
    WorkerMetrics metrics;
    metrics.series("api", "v1").record(200, 0.003);
    metrics.series("api", "v1").record(503, 7.5);
    metrics.series("web \"x\"", "v2").record(404, 0.0001);
    metrics.record_upstream_error("v1", "[::1]:80", UpstreamErrorKind::timeout);
    metrics.connection_opened();

    const auto snapshot = metrics.snapshot();
    const auto decoded = decode(text_of(snapshot));
    REQUIRE(decoded);
    CHECK(text_of(*decoded) == text_of(snapshot));
    const auto& totals = decoded->requests.at({"api", "v1"});
    CHECK(totals.codes.at(503) == 1);
    CHECK(totals.errors == 1);
    CHECK(totals.duration.sum() == 7.503);
    CHECK(totals.duration.count() == 2);
    CHECK(decoded->upstream_errors.at({"v1", "[::1]:80"})[2] == 1);
    CHECK(decoded->connections_active == 1);
}

TEST_CASE("snapshots that are not what to_json writes are refused", "[metrics]") {
    const std::string good_series = R"({"route":"a","upstream":"u","codes":{"200":1},"errors":0,)"
                                    R"("buckets":[1,0,0,0,0,0,0,0,0,0,0,0,0,0],"sum":0.001})";
    const auto with = [](const std::string& requests, const std::string& errors) {
        return R"({"connections_active":0,"requests":[)" + requests + R"(],"upstream_errors":[)" +
               errors + "]}";
    };
    CHECK(decode(with(good_series, "")));
    CHECK_FALSE(decode("[]"));
    CHECK_FALSE(decode(R"({"requests":[],"upstream_errors":[]})"));
    // One bucket short.
    CHECK_FALSE(decode(with(R"({"route":"a","upstream":"u","codes":{},"errors":0,)"
                            R"("buckets":[0,0,0,0,0,0,0,0,0,0,0,0,0],"sum":0})",
                            "")));
    CHECK_FALSE(decode(with(R"({"route":"a","upstream":"u","codes":{"2x":1},"errors":0,)"
                            R"("buckets":[1,0,0,0,0,0,0,0,0,0,0,0,0,0],"sum":0})",
                            "")));
    CHECK_FALSE(decode(with(R"({"route":"a","upstream":"u","codes":{"200":-1},"errors":0,)"
                            R"("buckets":[1,0,0,0,0,0,0,0,0,0,0,0,0,0],"sum":0})",
                            "")));
    CHECK_FALSE(decode(with("", R"({"upstream":"u","target":"t","counts":{"fire":1}})")));
    CHECK_FALSE(decode(with("", R"({"upstream":"u","counts":{}})")));
}

TEST_CASE("snapshots add up", "[metrics]") {
    WorkerMetrics one;
    WorkerMetrics two;
    one.series("api", "v1").record(200, 0.003);
    two.series("api", "v1").record(200, 0.003);
    two.series("api", "v1").record(500, 0.003);
    two.record_upstream_error("v1", "t", UpstreamErrorKind::reset);
    one.connection_opened();
    two.connection_opened();

    auto sum = one.snapshot();
    sum.add(two.snapshot());
    const auto& totals = sum.requests.at({"api", "v1"});
    CHECK(totals.codes == std::map<unsigned, std::uint64_t>{{200, 2}, {500, 1}});
    CHECK(totals.errors == 1);
    CHECK(totals.duration.counts()[2] == 3);
    CHECK(sum.upstream_errors.at({"v1", "t"})[3] == 1);
    CHECK(sum.connections_active == 2);
}

TEST_CASE("histogram merge, restore and quantile", "[metrics]") {
    Histogram histogram;
    for (int i = 0; i < 50; ++i) {
        histogram.record(0.003);  // (0.0025, 0.005]
        histogram.record(0.2);    // (0.1, 0.25]
    }
    // Rank 99 of 100 is the 49th of 50 in (0.1, 0.25]: 0.1 + 0.15 * 49/50.
    CHECK(histogram.quantile(0.99) == Approx(0.247));
    // Rank 50 ends the lower bucket: its upper bound.
    CHECK(histogram.quantile(0.5) == Approx(0.005));
    // Rank 25 is halfway through (0.0025, 0.005].
    CHECK(histogram.quantile(0.25) == Approx(0.00375));
    CHECK(Histogram{}.quantile(0.99) == 0);

    Histogram first_bucket;
    first_bucket.record(0.0005);
    first_bucket.record(0.0005);
    CHECK(first_bucket.quantile(0.5) == Approx(0.0005));  // from 0 to 0.001

    Histogram slow;
    slow.record(30);
    CHECK(slow.quantile(0.99) == 10);  // +Inf: the highest finite bound

    Histogram restored{Histogram::default_bounds, histogram.counts(), histogram.sum()};
    CHECK(restored.count() == 100);
    CHECK(restored.merge(histogram));
    CHECK(restored.count() == 200);
    CHECK(restored.sum() == Approx(2 * histogram.sum()));
    const std::array<double, 2> other_bounds{1, 2};
    CHECK_FALSE(restored.merge(Histogram{other_bounds}));
    CHECK(restored.count() == 200);
}

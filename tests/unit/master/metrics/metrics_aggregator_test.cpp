#include "master/metrics/metrics_aggregator.hpp"
#include "master/metrics/prometheus_text.hpp"

#include <catch2/catch.hpp>

#include <regex>
#include <sstream>
#include <string>

using turnout::master::IntervalStats;
using turnout::master::MetricsAggregator;
using turnout::server::MetricsSnapshot;
using turnout::server::UpstreamErrorKind;
using turnout::server::WorkerMetrics;

namespace {

// A worker's snapshot after `ok` requests answered 200 in 3 ms, `failed`
// answered 502 in 200 ms, and `connections` open.
MetricsSnapshot worker_snapshot(int ok, int failed, int connections = 0) {
    WorkerMetrics metrics;
    auto& series = metrics.series("api", "v1");
    for (int i = 0; i < ok; ++i) {
        series.record(200, 0.003);
    }
    for (int i = 0; i < failed; ++i) {
        series.record(502, 0.2);
        metrics.record_upstream_error("v1", "10.0.0.1:80", UpstreamErrorKind::connect_failed);
    }
    for (int i = 0; i < connections; ++i) {
        metrics.connection_opened();
    }
    return metrics.snapshot();
}

std::uint64_t requests_with(const MetricsSnapshot& totals, unsigned code) {
    const auto& codes = totals.requests.at({"api", "v1"}).codes;
    const auto it = codes.find(code);
    return it == codes.end() ? 0 : it->second;
}

}  // namespace

TEST_CASE("the aggregator sums the workers", "[metrics]") {
    MetricsAggregator aggregator;
    CHECK(aggregator.update(0, 100, worker_snapshot(3, 1, 2)));
    CHECK(aggregator.update(1, 101, worker_snapshot(4, 0, 5)));
    const auto totals = aggregator.totals();
    CHECK(requests_with(totals, 200) == 7);
    CHECK(requests_with(totals, 502) == 1);
    CHECK(totals.requests.at({"api", "v1"}).duration.count() == 8);
    CHECK(totals.upstream_errors.at({"v1", "10.0.0.1:80"})[0] == 1);
    CHECK(totals.connections_active == 7);

    // A newer snapshot of the same worker replaces its older one.
    CHECK(aggregator.update(0, 100, worker_snapshot(5, 1, 0)));
    CHECK(requests_with(aggregator.totals(), 200) == 9);
    CHECK(aggregator.totals().connections_active == 5);
}

TEST_CASE("a replaced worker's counters stay, its gauge does not", "[metrics]") {
    MetricsAggregator aggregator;
    aggregator.update(0, 100, worker_snapshot(10, 2, 4));
    aggregator.update(1, 101, worker_snapshot(1, 0, 1));

    // Slot 0's worker died and a new one took over with fresh counters.
    aggregator.update(0, 200, worker_snapshot(3, 0, 2));
    auto totals = aggregator.totals();
    CHECK(requests_with(totals, 200) == 14);
    CHECK(requests_with(totals, 502) == 2);
    CHECK(totals.requests.at({"api", "v1"}).errors == 2);
    CHECK(totals.upstream_errors.at({"v1", "10.0.0.1:80"})[0] == 2);
    CHECK(totals.connections_active == 3);

    // A late message from the retired worker is ignored.
    CHECK_FALSE(aggregator.update(0, 100, worker_snapshot(11, 2, 4)));
    CHECK(requests_with(aggregator.totals(), 200) == 14);

    // retire() when the exit is seen, before any replacement reports.
    aggregator.retire(1);
    aggregator.retire(1);
    totals = aggregator.totals();
    CHECK(requests_with(totals, 200) == 14);
    CHECK(totals.connections_active == 2);
    CHECK_FALSE(aggregator.update(1, 101, worker_snapshot(1, 0, 1)));
    CHECK(aggregator.update(1, 300, worker_snapshot(0, 0, 1)));
    CHECK(aggregator.totals().connections_active == 3);
}

TEST_CASE("Prometheus text for one worker, with the master's families first", "[metrics]") {
    MetricsAggregator aggregator;
    WorkerMetrics metrics;
    metrics.series("api", "v1").record(200, 0.003);
    metrics.record_upstream_error("v1", "10.0.0.1:80", UpstreamErrorKind::connect_failed);
    metrics.connection_opened();
    metrics.connection_opened();
    aggregator.update(0, 100, metrics.snapshot());

    std::string master;
    turnout::master::append_gauge(master, "turnout_config_version",
                                  "The config version the master serves.", {}, 7);
    const std::string duration = "turnout_request_duration_seconds";
    const std::string labels = "{route=\"api\",upstream=\"v1\"";
    std::string expected =
        "# HELP turnout_config_version The config version the master serves.\n"
        "# TYPE turnout_config_version gauge\n"
        "turnout_config_version 7\n"
        "# HELP turnout_requests_total Requests answered, by route, upstream and status code.\n"
        "# TYPE turnout_requests_total counter\n"
        "turnout_requests_total{route=\"api\",upstream=\"v1\",code=\"200\"} 1\n"
        "# HELP turnout_request_duration_seconds Time from a request's arrival to the end of "
        "its response.\n"
        "# TYPE turnout_request_duration_seconds histogram\n";
    const char* les[] = {"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
                         "0.25",  "0.5",    "1",     "2.5",  "5",     "10",   "+Inf"};
    for (int i = 0; i < 14; ++i) {
        expected +=
            duration + "_bucket" + labels + ",le=\"" + les[i] + "\"} " + (i < 2 ? "0" : "1") + "\n";
    }
    expected += duration + "_sum" + labels + "} 0.003\n";
    expected += duration + "_count" + labels + "} 1\n";
    expected +=
        "# HELP turnout_upstream_errors_total Failed attempts to reach an upstream target, by "
        "kind.\n"
        "# TYPE turnout_upstream_errors_total counter\n"
        "turnout_upstream_errors_total{upstream=\"v1\",target=\"10.0.0.1:80\","
        "kind=\"connect_failed\"} 1\n"
        "# HELP turnout_connections_active Client connections open now.\n"
        "# TYPE turnout_connections_active gauge\n"
        "turnout_connections_active 2\n";
    CHECK(aggregator.render_prometheus(master) == expected);
}

TEST_CASE("every Prometheus sample line parses, escaped labels included", "[metrics]") {
    MetricsAggregator aggregator;
    WorkerMetrics metrics;
    metrics.series("quote\" back\\slash\nline", "v1").record(503, 12);
    metrics.series("api", "v1").record(200, 0.01);
    metrics.record_upstream_error("v1", "[::1]:8080", UpstreamErrorKind::timeout);
    aggregator.update(0, 100, metrics.snapshot());
    aggregator.update(1, 101, worker_snapshot(2, 2, 1));

    std::string text;
    turnout::master::append_counter(text, "turnout_worker_restarts_total", "Restarts.\nMore", {},
                                    3);
    turnout::master::append_family(text, "turnout_target_healthy", "gauge", "Target health.");
    turnout::master::append_sample(text, "turnout_target_healthy",
                                   {{"upstream", "v1"}, {"target", "10.0.0.1:80"}}, 1);
    turnout::master::append_histogram(text, "turnout_config_apply_seconds", "Apply time.", {},
                                      turnout::server::Histogram{});
    text = aggregator.render_prometheus(text);

    CHECK(text.find("route=\"quote\\\" back\\\\slash\\nline\"") != std::string::npos);
    CHECK(text.find("# HELP turnout_worker_restarts_total Restarts.\\nMore\n") !=
          std::string::npos);
    CHECK(text.find("turnout_request_duration_seconds_bucket{route=\"quote\\\" back\\\\slash"
                    "\\nline\",upstream=\"v1\",le=\"10\"} 0\n") != std::string::npos);
    CHECK(text.find("turnout_requests_total{route=\"api\",upstream=\"v1\",code=\"200\"} 3\n") !=
          std::string::npos);

    const std::regex comment{R"(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*)"};
    const std::string label = R"([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")";
    const std::regex sample{"[a-zA-Z_:][a-zA-Z0-9_:]*(\\{" + label + "(," + label +
                            ")*\\})? (-?[0-9.e+]+|\\+Inf|-Inf|NaN)"};
    std::istringstream lines{text};
    std::string line;
    int samples = 0;
    while (std::getline(lines, line)) {
        INFO(line);
        if (line.starts_with("#")) {
            CHECK(std::regex_match(line, comment));
        } else {
            CHECK(std::regex_match(line, sample));
            ++samples;
        }
    }
    CHECK(samples == 1 + 1 + 16 + 3 + 16 * 2 + 2 + 1);
}

TEST_CASE("interval stats are the difference between calls", "[metrics]") {
    MetricsAggregator aggregator;
    CHECK(aggregator.interval_stats("api", "v1").requests == 0);

    aggregator.update(0, 100, worker_snapshot(90, 10));
    aggregator.update(1, 101, worker_snapshot(0, 0));
    IntervalStats first = aggregator.interval_stats("api", "v1");
    CHECK(first.requests == 100);
    CHECK(first.errors == 10);
    // Rank 99 is the 9th of 10 in (0.1, 0.25]: 100 + 150 * 9/10 ms.
    CHECK(first.p99_ms == Approx(235));

    // Nothing new: an empty interval.
    IntervalStats idle = aggregator.interval_stats("api", "v1");
    CHECK(idle.requests == 0);
    CHECK(idle.errors == 0);
    CHECK(idle.p99_ms == 0);

    // Slot 0's worker grows by 100 fast requests; slot 1 answers 100 more.
    aggregator.update(0, 100, worker_snapshot(190, 10));
    aggregator.update(1, 101, worker_snapshot(100, 0));
    IntervalStats second = aggregator.interval_stats("api", "v1");
    CHECK(second.requests == 200);
    CHECK(second.errors == 0);
    CHECK(second.p99_ms == Approx(4.975));  // rank 198 of 200 in (2.5, 5] ms

    // Other pairs have their own baseline.
    CHECK(aggregator.interval_stats("api", "v2").requests == 0);
    CHECK(aggregator.interval_stats("web", "v1").requests == 0);
}

TEST_CASE("interval stats go on across a worker replacement", "[metrics]") {
    MetricsAggregator aggregator;
    aggregator.update(0, 100, worker_snapshot(50, 0));
    CHECK(aggregator.interval_stats("api", "v1").requests == 50);

    // The worker answered 20 more, then died; its replacement answered 5,
    // 1 of them 502. The 20 in its last snapshot are kept.
    aggregator.update(0, 100, worker_snapshot(70, 0));
    aggregator.retire(0);
    aggregator.update(0, 200, worker_snapshot(4, 1));
    IntervalStats stats = aggregator.interval_stats("api", "v1");
    CHECK(stats.requests == 25);
    CHECK(stats.errors == 1);

    aggregator.update(0, 200, worker_snapshot(10, 1));
    stats = aggregator.interval_stats("api", "v1");
    CHECK(stats.requests == 6);
    CHECK(stats.errors == 0);
    CHECK(stats.p99_ms == Approx(4.975));  // rank 5.94 of 6 in (2.5, 5] ms
}

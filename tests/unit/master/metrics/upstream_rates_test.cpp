#include "master/metrics/upstream_rates.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using turnout::master::UpstreamRates;
using turnout::server::MetricsSnapshot;
using turnout::server::RequestTotals;

namespace {

using namespace std::chrono_literals;

const UpstreamRates::clock::time_point t0{};

// Cumulative totals of one {route, upstream} pair: `requests` requests of
// which `errors` count as errors.
RequestTotals totals(int requests, int errors) {
    RequestTotals out;
    for (int i = 0; i < requests; ++i) {
        out.duration.record(0.01);
    }
    out.errors = static_cast<std::uint64_t>(errors);
    return out;
}

MetricsSnapshot snapshot(int requests, int errors) {
    MetricsSnapshot out;
    out.requests[{"api", "v1"}] = totals(requests, errors);
    return out;
}

}  // namespace

TEST_CASE("rates are zero until two observations exist", "[rates]") {
    UpstreamRates rates;
    CHECK(rates.rate("v1").requests_per_s == 0);
    rates.observe(snapshot(100, 10), t0);
    CHECK(rates.rate("v1").requests_per_s == 0);
    CHECK(rates.rate("v1").error_rate == 0);
}

TEST_CASE("the request rate is the counter's growth per second", "[rates]") {
    UpstreamRates rates;
    rates.observe(snapshot(100, 0), t0);
    rates.observe(snapshot(150, 5), t0 + 1s);
    CHECK(rates.rate("v1").requests_per_s == Approx(50));
    CHECK(rates.rate("v1").error_rate == Approx(0.1));

    // Half a second between polls: still per second.
    rates.observe(snapshot(175, 5), t0 + 1500ms);
    CHECK(rates.rate("v1").requests_per_s == Approx(75.0 / 1.5));
    CHECK(rates.rate("v1").error_rate == Approx(5.0 / 75));
}

TEST_CASE("rates span the last window_ticks polls", "[rates]") {
    UpstreamRates rates;
    int total = 0;
    rates.observe(snapshot(total, 0), t0);
    // 10 req/s for the first ten seconds, then 40 req/s.
    for (int second = 1; second <= 10; ++second) {
        total += 10;
        rates.observe(snapshot(total, 0), t0 + std::chrono::seconds{second});
    }
    CHECK(rates.rate("v1").requests_per_s == Approx(10));
    total += 40;
    rates.observe(snapshot(total, 0), t0 + 11s);
    // One fast second among the five: (4 * 10 + 40) / 5.
    CHECK(rates.rate("v1").requests_per_s == Approx(16));
    for (int second = 12; second <= 15; ++second) {
        total += 40;
        rates.observe(snapshot(total, 0), t0 + std::chrono::seconds{second});
    }
    CHECK(rates.rate("v1").requests_per_s == Approx(40));

    // Traffic stops: the rate falls to zero once the window holds no growth.
    for (int second = 16; second <= 16 + int{UpstreamRates::window_ticks}; ++second) {
        rates.observe(snapshot(total, 0), t0 + std::chrono::seconds{second});
    }
    CHECK(rates.rate("v1").requests_per_s == 0);
    CHECK(rates.rate("v1").error_rate == 0);
}

TEST_CASE("rates sum an upstream's routes and keep upstreams apart", "[rates]") {
    MetricsSnapshot before;
    before.requests[{"api", "v1"}] = totals(10, 0);
    before.requests[{"web", "v1"}] = totals(20, 0);
    before.requests[{"api", "v2"}] = totals(5, 0);
    MetricsSnapshot after;
    after.requests[{"api", "v1"}] = totals(30, 2);
    after.requests[{"web", "v1"}] = totals(40, 2);
    after.requests[{"api", "v2"}] = totals(15, 10);
    // An upstream first seen in this window counts from zero.
    after.requests[{"new", "v3"}] = totals(8, 0);

    UpstreamRates rates;
    rates.observe(before, t0);
    rates.observe(after, t0 + 2s);
    CHECK(rates.rate("v1").requests_per_s == Approx(20));
    CHECK(rates.rate("v1").error_rate == Approx(0.1));
    CHECK(rates.rate("v2").requests_per_s == Approx(5));
    CHECK(rates.rate("v2").error_rate == Approx(1));
    CHECK(rates.rate("v3").requests_per_s == Approx(4));
    CHECK(rates.rate("unknown").requests_per_s == 0);
    CHECK(rates.rate("unknown").error_rate == 0);
}

TEST_CASE("a window with no requests has no error rate", "[rates]") {
    UpstreamRates rates;
    rates.observe(snapshot(10, 10), t0);
    rates.observe(snapshot(10, 10), t0 + 1s);
    CHECK(rates.rate("v1").requests_per_s == 0);
    CHECK(rates.rate("v1").error_rate == 0);
}

TEST_CASE("a counter that goes back reads as no traffic, not a huge rate", "[rates]") {
    UpstreamRates rates;
    rates.observe(snapshot(100, 50), t0);
    rates.observe(snapshot(10, 0), t0 + 1s);
    CHECK(rates.rate("v1").requests_per_s == 0);
    CHECK(rates.rate("v1").error_rate == 0);
}

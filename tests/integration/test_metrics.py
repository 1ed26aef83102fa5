"""Metrics (SPEC §8): GET /v1/metrics in Prometheus text format, summed over
workers, never going back when a worker is replaced."""

import contextlib
import os
import re
import signal
import unittest

from admin_client import Admin
from harness import (EchoBackend, Turnout, TurnoutTestCase, free_port, get_json, refused_port,
                     render, request, wait_until)

CONFIG = """\
workers: 2
listeners:
  - { name: web, address: 127.0.0.1:${port} }
upstreams:
  a: { targets: [${a}], health_check: { path: /healthz, interval: 200ms } }
  gone: { targets: [${gone}], retries: 0, timeouts: { connect: 1s } }
routes:
  - { name: dead, match: { path_prefix: /dead }, upstream: gone }
  - { name: main, match: { path_prefix: / }, upstream: a }
"""

NAMES = ["turnout_requests_total", "turnout_request_duration_seconds_bucket",
         "turnout_upstream_errors_total", "turnout_target_healthy", "turnout_connections_active",
         "turnout_config_version", "turnout_config_apply_seconds_bucket",
         "turnout_worker_restarts_total"]


def sample(text, name, **labels):
    """The value of the sample `name` whose labels include `labels`, or None."""
    for line in text.splitlines():
        match = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match.group(3))
    return None


class MetricsTest(TurnoutTestCase):
    @contextlib.contextmanager
    def serving(self):
        """A turnout with 2 ready workers in front of echo backend "a";
        yields (port, admin)."""
        with EchoBackend("a") as a, refused_port() as gone:
            port = free_port()
            t = Turnout(render(CONFIG, port=port, a=a.address, gone=f"127.0.0.1:{gone}"))
            self.turnouts = (t,)
            with t:
                admin = Admin(t)
                wait_until(lambda: len(admin.ready_workers()) == 2, timeout=10)
                yield port, admin

    def test_metrics_are_summed_and_never_go_back(self):
        with self.serving() as (port, admin):
            workers = {w["pid"] for w in admin.status()["workers"]}
            for _ in range(100):
                self.assertEqual(get_json(port, "/")["server"], "a")
            self.assertEqual(request(port, "GET", "/dead")[0], 502)

            def metrics():
                response = admin.request("GET", "/v1/metrics")
                self.assertEqual(response.status, 200)
                return response.body

            ok = dict(route="main", upstream="a", code="200")
            wait_until(lambda: sample(metrics(), "turnout_requests_total", **ok) == 100,
                       timeout=10, message="100 requests never showed in the metrics")
            text = metrics()
            for name in NAMES:
                self.assertIsNotNone(sample(text, name), f"{name} missing:\n{text}")
            self.assertEqual(sample(text, "turnout_upstream_errors_total", upstream="gone",
                                    kind="connect_failed"), 1)
            self.assertEqual(sample(text, "turnout_requests_total", route="dead", code="502"), 1)
            self.assertEqual(sample(text, "turnout_request_duration_seconds_count",
                                    route="main", upstream="a"), 100)
            self.assertEqual(sample(text, "turnout_target_healthy", upstream="a"), 1)

            # Kill both workers in turn: whichever served the 100, their
            # counts must outlive them.
            for restarts, pid in enumerate(sorted(workers), start=1):
                os.kill(pid, signal.SIGKILL)
                wait_until(lambda: sample(metrics(), "turnout_worker_restarts_total") == restarts,
                           timeout=10)
                self.assertEqual(sample(metrics(), "turnout_requests_total", **ok), 100)
            wait_until(lambda: len(admin.ready_workers()) == 2, timeout=10)
            for _ in range(10):
                get_json(port, "/")
            wait_until(lambda: sample(metrics(), "turnout_requests_total", **ok) == 110, timeout=10)

    def test_status_shows_per_upstream_rates(self):
        with self.serving() as (port, admin):

            def upstream(name):
                return next(u for u in admin.status()["upstreams"] if u["name"] == name)

            idle = upstream("a")
            self.assertEqual(idle["requests_per_s"], 0)
            self.assertEqual(idle["error_rate"], 0)
            for i in range(300):
                self.assertEqual(get_json(port, "/")["server"], "a")
                if i % 10 == 0:
                    self.assertEqual(request(port, "GET", "/dead")[0], 502)

            # Rates span the last few stats polls (1 s each), so they show
            # within a couple of seconds and stay a few more.
            wait_until(lambda: upstream("a")["requests_per_s"] > 0, timeout=10,
                       message="requests_per_s never rose for upstream a")
            wait_until(lambda: upstream("gone")["error_rate"] > 0, timeout=10,
                       message="error_rate never rose for upstream gone")
            self.assertEqual(upstream("a")["error_rate"], 0)
            self.assertEqual(upstream("gone")["error_rate"], 1)

            def cli_row(name):
                result = admin.cli("status")
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertRegex(result.stdout, r"UPSTREAM\s+RPS\s+ERR%\s+TARGET\s+HEALTH")
                match = re.search(rf"^\s+{name}\s+([\d.]+)\s+([\d.]+)%\s+127\.0\.0\.1:",
                                  result.stdout, re.M)
                self.assertIsNotNone(match, result.stdout)
                return float(match.group(1)), float(match.group(2))

            wait_until(lambda: cli_row("a")[0] > 0, timeout=10,
                       message="turnout status never showed a request rate for a")
            wait_until(lambda: cli_row("gone")[1] == 100, timeout=10,
                       message="turnout status never showed gone's errors")


if __name__ == "__main__":
    unittest.main()

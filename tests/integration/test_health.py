"""Health (SPEC §3 health_check and outlier, §5 retries): active checks run
once per target in the master, unhealthy targets get no traffic until they
recover, panic mode, passive ejection of a dead target, and a POST never
sent twice."""

import hashlib
import http.client
import json
import time
import unittest

from admin_client import Admin
from harness import (EchoBackend, Turnout, TurnoutTestCase, free_port, get_json, render,
                     request, wait_until)

CONFIG = """\
workers: ${workers}
listeners:
  - { name: web, address: 127.0.0.1:${port} }
upstreams:
  pair:
    targets: [${a}, ${b}]
    health_check: { path: /healthz, interval: ${interval}, timeout: 500ms,
                    unhealthy_after: 2, healthy_after: 2 }
  plain:
    targets: [${a}, ${b}]
    retries: 1
    timeouts: { connect: 1s }
    outlier: { consecutive_failures: 3, eject_for: 30s }
routes:
  - { name: checked, match: { path_prefix: /checked }, upstream: pair }
  - { name: plain, match: { path_prefix: / }, upstream: plain }
"""


def set_health(backend, status):
    conn = http.client.HTTPConnection("127.0.0.1", backend.port, timeout=5)
    conn.request("GET", f"/__health?status={status}")
    conn.getresponse().read()
    conn.close()


def proxied(*backends):
    """Requests the backends saw, less health checks (which run meanwhile)."""
    total = 0
    for backend in backends:
        stats = backend.stats()
        total += stats["requests"] - stats["health_checks"]
    return total


def target_health(admin, upstream):
    for entry in admin.status()["upstreams"]:
        if entry["name"] == upstream:
            return {t["address"]: t["health"] for t in entry["targets"]}, entry["panic"]
    raise AssertionError(f"no upstream {upstream}")


class HealthTest(TurnoutTestCase):
    def setUp(self):
        self.a = EchoBackend("a").__enter__()
        self.b = EchoBackend("b").__enter__()

    def tearDown(self):
        self.a.__exit__(None, None, None)
        self.b.__exit__(None, None, None)

    def start(self, workers=2, interval="100ms"):
        port = free_port()
        t = Turnout(render(CONFIG, port=port, a=self.a.address, b=self.b.address,
                           workers=workers, interval=interval))
        self.turnouts = (t,)
        return port, t

    def servers(self, port, path, count):
        return [get_json(port, path)["server"] for _ in range(count)]

    def test_checks_run_once_per_target_not_once_per_worker(self):
        port, t = self.start(workers=3, interval="100ms")
        with t:
            first = self.b.stats()["health_checks"]
            started = time.monotonic()
            wait_until(lambda: self.b.stats()["health_checks"] >= first + 10, timeout=10)
            elapsed = time.monotonic() - started
            # One checker: 10 checks take about 1 s. One per worker (3) would
            # take about 0.33 s.
            self.assertGreater(elapsed, 0.7, f"10 checks in {elapsed:.2f}s")

    def test_unhealthy_target_gets_no_traffic_until_it_recovers(self):
        port, t = self.start()
        with t:
            admin = Admin(t)
            set_health(self.b, 503)
            wait_until(lambda: target_health(admin, "pair")[0][self.b.address] == "unhealthy",
                       timeout=10)
            self.assertEqual(set(self.servers(port, "/checked", 40)), {"a"})
            set_health(self.b, 200)
            wait_until(lambda: target_health(admin, "pair")[0][self.b.address] == "healthy",
                       timeout=10)
            self.assertEqual(set(self.servers(port, "/checked", 40)), {"a", "b"})

    def test_every_target_unhealthy_means_panic_not_nothing(self):
        port, t = self.start()
        with t:
            admin = Admin(t)
            set_health(self.a, 500)
            set_health(self.b, 500)
            wait_until(lambda: target_health(admin, "pair")[1], timeout=10)
            self.assertEqual(set(self.servers(port, "/checked", 40)), {"a", "b"})

    def test_a_killed_target_costs_no_failed_get(self):
        port, t = self.start(workers=1)
        with t:
            self.assertEqual(set(self.servers(port, "/", 10)), {"a", "b"})
            self.b.stop()
            failures = 0
            for _ in range(200):
                status, _, _ = request(port, "GET", "/")
                failures += status != 200
            self.assertEqual(failures, 0)
            self.assertIn("target ejected", t.log_text())
            # Once ejected, the dead target is not even tried: no more connect
            # failures are logged for it.
            connects = t.log_text().count("upstream connect failed")
            for _ in range(50):
                self.assertEqual(request(port, "GET", "/")[0], 200)
            self.assertEqual(t.log_text().count("upstream connect failed"), connects)

    def test_a_get_reset_by_the_upstream_goes_to_the_other_target_once(self):
        port, t = self.start(workers=1)
        with t:
            before = proxied(self.a, self.b)
            status, headers, _ = request(port, "GET", "/?reset=1")
            self.assertEqual(status, 502)
            self.assertEqual(headers["turnout-error"], "upstream_reset")
            after = proxied(self.a, self.b)
            # Two stats requests, and the GET on each target (retries: 1).
            self.assertEqual(after - before, 4)

    def test_a_put_body_is_replayed_to_the_other_target_only_when_small(self):
        port, t = self.start(workers=1)
        with t:
            before = proxied(self.a, self.b)
            self.assertEqual(request(port, "PUT", "/?reset=1", body=b"x" * 1024)[0], 502)
            # Two stats requests, and the PUT on each target, its 1 KB replayed.
            self.assertEqual(proxied(self.a, self.b) - before, 4)
            before = proxied(self.a, self.b)
            self.assertEqual(request(port, "PUT", "/?reset=1", body=b"x" * 100_000)[0], 502)
            # Over 64 KiB: not kept, so not sent again.
            self.assertEqual(proxied(self.a, self.b) - before, 3)
            # The replayed body arrives intact: PUTs that reach a first are
            # reset there and sent again to b, whose hash must match.
            body = bytes(range(256)) * 40
            a_before = proxied(self.a)
            for _ in range(4):
                status, _, answer = request(port, "PUT", "/?reset_on=a", body=body)
                self.assertEqual(status, 200)
                report = json.loads(answer)
                self.assertEqual(report["server"], "b")
                self.assertEqual(report["body_sha256"], hashlib.sha256(body).hexdigest())
            # Round robin sent some of them to a first (less its stats call).
            self.assertGreaterEqual(proxied(self.a) - a_before - 1, 1)

    def test_a_post_reset_by_the_upstream_is_not_sent_again(self):
        port, t = self.start(workers=1)
        with t:
            before = proxied(self.a, self.b)
            status, _, _ = request(port, "POST", "/?reset=1", body=b"x" * 100)
            self.assertEqual(status, 502)
            after = proxied(self.a, self.b)
            # Two stats requests plus the POST, once.
            self.assertEqual(after - before, 3)


if __name__ == "__main__":
    unittest.main()

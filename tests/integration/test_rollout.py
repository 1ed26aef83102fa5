"""Rollouts end to end (SPEC §7): a healthy canary is stepped up and
promoted; one answering 50% 500s is rolled back by itself, with the reason."""

import threading
import unittest

from admin_client import Admin
from harness import (BackendsTestCase, Turnout, free_port, get_json, render, request, wait_until)

CONFIG = """\
workers: 2
listeners:
  - { name: web, address: 127.0.0.1:${port} }
upstreams:
  v1: { targets: [${a}] }
  v2: { targets: [${b}] }
routes:
  - { name: app, match: { path_prefix: / }, upstream: v1 }
"""


class Traffic:
    """Requests in a loop on a background thread until stopped; `path_of(i)`
    picks each one's path."""

    def __init__(self, port, path_of=lambda i: "/"):
        self.port, self.path_of = port, path_of
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run)

    def run(self):
        i = 0
        while not self.stopped.is_set():
            request(self.port, "GET", self.path_of(i))
            i += 1

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join()


class RolloutTest(BackendsTestCase):
    backend_names = ("a", "b")

    def start(self):
        port = free_port()
        t = Turnout(render(CONFIG, port=port, a=self.a.address, b=self.b.address))
        self.turnouts = (t,)
        return port, t

    def rollout(self, admin):
        response = admin.request("GET", "/v1/rollouts/app")
        self.assertEqual(response.status, 200, response)
        return response.json()

    def test_a_healthy_canary_is_promoted(self):
        port, t = self.start()
        with t:
            admin = Admin(t)
            spec = {"route": "app", "to": "v2", "steps": [20, 50, 100], "interval": "500ms",
                    "min_requests": 5, "max_p99": "2s"}
            with Traffic(port):
                started = admin.request("POST", "/v1/rollouts", body=spec)
                self.assertEqual(started.status, 201, started)
                self.assertEqual(started.json()["weight"], 20)
                wait_until(lambda: self.rollout(admin)["state"] == "promoted", timeout=20,
                           message="the canary was not promoted")
            self.assertEqual({get_json(port, "/")["server"] for _ in range(20)}, {"b"})
            history = admin.request("GET", "/v1/config/history").json()["versions"]
            self.assertGreaterEqual(sum(v["source"] == "rollout" for v in history), 3)
            metrics = admin.request("GET", "/v1/metrics").body
            self.assertIn('turnout_rollout_weight{route="app",upstream="v2"} 100', metrics)

    def test_a_failing_canary_is_rolled_back_with_its_reason(self):
        port, t = self.start()
        with t:
            admin = Admin(t)
            spec = {"route": "app", "to": "v2", "steps": [50, 100], "interval": "500ms",
                    "min_requests": 5}
            # Half of all requests ask for a 500: the canary's error rate is 50%.
            with Traffic(port, lambda i: "/?status=500" if i % 2 else "/"):
                self.assertEqual(admin.request("POST", "/v1/rollouts", body=spec).status, 201)
                wait_until(lambda: self.rollout(admin)["state"] == "rolled_back", timeout=20,
                           message="the failing canary was not rolled back")
            rollout = self.rollout(admin)
            self.assertEqual(rollout["weight"], 0)
            self.assertIn("error rate", rollout["reason"])
            before = self.b.stats()["requests"]
            self.assertEqual({get_json(port, "/")["server"] for _ in range(20)}, {"a"})
            self.assertEqual(self.b.stats()["requests"], before + 1)  # only the stats call
            refused = admin.request("POST", "/v1/rollouts/app/promote")
            self.assertEqual(refused.status, 409, refused)


if __name__ == "__main__":
    unittest.main()

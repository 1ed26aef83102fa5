"""Rollouts end to end (SPEC §7): a healthy canary is stepped up and
promoted; one answering 50% 500s is rolled back by itself, with the reason;
one that fails only in the last moments of an interval is rolled back at
that interval's end; a rollout goes on from its step after a master
restart; pause, resume, promote and abort act at once."""

import re
import shutil
import tempfile
import threading
import time
import unittest

from admin_client import Admin
from harness import (BackendsTestCase, Turnout, free_port, get_json, render, request, wait_until)


def servers(port, count):
    """How many of `count` requests each upstream's echo backend answered."""
    seen = {}
    for _ in range(count):
        server = get_json(port, "/")["server"]
        seen[server] = seen.get(server, 0) + 1
    return seen

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

    def config(self, port):
        return render(CONFIG, port=port, a=self.a.address, b=self.b.address)

    def start(self):
        port = free_port()
        t = Turnout(self.config(port))
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

    def test_a_rollout_goes_on_after_a_master_restart(self):
        port = free_port()
        directory = tempfile.mkdtemp(prefix="turnout-rollout-restart-")
        self.addCleanup(shutil.rmtree, directory, ignore_errors=True)
        # min_requests is above what the 100-request split count after the
        # restart sends to v2 (~60), so that count can never step it.
        spec = {"route": "app", "to": "v2", "steps": [40, 60, 100], "interval": "2s",
                "min_requests": 80, "max_p99": "2s"}
        with Turnout(self.config(port), directory=directory) as first:
            self.turnouts = (first,)
            admin = Admin(first)
            started = admin.request("POST", "/v1/rollouts", body=spec)
            self.assertEqual(started.status, 201, started)
            self.assertEqual(started.json()["weight"], 40)

            # Traffic only early in an interval: the master reads the
            # workers' counts once a second, so none of it can spill into
            # the 60% interval and step that one too before the stop.
            def at_second_step():
                rollout = self.rollout(admin)
                if rollout["weight"] != 40:
                    return rollout
                if (rollout["deadline_in_ms"] or 0) > 1200:
                    for _ in range(40):
                        request(port, "GET", "/")
                return None

            before = wait_until(at_second_step, timeout=30,
                                message="the rollout did not reach its second step")
            self.assertEqual((before["weight"], before["step"]), (60, 1), before)
            self.assertIn(before["state"], ("stepping", "holding"), before)
            version = admin.version()
            self.assertEqual(first.stop(), 0, "turnout did not stop gracefully on SIGTERM")

        with Turnout(self.config(port), directory=directory) as second:
            self.turnouts = (second,)
            admin = Admin(second)
            after = self.rollout(admin)
            self.assertEqual((after["weight"], after["step"]), (60, 1), after)
            self.assertIn(after["state"], ("stepping", "holding"), after)
            self.assertEqual(admin.version(), version, "the restart served another version")
            self.assertEqual({s["upstream"]: s["weight"] for s in after["split"]},
                             {"v1": 40, "v2": 60})
            # The live split matches the step.
            seen = servers(port, 100)
            self.assertEqual(set(seen), {"a", "b"}, seen)
            self.assertTrue(45 <= seen["b"] <= 75, f"a 60% split measured as {seen}")
            self.assertEqual(self.rollout(admin)["weight"], 60)
            with Traffic(port):
                wait_until(lambda: self.rollout(admin)["state"] == "promoted", timeout=20,
                           message="the restored rollout was not promoted")
            rollout = self.rollout(admin)
            self.assertEqual(rollout["weight"], 100)
            self.assertEqual(servers(port, 20), {"b": 20})
            # The transitions from before the restart are kept (a slow first
            # interval may add a "holding" one at 40 between them).
            weights = [t["weight"] for t in rollout["transitions"]]
            steps = [w for i, w in enumerate(weights) if i == 0 or w != weights[i - 1]]
            self.assertEqual(steps[:2], [40, 60], rollout["transitions"])

    def test_pause_resume_promote_abort_act_at_once(self):
        port, t = self.start()
        with t:
            admin = Admin(t)
            interval = 1.0
            spec = {"route": "app", "to": "v2", "steps": [20, 50, 100], "interval": "1s",
                    "min_requests": 1, "max_p99": "2s"}
            started = admin.request("POST", "/v1/rollouts", body=spec)
            self.assertEqual(started.status, 201, started)
            paused = admin.request("POST", "/v1/rollouts/app/pause")
            self.assertEqual(paused.status, 200, paused)
            # No traffic before the pause, so it could only have held at 20%.
            self.assertEqual((paused.json()["state"], paused.json()["weight"]), ("paused", 20))
            self.assertIsNone(paused.json()["deadline_in_ms"])
            self.assertEqual(admin.request("POST", "/v1/rollouts/app/pause").status, 409)

            # Paused, three intervals of traffic that would have stepped it
            # twice: it stays at 20%.
            b_before = self.b.stats()["requests"]
            end = time.monotonic() + 3 * interval
            with Traffic(port):
                while time.monotonic() < end:
                    rollout = self.rollout(admin)
                    self.assertEqual((rollout["state"], rollout["weight"]), ("paused", 20), rollout)
                    time.sleep(0.05)
            self.assertGreater(self.b.stats()["requests"] - b_before, 3,
                               "the canary got no traffic while paused")
            self.assertEqual(self.rollout(admin)["weight"], 20)

            resumed = admin.request("POST", "/v1/rollouts/app/resume")
            self.assertEqual(resumed.status, 200, resumed)
            self.assertEqual((resumed.json()["state"], resumed.json()["weight"]), ("stepping", 20))
            self.assertIsNotNone(resumed.json()["deadline_in_ms"])
            self.assertEqual(admin.request("POST", "/v1/rollouts/app/resume").status, 409)

            promoted = admin.request("POST", "/v1/rollouts/app/promote")
            self.assertEqual(promoted.status, 200, promoted)
            self.assertEqual((promoted.json()["state"], promoted.json()["weight"]),
                             ("promoted", 100))
            # At once: the answer comes after every worker serves it.
            self.assertEqual(servers(port, 20), {"b": 20})
            self.assertEqual(admin.request("POST", "/v1/rollouts/app/abort").status, 409)

            # Back to v1, then a second rollout, aborted at its first step.
            reset = admin.request("PUT", "/v1/routes/app/split", body={"v1": 100, "v2": 0})
            self.assertEqual(reset.status, 200, reset)
            spec = {"route": "app", "to": "v2", "steps": [50, 100], "interval": "10m"}
            second = admin.request("POST", "/v1/rollouts", body=spec)
            self.assertEqual(second.status, 201, second)
            self.assertEqual(second.json()["weight"], 50)
            self.assertEqual(set(servers(port, 40)), {"a", "b"})
            aborted = admin.request("POST", "/v1/rollouts/app/abort")
            self.assertEqual(aborted.status, 200, aborted)
            self.assertEqual((aborted.json()["state"], aborted.json()["weight"]), ("aborted", 0))
            b_before = self.b.stats()["requests"]
            self.assertEqual(servers(port, 20), {"a": 20})
            self.assertEqual(self.b.stats()["requests"], b_before + 1)  # only the stats call
            self.assertEqual(self.rollout(admin)["state"], "aborted")


    def test_manual_changes_to_a_rolling_route_are_refused(self):
        port, t = self.start()
        with t:
            admin = Admin(t)
            spec = {"route": "app", "to": "v2", "steps": [10, 100], "interval": "1h"}
            self.assertEqual(admin.request("POST", "/v1/rollouts", body=spec).status, 201)
            version = admin.version()
            split = admin.request("PUT", "/v1/routes/app/split", body={"v1": 50, "v2": 50})
            self.assertEqual(split.status, 409, split)
            self.assertIn("rollout in progress", split.json()["error"])
            route = {"match": {"path_prefix": "/"}, "upstream": "v1"}
            self.assertEqual(admin.request("PUT", "/v1/routes/app", body=route).status, 409)
            self.assertEqual(admin.request("DELETE", "/v1/routes/app").status, 409)
            self.assertEqual(admin.version(), version)
            self.assertEqual(admin.request("POST", "/v1/rollouts/app/abort").status, 200)
            split = admin.request("PUT", "/v1/routes/app/split", body={"v1": 50, "v2": 50})
            self.assertEqual(split.status, 200, split)


PROBE_CONFIG = CONFIG + """\
  - { name: probe, match: { path_prefix: /probe }, upstream: v1 }
"""


class IntervalEndTest(BackendsTestCase):
    """An interval is judged on counters the workers collect after it ends,
    not on the last once-a-second poll: failures in the interval's last
    moments roll the canary back at that interval's end.

    The master polls the workers' counters once a second. A request to the
    `probe` route (outside the rollout) shows in /v1/metrics once a poll
    sent no earlier than it has been answered; so failures sent after a
    probe that was sent less than a second before the interval's end come
    after the last poll of the interval. A judgement that used the poll's
    counters would see none of them."""

    backend_names = ("a", "b")
    interval_ms = 2500
    # Attempts at placing the failures in the interval's last second; one
    # misses only when the machine is too loaded to send them in time.
    attempts = 3

    def probes_counted(self, admin):
        metrics = admin.request("GET", "/v1/metrics").body
        found = re.search(r'turnout_requests_total\{route="probe",upstream="v1",code="200"\} (\d+)',
                          metrics)
        return int(found.group(1)) if found else 0

    def wait_for_a_poll(self, admin, port):
        """Returns once the master holds counters a worker sent after a
        request made now."""
        before = self.probes_counted(admin)
        self.assertEqual(request(port, "GET", "/probe")[0], 200)
        wait_until(lambda: self.probes_counted(admin) > before, timeout=5, interval=0.005,
                   message="a probe request never showed in /v1/metrics")

    def rollout(self, admin):
        response = admin.request("GET", "/v1/rollouts/app")
        self.assertEqual(response.status, 200, response)
        return response.json()

    def fail_in_the_last_second(self, admin, port):
        """Starts a rollout and sends the canary its failures after the
        interval's last poll and before its end. Returns how many reached the
        canary, or None when they could not be placed so."""
        spec = {"route": "app", "to": "v2", "steps": [50, 100],
                "interval": f"{self.interval_ms}ms", "min_requests": 1, "max_error_rate": 0.1,
                "max_p99": "10s"}
        # Started just after a poll: the interval's last poll comes about
        # half a second before its end, time enough to send the failures.
        self.wait_for_a_poll(admin, port)
        started = admin.request("POST", "/v1/rollouts", body=spec)
        self.assertEqual(started.status, 201, started)
        wait_until(lambda: (self.rollout(admin)["deadline_in_ms"] or 0) <= 900, timeout=10,
                   interval=0.01, message="the interval did not come near its end")
        self.wait_for_a_poll(admin, port)
        before = self.b.stats()["requests"]
        for _ in range(20):
            self.assertEqual(request(port, "GET", "/?status=500")[0], 500)
        sent = self.b.stats()["requests"] - before - 1  # less the second stats call
        rollout = self.rollout(admin)
        if (rollout["state"], rollout["weight"]) == ("stepping", 50) and rollout["deadline_in_ms"]:
            return sent
        if rollout["state"] in ("stepping", "holding"):
            # 409: it was judged (and ended) in between.
            self.assertIn(admin.request("POST", "/v1/rollouts/app/abort").status, (200, 409))
        return None

    def test_failures_just_before_an_interval_ends_are_judged_in_it(self):
        port = free_port()
        t = Turnout(render(PROBE_CONFIG, port=port, a=self.a.address, b=self.b.address))
        self.turnouts = (t,)
        with t:
            admin = Admin(t)
            for _ in range(self.attempts):
                sent = self.fail_in_the_last_second(admin, port)
                if sent is not None:
                    break
            self.assertIsNotNone(sent, "the failures never fell in an interval's last second")
            self.assertGreater(sent, 0, "no failing request reached the canary")

            def judged_once():
                rollout = self.rollout(admin)
                return rollout if len(rollout["transitions"]) > 1 else None

            judged = wait_until(judged_once, timeout=10, message="the interval was not judged")
            first = judged["transitions"][1]
            self.assertEqual((first["from"], first["to"], first["weight"]),
                             ("stepping", "rolled_back", 0),
                             f"the interval was judged on counters from before its failures: "
                             f"{judged['transitions']}")
            self.assertIn(f"over {sent} requests", first["reason"])


if __name__ == "__main__":
    unittest.main()

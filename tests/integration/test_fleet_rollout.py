"""Fleet rollouts (docs/SPEC.md, "Fleet rollouts"): a real etcd, three
turnout nodes with their own listeners, real backends (a: stable, b: the
canary), traffic on every node, and `turnout fleet rollout` from the nodes'
CLIs. Intervals are a second so the whole module stays short."""

import http.client
import json
import os
import signal
import subprocess
import threading
import unittest

from fleet_helpers import PREFIX, FleetTestCase, served_by, wait_revision
from harness import free_port, turnout_bin, wait_until

NODES = 3


class Traffic:
    """One thread per node sending GET / (route main) to its own listener
    until stopped, on keep-alive connections; `failing` nodes ask the
    canary to reset (`reset_on=b`), so only their canary traffic fails.
    Bounded: each thread stops after 60 s whatever happens."""

    def __init__(self, ports, failing=()):
        self.stop_event = threading.Event()
        self.counts = {port: 0 for port in ports}
        self.threads = [threading.Thread(target=self._run, args=(port, port in failing), daemon=True)
                        for port in ports]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout=10)
        return False

    def _run(self, port, failing):
        path = "/?reset_on=b" if failing else "/"
        conn = None
        while not self.stop_event.wait(0.005) and not self.stop_event.is_set():
            try:
                conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", path)
                conn.getresponse().read()
                self.counts[port] += 1
            except (OSError, http.client.HTTPException):
                if conn:
                    conn.close()
                conn = None
                self.stop_event.wait(0.05)
        if conn:
            conn.close()


class FleetRolloutTest(FleetTestCase):

    def setUp(self):
        super().setUp()
        self.ports = [free_port() for _ in range(NODES)]
        self.nodes = [self.enterContext(self.node(node=f"edge-{i}", listen=port))
                      for i, port in enumerate(self.ports)]
        for t in self.nodes:
            wait_revision(t, self.revision)
        wait_until(lambda: self.etcd.get(PREFIX + "leader"), timeout=15, message="no leader elected")

    def cli(self, node, *args):
        return subprocess.run([turnout_bin(), "fleet", "rollout", *args, "-c", self.nodes[node].config_path],
                              capture_output=True, text=True, timeout=30)

    def start(self, *extra, node=0):
        result = self.cli(node, "start", "main", "--to", "b", "--json", *extra)
        self.assertEqual(result.returncode, 0, result.stderr)
        return json.loads(result.stdout)

    def stored(self):
        value = self.etcd.get(PREFIX + "rollouts/main")
        return json.loads(value) if value else None

    def wait_state(self, state, timeout=30):
        wait_until(lambda: (self.stored() or {}).get("state") == state, timeout=timeout,
                   message=f"the rollout did not reach {state}: {self.stored()}")
        return self.stored()

    def assert_every_node_serves(self, upstream, requests=10):
        for port in self.ports:
            wait_until(lambda: all(served_by(port) == upstream for _ in range(requests)), timeout=10,
                       message=f"the node on port {port} does not send everything to {upstream}")

    def stepped_weights(self, rollout):
        return [t["weight"] for t in rollout["transitions"] if t["to"] in ("stepping", "promoted")]

    def test_a_healthy_canary_is_promoted_through_every_step_with_traffic_on_all_nodes(self):
        with Traffic(self.ports) as traffic:
            started = self.start("--steps", "25,50,100", "--interval", "1s", "--min-requests", "20")
            self.assertEqual((started["state"], started["weight"]), ("stepping", 25))
            rollout = self.wait_state("promoted")
        self.assertEqual(self.stepped_weights(rollout), [25, 50, 100])
        self.assertTrue(all(count > 0 for count in traffic.counts.values()), traffic.counts)
        for i in range(NODES):
            report = json.loads(self.etcd.get(f"{PREFIX}nodes/edge-{i}/rollouts/main"))
            self.assertGreater(report["counted_under"], 0, report)
        self.assert_every_node_serves("b")

    def test_a_canary_failing_on_one_nodes_traffic_is_caught_by_the_sum_and_rolled_back_everywhere(self):
        # Alone, edge-1 and edge-2 see a healthy canary; edge-0's canary
        # requests all fail, a third of the fleet's canary traffic.
        with Traffic(self.ports, failing=(self.ports[0],)):
            self.start("--steps", "50,100", "--interval", "2s", "--min-requests", "30",
                       "--max-error-rate", "0.1")
            rollout = self.wait_state("rolled_back")
        self.assertEqual(rollout["weight"], 0)
        self.assertIn("error rate", rollout["reason"])
        self.assert_every_node_serves("a")

    def test_the_leader_killed_mid_rollout_another_continues_from_the_same_step(self):
        leader = self.etcd.get(PREFIX + "leader")
        index = int(leader.split("-")[1])
        others = [port for i, port in enumerate(self.ports) if i != index]
        with Traffic(others):
            self.start("--steps", "20,40,60,80,100", "--interval", "1s", "--min-requests", "5",
                       node=(index + 1) % NODES)
            wait_until(lambda: (self.stored() or {}).get("weight", 0) >= 40, timeout=20,
                       message=f"the rollout did not reach 40%: {self.stored()}")
            os.kill(self.nodes[index].pid, signal.SIGKILL)
            wait_until(lambda: self.etcd.get(PREFIX + "leader") not in (None, leader), timeout=15,
                       message="no other node took over")
            rollout = self.wait_state("promoted", timeout=40)
        weights = self.stepped_weights(rollout)
        self.assertEqual(sorted(set(weights)), [20, 40, 60, 80, 100], weights)
        self.assertEqual(weights, sorted(weights), "a step was repeated or went back")
        self.assertNotEqual(rollout["leader"], leader)

    def test_a_node_that_does_not_serve_a_step_holds_the_rollout_named_in_status(self):
        leader = self.etcd.get(PREFIX + "leader")
        stuck = next(i for i in range(NODES) if f"edge-{i}" != leader)
        os.kill(self.nodes[stuck].pid, signal.SIGSTOP)
        try:
            self.start("--steps", "50,100", "--interval", "1s", "--min-requests", "0",
                       node=(stuck + 1) % NODES)
            rollout = self.wait_state("holding", timeout=8)
            self.assertEqual(rollout["behind"], [f"edge-{stuck}"])
            status = self.cli((stuck + 1) % NODES, "status", "main")
            self.assertEqual(status.returncode, 0, status.stderr)
            self.assertIn(f"behind: edge-{stuck}", status.stdout)
        finally:
            os.kill(self.nodes[stuck].pid, signal.SIGCONT)
        rollout = self.wait_state("promoted", timeout=20)
        self.assertEqual(rollout["behind"], [])

    def test_pause_resume_promote_abort_from_any_nodes_cli(self):
        self.start("--steps", "10,50,100", "--interval", "30s", node=0)
        paused = self.cli(1, "pause", "main", "--json")
        self.assertEqual(paused.returncode, 0, paused.stderr)
        self.assertEqual(json.loads(paused.stdout)["state"], "paused")
        again = self.cli(2, "pause", "main")
        self.assertEqual(again.returncode, 1)
        self.assertIn("already paused", again.stderr)
        resumed = self.cli(2, "resume", "main", "--json")
        self.assertEqual(json.loads(resumed.stdout)["state"], "stepping")
        second = self.cli(1, "start", "main", "--to", "b")
        self.assertEqual(second.returncode, 1)
        self.assertIn("already has a fleet rollout", second.stderr)

        aborted = self.cli(0, "abort", "main", "--json")
        self.assertEqual(aborted.returncode, 0, aborted.stderr)
        self.assertEqual(json.loads(aborted.stdout)["weight"], 0)
        self.assert_every_node_serves("a")

        self.start("--steps", "10,50,100", "--interval", "30s", node=2)
        promoted = self.cli(1, "promote", "main", "--json")
        self.assertEqual(promoted.returncode, 0, promoted.stderr)
        self.assertEqual(json.loads(promoted.stdout)["state"], "promoted")
        self.assert_every_node_serves("b")

        unknown = self.cli(0, "status", "nowhere")
        self.assertEqual(unknown.returncode, 1)
        self.assertIn("no fleet rollout for route nowhere", unknown.stderr)


if __name__ == "__main__":
    unittest.main()

"""Fleet mode under faults (docs/SPEC.md, "Fleet configuration from etcd"):
etcd killed under load, a node restarted while etcd is down, a compaction
while a node was away, a burst of writers, and a one-route change beside
open keep-alive and WebSocket connections."""

import os
import random
import signal
import socket
import tempfile
import threading
import unittest

from admin_client import Admin
from etcd_harness import Etcd
from fleet_helpers import (PREFIX, FleetTestCase, etcd_status, fleet_keys, served_by, start_node,
                           wait_revision)
from harness import BackendsTestCase, RawConnection, free_port, wait_until
from websocket_helpers import TEXT, WebSocketClient, WebSocketEchoBackend

ROUTE_TO_B = "match: { path_prefix: / }\nupstream: b\n"


class Load:
    """Requests to `port` from one thread until stopped; counts failures."""

    def __init__(self, port):
        self.port = port
        self.done = 0
        self.failures = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            if served_by(self.port, "/a/load") == "a":
                self.done += 1
            else:
                self.failures.append(self.done)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)
        return False


class FleetFaultsTest(FleetTestCase):

    def test_etcd_killed_and_restarted_under_load(self):
        with self.node() as t:
            wait_until(lambda: served_by(self.port) == "a")
            with Load(self.port) as load:
                self.kill_etcd_under_load(t, load)
            self.assertEqual(load.failures, [], "requests failed while etcd was away")

    def kill_etcd_under_load(self, t, load):
        wait_until(lambda: load.done > 20)
        self.etcd.kill()
        wait_until(lambda: not etcd_status(t)["connected"], message="the node did not notice")
        served = load.done
        wait_until(lambda: load.done > served + 50, message="serving stopped with etcd")
        self.etcd.start()
        revision = self.etcd.put(PREFIX + "routes/main", ROUTE_TO_B)
        wait_revision(t, revision, timeout=15)
        self.assertEqual(served_by(self.port), "b")
        self.assertTrue(etcd_status(t)["connected"])
        self.assertEqual(t.proc.poll(), None)

    def test_a_node_restarted_while_etcd_is_down_serves_its_last_good_version(self):
        with tempfile.TemporaryDirectory(prefix="turnout-fleet-") as directory:
            with self.node(directory=directory) as t:
                wait_revision(t, self.revision)
            self.etcd.kill()
            with self.node(directory=directory) as t:
                wait_until(lambda: served_by(self.port) == "a",
                           message="the last known good version is not served")
                self.assertFalse(etcd_status(t)["connected"])
                self.etcd.start()
                revision = self.etcd.put(PREFIX + "routes/main", ROUTE_TO_B)
                wait_revision(t, revision, timeout=15)
                self.assertEqual(served_by(self.port), "b")

    def test_a_compaction_while_the_node_was_away_is_caught_up_by_reading_again(self):
        with self.node() as t:
            wait_revision(t, self.revision)
            # The master stops (its workers serve on); etcd restarts under
            # it, so its watch must be made again, from a revision that the
            # compaction below removes.
            os.kill(t.pid, signal.SIGSTOP)
            try:
                self.etcd.kill()
                self.etcd.start()
                self.etcd.put(PREFIX + "routes/main", ROUTE_TO_B)
                self.etcd.delete(PREFIX + "routes/a")
                revision = self.etcd.put(PREFIX + "upstreams/c", f"targets: [{self.a.address}]\n")
                self.etcd.compact(revision)
            finally:
                os.kill(t.pid, signal.SIGCONT)
            wait_revision(t, revision, timeout=15)
            self.assertEqual(served_by(self.port), "b")
            self.assertEqual(served_by(self.port, "/a/x"), "b", "the deleted route is still served")
            self.assertIn("compacted", t.log_text())

    def test_a_burst_of_writers_leaves_every_node_with_what_etcd_holds(self):
        ports = [free_port(), free_port()]
        nodes = [self.node(node=f"edge-{i}", listen=port) for i, port in enumerate(ports)]
        with nodes[0], nodes[1]:
            for t in nodes:
                wait_revision(t, self.revision)
            revisions = []
            lock = threading.Lock()

            def writer(seed):
                rng = random.Random(seed)
                for step in range(250):
                    key = f"{PREFIX}routes/r{rng.randrange(100):02d}"
                    if rng.random() < 0.3:
                        revision = self.etcd.delete(key)
                    else:
                        upstream = rng.choice("ab")
                        revision = self.etcd.put(key, f"match: {{ path_prefix: /r/{seed}/{step}/ }}\n"
                                                      f"upstream: {upstream}\n")
                    with lock:
                        revisions.append(revision)

            threads = [threading.Thread(target=writer, args=(seed,)) for seed in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            self.assertEqual(len(revisions), 1000)
            routes = {k: v for k, v in self.etcd.get_prefix(PREFIX + "routes/").items()}
            for t in nodes:
                wait_revision(t, max(revisions), timeout=30)
                served = Admin(t).request("GET", "/v1/config").body
                for key, value in routes.items():
                    prefix = value.split("path_prefix: ")[1].split(" ")[0]
                    self.assertIn(prefix, served, f"{key} is not served as etcd holds it")
                served_routes = [line for line in served.splitlines() if "path_prefix: /r/" in line]
                self.assertEqual(len(served_routes), len([k for k in routes if "/routes/r" in k]))


class FleetConnectionsTest(BackendsTestCase):
    backend_names = ("a", "b")

    def test_a_one_route_change_keeps_open_connections_on_other_routes(self):
        with Etcd() as etcd, WebSocketEchoBackend() as ws:
            port = free_port()
            keys = fleet_keys(port, {"a": self.a, "b": self.b})
            keys[PREFIX + "upstreams/ws"] = f"targets: [{ws.address}]\n"
            keys[PREFIX + "routes/ws"] = "match: { path_prefix: /ws/ }\nupstream: ws\n"
            etcd.txn(puts=keys)
            t = start_node(etcd)
            self.turnouts = (t,)
            with t:
                wait_until(lambda: served_by(port) == "a")
                self.change_beside_open_connections(etcd, t, port)

    def change_beside_open_connections(self, etcd, t, port):
        with RawConnection(port) as keepalive, socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            request = b"GET /a/1 HTTP/1.1\r\nHost: x\r\n\r\n"
            self.assertEqual(keepalive.request(request).json()["server"], "a")
            client = WebSocketClient(sock)
            status, _ = client.handshake("/ws/chat")
            self.assertIn(" 101 ", status)
            revision = etcd.put(PREFIX + "routes/main", ROUTE_TO_B)
            wait_revision(t, revision)
            wait_until(lambda: served_by(port) == "b")
            self.assertEqual(keepalive.request(request).json()["server"], "a",
                             "the keep-alive connection did not survive the change")
            client.send(b"still here")
            self.assertEqual(client.receive(), (TEXT, b"still here"))


if __name__ == "__main__":
    unittest.main()

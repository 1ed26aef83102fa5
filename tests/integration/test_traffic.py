"""Traffic shaping through the real binary (SPEC §3 balance, §7 sticky
splits): a growing canary never loses a sticky client, and hash balancing
keeps a key on one target."""

import collections
import unittest

from admin_client import Admin
from harness import EchoBackend, Turnout, TurnoutTestCase, free_port, get_json, render

CONFIG = """\
workers: 2
listeners:
  - { name: web, address: 127.0.0.1:${port} }
upstreams:
  v1: { targets: [${a}] }
  v2: { targets: [${b}] }
  ring: { targets: [${a}, ${b}, ${c}], balance: hash, hash_key: "header:X-User" }
routes:
  - name: app
    match: { path_prefix: /app }
    split: [ { upstream: v1, weight: 90 }, { upstream: v2, weight: 10 } ]
    sticky: cookie:session
  - { name: ring, match: { path_prefix: /ring }, upstream: ring }
"""


class TrafficTest(TurnoutTestCase):
    @classmethod
    def setUpClass(cls):
        cls.backends = [EchoBackend(name).__enter__() for name in ("a", "b", "c")]

    @classmethod
    def tearDownClass(cls):
        for backend in cls.backends:
            backend.__exit__(None, None, None)

    def start(self):
        a, b, c = self.backends
        port = free_port()
        t = Turnout(render(CONFIG, port=port, a=a.address, b=b.address, c=c.address))
        self.turnouts = (t,)
        return port, t

    def test_a_growing_canary_keeps_every_sticky_client(self):
        port, t = self.start()
        with t:
            admin = Admin(t)
            clients = [f"client-{i}" for i in range(300)]
            on_canary = set()
            for weight in (10, 30, 60, 90):
                response = admin.request("PUT", "/v1/routes/app/split",
                                         body={"v1": 100 - weight, "v2": weight})
                self.assertEqual(response.status, 200, response)
                now = {c for c in clients
                       if get_json(port, "/app", headers={"Cookie": f"session={c}"})["server"] == "b"}
                self.assertTrue(on_canary <= now, f"left the canary at {weight}%: {on_canary - now}")
                self.assertAlmostEqual(len(now) / len(clients), weight / 100, delta=0.08)
                on_canary = now
            # A client is sticky on every request, not only the first.
            for c in clients[:20]:
                servers = {get_json(port, "/app", headers={"Cookie": f"session={c}"})["server"]
                           for _ in range(3)}
                self.assertEqual(len(servers), 1)

    def test_hash_balancing_keeps_a_user_on_one_target(self):
        port, t = self.start()
        with t:
            seen = collections.defaultdict(set)
            for user in range(60):
                for _ in range(3):
                    server = get_json(port, "/ring", headers={"X-User": f"user-{user}"})["server"]
                    seen[user].add(server)
            self.assertTrue(all(len(servers) == 1 for servers in seen.values()))
            spread = collections.Counter(next(iter(s)) for s in seen.values())
            self.assertEqual(set(spread), {"a", "b", "c"})


if __name__ == "__main__":
    unittest.main()

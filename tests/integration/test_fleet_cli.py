"""`turnout fleet apply|get|split|status` against a real etcd (docs/SPEC.md,
"Fleet configuration from etcd")."""

import json
import os
import subprocess
import tempfile
import unittest

from etcd_harness import Etcd
from fleet_helpers import bootstrap, node_report, served_by, start_node, wait_revision
from harness import BackendsTestCase, free_port, render, turnout_bin, wait_until

CONFIG = """\
listeners:
  - { name: web, address: 127.0.0.1:${port} }
limits: { idle_timeout: 30s }
upstreams:
  a: { targets: [${a}] }
  b: { targets: [${b}] }
routes:
  - { name: main, match: { path_prefix: / }, upstream: a }
  - { name: old, match: { path_prefix: /old/ }, upstream: b }
"""


class FleetCliTest(BackendsTestCase):
    backend_names = ("a", "b")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.etcd = cls.enterClassContext(Etcd())

    def setUp(self):
        self.dir = self.enterContext(tempfile.TemporaryDirectory(prefix="turnout-fleet-cli-"))
        self.prefix = f"/cli/{self._testMethodName}/"
        self.port = free_port()
        self.config = self.write("fleet.yaml", render(CONFIG, port=self.port, a=self.a.address, b=self.b.address))

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def fleet(self, *args):
        return subprocess.run([turnout_bin(), "fleet", *args, "--etcd", self.etcd.url, "--prefix", self.prefix],
                              capture_output=True, text=True, timeout=30)

    def test_apply_stores_one_key_per_object_and_deletes_what_left(self):
        first = self.fleet("apply", "-f", self.config)
        self.assertEqual(first.returncode, 0, first.stderr)
        keys = self.etcd.get_prefix(self.prefix)
        self.assertEqual(sorted(k[len(self.prefix):] for k in keys),
                         ["listeners/web", "routes/main", "routes/old", "settings", "upstreams/a", "upstreams/b"])
        self.assertEqual(int(first.stdout), self.etcd.revision())
        with open(self.config) as f:
            smaller = f.read().replace("  - { name: old, match: { path_prefix: /old/ }, upstream: b }\n", "")
        second = self.fleet("apply", "-f", self.write("smaller.yaml", smaller))
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertNotIn(self.prefix + "routes/old", self.etcd.get_prefix(self.prefix))

    def test_apply_if_revision_refuses_when_something_changed_since(self):
        revision = int(self.fleet("apply", "-f", self.config).stdout)
        self.etcd.put(self.prefix + "routes/main", "{upstream: b, match: {path_prefix: /}}")
        stale = self.fleet("apply", "-f", self.config, "--if-revision", str(revision))
        self.assertEqual(stale.returncode, 1, stale.stderr)
        self.assertIn("changed after revision", stale.stderr)
        fresh = self.fleet("apply", "-f", self.config, "--if-revision", str(self.etcd.revision()))
        self.assertEqual(fresh.returncode, 0, fresh.stderr)

    def test_apply_refuses_an_invalid_file_naming_the_place(self):
        bad = self.write("bad.yaml", "upstreams:\n  a: { targets: [nowhere] }\n")
        result = self.fleet("apply", "-f", bad)
        self.assertEqual(result.returncode, 1)
        self.assertIn("bad.yaml:2:", result.stderr)
        self.assertEqual(self.etcd.get_prefix(self.prefix), {})

    def test_get_prints_the_config_etcd_holds(self):
        self.fleet("apply", "-f", self.config)
        result = self.fleet("get")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("# etcd revision", result.stdout)
        self.assertIn("main", result.stdout)
        self.assertIn("idle_timeout: 30s", result.stdout)
        # What get prints applies again, changing nothing.
        before = self.etcd.get_prefix(self.prefix)
        again = self.fleet("apply", "-f", self.write("again.yaml", result.stdout))
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertEqual(self.etcd.get_prefix(self.prefix), before)

    def test_split_and_status_with_a_running_node(self):
        self.fleet("apply", "-f", self.config)
        boot = self.write("boot.yaml", bootstrap(self.etcd, prefix=self.prefix))
        node = start_node(self.etcd, prefix=self.prefix)
        self.turnouts = (node,)
        with node:
            wait_until(lambda: served_by(self.port) == "a")
            split = subprocess.run([turnout_bin(), "fleet", "split", "main", "a=0", "b=100", "-c", boot],
                                   capture_output=True, text=True, timeout=30)
            self.assertEqual(split.returncode, 0, split.stderr)
            wait_revision(node, int(split.stdout))
            self.assertEqual(served_by(self.port), "b")
            wait_until(lambda: (node_report(self.etcd, "edge-1", self.prefix) or {}).get("revision") ==
                       int(split.stdout))
            status = self.fleet("status", "--json")
            self.assertEqual(status.returncode, 0, status.stderr)
            nodes = json.loads(status.stdout)["nodes"]
            self.assertEqual([(n["node"], n["state"], n["behind"]) for n in nodes], [("edge-1", "serving", 0)])
            text = self.fleet("status")
            self.assertIn("edge-1", text.stdout)
        missing = self.fleet("split", "nope", "a=1")
        self.assertEqual(missing.returncode, 1)
        self.assertIn("no route nope", missing.stderr)

    def test_without_etcd_it_is_a_usage_error(self):
        result = subprocess.run([turnout_bin(), "fleet", "get"], capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 2)
        self.assertIn("--etcd URL --prefix P", result.stderr)

    def test_etcd_unreachable_exits_3(self):
        result = subprocess.run([turnout_bin(), "fleet", "get", "--etcd", f"http://127.0.0.1:{free_port()}",
                                 "--prefix", "/x/"], capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 3)
        self.assertIn("cannot connect", result.stderr)


if __name__ == "__main__":
    unittest.main()

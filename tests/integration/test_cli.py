"""The command line of SPEC §2 against a real master: every command that
talks to the admin socket, its output and its exit status."""

import json
import os
import signal
import subprocess
import unittest

from admin_client import Admin
from harness import (BackendsTestCase, Turnout, free_port, get_json, render, turnout_bin,
                     wait_until)

CONFIG = """\
workers: 1
listeners:
  - { name: web, address: 127.0.0.1:${port} }
upstreams:
  a: { targets: [${a}] }
  b: { targets: [${b}] }
routes:
  - { name: main, match: { path_prefix: / }, upstream: ${target} }
"""


def served_by(port):
    return get_json(port, "/")["server"]


class CliTest(BackendsTestCase):
    backend_names = ("a", "b")

    def config(self, port, target):
        return render(CONFIG, port=port, a=self.a.address, b=self.b.address, target=target)

    def start(self, target="a"):
        port = free_port()
        t = Turnout(self.config(port, target))
        self.turnouts = (t,)
        return port, t

    def test_status_config_and_history(self):
        port, t = self.start()
        with t:
            admin = Admin(t)
            wait_until(lambda: admin.ready_workers(), timeout=10)
            status = admin.cli("status")
            self.assertEqual(status.returncode, 0, status.stderr)
            self.assertIn("version", status.stdout.lower())
            raw = admin.cli("status", "--json")
            self.assertEqual(json.loads(raw.stdout)["version"], admin.version())
            config = admin.cli("config")
            self.assertEqual(config.returncode, 0, config.stderr)
            self.assertIn("main", config.stdout)
            self.assertIn(self.a.address, config.stdout)
            history = admin.cli("history")
            self.assertEqual(history.returncode, 0, history.stderr)
            self.assertIn("file", history.stdout)

    def test_split_and_rollback(self):
        port, t = self.start()
        with t:
            admin = Admin(t)
            first = admin.version()
            split = admin.cli("split", "main", "a=0", "b=100")
            self.assertEqual(split.returncode, 0, split.stderr)
            self.assertEqual(split.stdout.strip(), str(first + 1))
            self.assertEqual(served_by(port), "b")
            unknown = admin.cli("split", "nope", "a=1")
            self.assertEqual(unknown.returncode, 1)
            self.assertTrue(unknown.stderr.strip())
            rollback = admin.cli("rollback", str(first))
            self.assertEqual(rollback.returncode, 0, rollback.stderr)
            self.assertEqual(served_by(port), "a")

    def test_reload_by_command_and_by_sighup(self):
        port, t = self.start(target="a")
        with t:
            admin = Admin(t)
            with open(t.config_path, "w") as f:
                f.write(self.config(port, "b"))
            reload = admin.cli("reload")
            self.assertEqual(reload.returncode, 0, reload.stderr)
            self.assertEqual(served_by(port), "b")
            with open(t.config_path, "w") as f:
                f.write(self.config(port, "a"))
            version = admin.version()
            os.kill(t.pid, signal.SIGHUP)
            wait_until(lambda: admin.version() == version + 1, timeout=10)
            self.assertEqual(served_by(port), "a")
            with open(t.config_path, "w") as f:
                f.write("listeners: [")
            broken = admin.cli("reload")
            self.assertEqual(broken.returncode, 1)
            self.assertIn("turnout.yaml:", broken.stderr)
            self.assertEqual(admin.version(), version + 1)

    def test_apply_refusals_and_exit_codes(self):
        port, t = self.start()
        with t:
            admin = Admin(t)
            path = os.path.join(t.dir, "bad.yaml")
            with open(path, "w") as f:
                f.write(self.config(port, "nowhere"))
            bad = admin.cli("apply", "-f", path)
            self.assertEqual(bad.returncode, 1)
            self.assertIn(f"{path}:8:", bad.stderr)
            with open(path, "w") as f:
                f.write(self.config(port, "b"))
            stale = admin.cli("apply", "-f", path, "--if-version", str(admin.version() + 5))
            self.assertEqual(stale.returncode, 1)
            usage = subprocess.run([turnout_bin(), "split"], capture_output=True, text=True)
            self.assertEqual(usage.returncode, 2)
            missing = subprocess.run([turnout_bin(), "status", "--socket", "/nonexistent/admin.sock"],
                                     capture_output=True, text=True)
            self.assertEqual(missing.returncode, 3)
            self.assertTrue(missing.stderr.strip())

    def test_stop_command_stops_gracefully(self):
        port, t = self.start()
        with t:
            stop = Admin(t).cli("stop")
            self.assertEqual(stop.returncode, 0, stop.stderr)
            self.assertEqual(t.proc.wait(timeout=15), 0)


if __name__ == "__main__":
    unittest.main()

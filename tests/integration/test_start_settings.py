"""Settings read only at start (workers, admin.*, state_dir): they come from
the -c file and the command line, never from a saved or pushed version
(docs/operations.md, "Settings read only at start")."""

import os
import shutil
import signal
import subprocess
import tempfile

from admin_client import Admin
from harness import BackendsTestCase, Turnout, free_port, render, turnout_bin, wait_until

# What people push: routes and upstreams, no process settings.
ROUTING = """\
listeners:
  - { name: web, address: 127.0.0.1:${port} }
upstreams:
  a: { targets: [${a}] }
routes:
  - { name: main, match: { path_prefix: / }, upstream: a }
"""


class StartSettingsTest(BackendsTestCase):
    backend_names = ("a",)

    def setUp(self):
        self.port = free_port()
        self.directory = tempfile.mkdtemp(prefix="turnout-start-settings-")
        self.addCleanup(shutil.rmtree, self.directory, True)

    def routing(self, prefix=""):
        return prefix + render(ROUTING, port=self.port, a=self.a.address)

    def turnout(self, head="workers: 1\nadmin: { socket: a.sock }\nstate_dir: state\n", **kwargs):
        t = Turnout(self.routing(head), directory=self.directory, **kwargs)
        self.turnouts = (t,)
        return t

    def admin(self, t, name="a.sock"):
        return Admin(t, socket_path=os.path.join(t.dir, name))

    def cli(self, t, *args):
        return subprocess.run([turnout_bin(), *args, "-c", t.config_path], capture_output=True,
                              text=True, timeout=30)

    def test_a_pushed_config_without_admin_keeps_the_socket_across_a_restart(self):
        # issue 11, item 1: the restarted master moved to run/admin.sock.
        with self.turnout() as t:
            admin = self.admin(t)
            response = admin.put_config(self.routing())
            self.assertEqual(response.status, 200, response)
        with self.turnout() as t:
            status = self.cli(t, "status")
            self.assertEqual(status.returncode, 0, status.stderr)
            self.assertIn("(state)", status.stdout)
            self.assertTrue(os.path.exists(os.path.join(t.dir, "a.sock")))
            self.assertFalse(os.path.exists(os.path.join(t.dir, "run", "admin.sock")))
            live = self.admin(t).request("GET", "/v1/config").body
            self.assertIn(os.path.join(t.dir, "a.sock"), live)
            self.assertIn(os.path.join(t.dir, "state"), live)

    def test_a_pushed_config_that_changes_one_is_refused_and_nothing_changes(self):
        with self.turnout() as t:
            admin = self.admin(t)
            version = admin.version()
            for head, key in (("admin: { socket: b.sock }\n", "admin.socket"),
                              ("state_dir: elsewhere\n", "state_dir"),
                              ("workers: 2\n", "workers"),
                              ("admin: { mode: \"0660\" }\n", "admin.mode")):
                response = admin.put_config(self.routing(head))
                self.assertEqual(response.status, 400, response)
                messages = [d["message"] for d in response.json()["details"]]
                self.assertTrue(any(m.startswith(key + ":") and "restart" in m for m in messages),
                                messages)
            self.assertEqual(admin.version(), version)
            history = admin.request("GET", "/v1/config/history").json()["versions"]
            self.assertEqual([v["version"] for v in history], [version])
            self.assertFalse(os.path.exists(os.path.join(t.dir, "elsewhere")))
            # The values in force, written out, are no change.
            same = self.routing("workers: 1\nadmin: { socket: a.sock, mode: \"0600\" }\n"
                                "state_dir: state\n")
            self.assertEqual(admin.put_config(same).status, 200)
            with open(os.path.join(t.dir, "moved.yaml"), "w") as f:
                f.write(self.routing("admin: { socket: b.sock }\n"))
            applied = subprocess.run([turnout_bin(), "apply", "-f", os.path.join(t.dir, "moved.yaml"),
                                      "--socket", admin.path], capture_output=True, text=True,
                                     timeout=30)
            self.assertEqual(applied.returncode, 1, applied.stdout)
            self.assertIn("admin.socket", applied.stderr)
            self.assertIn("restart", applied.stderr)

    def test_a_reload_of_a_changed_file_is_refused(self):
        with self.turnout() as t:
            admin = self.admin(t)
            version = admin.version()
            with open(t.config_path, "w") as f:
                f.write(self.routing("admin: { socket: b.sock }\nstate_dir: state\n"))
            response = admin.request("POST", "/v1/config/reload")
            self.assertEqual(response.status, 400, response)
            self.assertIn("admin.socket", response.body)
            os.kill(t.pid, signal.SIGHUP)
            wait_until(lambda: "reload finished" in t.log_text(), timeout=10)
            self.assertEqual(admin.version(), version)
            self.assertIn("a.sock", admin.request("GET", "/v1/config").body)

    def test_a_rollback_keeps_the_running_values(self):
        with self.turnout() as t:
            first = self.admin(t).version()
        # Restarted with another socket: the saved versions still name a.sock.
        with self.turnout(head="workers: 1\nadmin: { socket: b.sock }\nstate_dir: state\n") as t:
            admin = self.admin(t, "b.sock")
            response = admin.request("POST", "/v1/config/rollback", body={"version": first})
            self.assertEqual(response.status, 200, response)
            live = admin.request("GET", "/v1/config").body
            self.assertIn(os.path.join(t.dir, "b.sock"), live)
            self.assertNotIn("a.sock", live)
            self.assertEqual(self.cli(t, "status").returncode, 0)

    def test_workers_from_the_command_line_are_the_value_in_force(self):
        with self.turnout(workers=2) as t:
            admin = self.admin(t)
            wait_until(lambda: len(admin.status()["workers"]) == 2, timeout=10)
            self.assertIn("workers: 2", admin.request("GET", "/v1/config").body)
            # The file says 1, the command line 2: a reload re-reads both.
            self.assertEqual(admin.request("POST", "/v1/config/reload").status, 200)
            refused = admin.put_config(self.routing("workers: 1\n"))
            self.assertEqual(refused.status, 400, refused)
            self.assertIn("workers", refused.body)


if __name__ == "__main__":
    import unittest
    unittest.main()

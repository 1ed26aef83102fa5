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
            self.assertEqual(json.loads(admin.cli("history", "--json").stdout)["versions"][0]
                             ["version"], admin.version())

    def test_version(self):
        version = subprocess.run([turnout_bin(), "--version"], capture_output=True, text=True)
        self.assertEqual(version.returncode, 0, version.stderr)
        self.assertRegex(version.stdout, r"^turnout \d+\.\d+\.\d+\n$")
        port, t = self.start()
        with t:
            admin = Admin(t)
            self.assertEqual("turnout " + admin.status()["turnout_version"] + "\n", version.stdout)
            status = admin.cli("status")
            self.assertTrue(status.stdout.startswith(version.stdout), status.stdout)

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

    def test_rollout_commands(self):
        port, t = self.start(target="a")
        with t:
            admin = Admin(t)
            missing = admin.cli("rollout", "status", "main")
            self.assertEqual(missing.returncode, 1, "status before any rollout")
            self.assertTrue(missing.stderr.strip())

            start = admin.cli("rollout", "start", "main", "--to", "b", "--steps", "50,100",
                              "--interval", "1m", "--json")
            self.assertEqual(start.returncode, 0, start.stderr)
            started = json.loads(start.stdout)
            self.assertEqual((started["state"], started["weight"]), ("stepping", 50))
            self.assertEqual(started["spec"]["steps"], [50, 100])
            self.assertEqual(started["spec"]["interval"], "1m")
            self.assertEqual({served_by(port) for _ in range(40)}, {"a", "b"})

            # For people: lines and a table; --json: the admin API's object.
            status = admin.cli("rollout", "status", "main")
            self.assertEqual(status.returncode, 0, status.stderr)
            self.assertRegex(status.stdout, r"^rollout main to b: stepping at 50% \(step 1 of 2\), "
                                            r"next decision in \d+s\nsplit: a=50 b=50\n"
                                            r"reason: started: step 50%\ntransitions:\n  TIME +FROM +TO +WEIGHT +REASON\n")
            self.assertEqual(json.loads(admin.cli("rollout", "status", "main", "--json").stdout)
                             ["weight"], 50)
            overview = admin.cli("status")
            self.assertEqual(overview.returncode, 0, overview.stderr)
            self.assertRegex(overview.stdout, r"main\s+b\s+50\s+stepping")

            again = admin.cli("rollout", "start", "main", "--to", "b", "--steps", "50,100")
            self.assertEqual(again.returncode, 1, "a second start while one runs")
            self.assertIn("main", again.stderr)

            pause = admin.cli("rollout", "pause", "main", "--json")
            self.assertEqual(pause.returncode, 0, pause.stderr)
            self.assertEqual(json.loads(pause.stdout)["state"], "paused")
            self.assertIn("paused", admin.cli("rollout", "status", "main").stdout)
            self.assertEqual(admin.cli("rollout", "pause", "main").returncode, 1)
            resume = admin.cli("rollout", "resume", "main", "--json")
            self.assertEqual(resume.returncode, 0, resume.stderr)
            self.assertEqual(json.loads(resume.stdout)["state"], "stepping")
            self.assertEqual(json.loads(resume.stdout)["weight"], 50)

            promote = admin.cli("rollout", "promote", "main", "--json")
            self.assertEqual(promote.returncode, 0, promote.stderr)
            promoted = json.loads(promote.stdout)
            self.assertEqual((promoted["state"], promoted["weight"]), ("promoted", 100))
            self.assertEqual({served_by(port) for _ in range(20)}, {"b"})
            self.assertEqual(admin.cli("rollout", "abort", "main").returncode, 1,
                             "abort after promote")

            # A finished rollout does not block the next one: back to a, then
            # a rollout to b aborted at its first step.
            self.assertEqual(admin.cli("split", "main", "a=100", "b=0").returncode, 0)
            restart = admin.cli("rollout", "start", "main", "--to", "b", "--steps", "50,100",
                                "--interval", "1m")
            self.assertEqual(restart.returncode, 0, restart.stderr)
            abort = admin.cli("rollout", "abort", "main")
            self.assertEqual(abort.returncode, 0, abort.stderr)
            self.assertIn("rollout main to b: aborted at 0%", abort.stdout)
            abort = admin.cli("rollout", "status", "main", "--json")
            self.assertEqual(abort.returncode, 0, abort.stderr)
            self.assertEqual((json.loads(abort.stdout)["state"], json.loads(abort.stdout)["weight"]),
                             ("aborted", 0))
            self.assertEqual({served_by(port) for _ in range(20)}, {"a"})

            # Unknown route or upstream: refused (1), with a message.
            for args in (("start", "nope", "--to", "b"), ("start", "main", "--to", "nope"),
                         ("status", "nope"), ("pause", "nope"), ("resume", "nope"),
                         ("promote", "nope"), ("abort", "nope")):
                result = admin.cli("rollout", *args)
                self.assertEqual(result.returncode, 1, f"rollout {args}: {result.stderr}")
                self.assertTrue(result.stderr.strip(), args)
            # Usage errors (2): arguments that do not parse, a missing --to or
            # subcommand. Nothing is started by them.
            version = admin.version()
            for args in (("start", "main", "--to", "b", "--steps", "50,x"),
                         ("start", "main", "--to", "b", "--steps", "150"),
                         ("start", "main", "--to", "b", "--interval", "soon"),
                         ("start", "main"), ()):
                result = admin.cli("rollout", *args)
                self.assertEqual(result.returncode, 2, f"rollout {args}: {result.stderr}")
                self.assertTrue(result.stderr.strip(), args)
            self.assertEqual(admin.version(), version)
            self.assertEqual(json.loads(admin.cli("rollout", "status", "main", "--json").stdout)
                             ["state"], "aborted")
            unreachable = subprocess.run([turnout_bin(), "rollout", "status", "main", "--socket",
                                          "/nonexistent/admin.sock"], capture_output=True, text=True)
            self.assertEqual(unreachable.returncode, 3)

    # SPEC §2: a bad argument is a usage error (2), never a refusal (1); the
    # CLI checks a rollout with the master's own rules before sending it.
    def test_rollout_start_with_bad_steps_is_a_usage_error(self):
        port, t = self.start()
        with t:
            admin = Admin(t)
            for args in (("--steps", "50,20"), ("--steps", "10,50"), ("--interval", "10ms")):
                result = admin.cli("rollout", "start", "main", "--to", "b", *args)
                self.assertEqual(result.returncode, 2, f"{args}: {result.stderr}")
            self.assertEqual(admin.cli("rollout", "status", "main").returncode, 1)


if __name__ == "__main__":
    unittest.main()

"""Zero-downtime binary upgrade (docs/operations.md, "Upgrade"): `turnout
upgrade`, POST /v1/upgrade and SIGUSR2 start a new master on the same
listening sockets and admin socket; the old one drains and exits once the
new one serves, and keeps serving when the new binary fails. state_dir
belongs to one master at a time."""

import contextlib
import http.client
import os
import re
import signal
import stat
import subprocess
import threading
import time

from admin_client import Admin
from harness import (TIME_SCALE, BackendsTestCase, Turnout, _pid_alive, children_of,
                     free_port, get_json, render, turnout_bin, wait_until)

CONFIG = """\
workers: 2
listeners:
  - { name: web, address: 127.0.0.1:${port} }
limits: { drain_timeout: 10s }
upstreams:
  a: { targets: [${a}] }
routes:
  - { name: main, match: { path_prefix: / }, upstream: a }
"""

# Bounds on the load each test puts on the machine.
LOAD_MAX_SECONDS = 240
LOAD_MAX_REQUESTS = 400_000


class Load:
    """Two clients on threads until stopped: one keep-alive connection, and
    a new connection per request. Every request must come back 200."""

    def __init__(self, port):
        self.port = port
        self.ok = 0
        self.failures = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(keep,), daemon=True)
                         for keep in (True, False)]

    def __enter__(self):
        self._deadline = time.monotonic() + LOAD_MAX_SECONDS
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def stop(self):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def count(self):
        with self._lock:
            return self.ok

    def _done(self):
        return (self._stop.is_set() or time.monotonic() > self._deadline
                or self.ok + len(self.failures) >= LOAD_MAX_REQUESTS)

    def _run(self, keep_alive):
        conn = None
        while not self._done():
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                headers = {} if keep_alive else {"Connection": "close"}
                conn.request("GET", "/load", headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    raise AssertionError(f"status {response.status}")
                with self._lock:
                    self.ok += 1
                if not keep_alive or response.will_close:
                    conn.close()
                    conn = None
            except Exception as error:  # every failure is reported, none retried
                with self._lock:
                    self.failures.append(f"keep_alive={keep_alive}: {error!r}")
                with contextlib.suppress(Exception):
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()


@contextlib.contextmanager
def successors(pids):
    """Stops, at the end, the masters an upgrade started (not the test's
    child): SIGTERM, then SIGKILL for them and their workers."""
    try:
        yield pids
    finally:
        for pid in pids:
            workers = children_of(pid)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
            with contextlib.suppress(AssertionError):
                wait_until(lambda: not _pid_alive(pid), timeout=15)
            for p in [pid, *workers]:
                if _pid_alive(p):
                    with contextlib.suppress(OSError):
                        os.kill(p, signal.SIGKILL)


def upgraded_pid(result):
    match = re.search(r"upgraded: pid (\d+) serves", result.stdout)
    if result.returncode != 0 or not match:
        raise AssertionError(f"upgrade failed: rc={result.returncode} out={result.stdout!r} "
                             f"err={result.stderr!r}")
    return int(match.group(1))


class UpgradeTest(BackendsTestCase):
    backend_names = ("a",)

    def start(self):
        port = free_port()
        t = Turnout(render(CONFIG, port=port, a=self.a.address))
        self.turnouts = (t,)
        return port, t

    def test_ten_upgrades_under_load_fail_no_request(self):
        port, t = self.start()
        with t, successors([]) as started:
            admin = Admin(t)
            version = admin.version()
            with Load(port) as load:
                wait_until(lambda: load.count() > 50, timeout=10 * TIME_SCALE)
                for _ in range(10):
                    before = load.count()
                    pid = upgraded_pid(admin.cli("upgrade", timeout=90))
                    started.append(pid)
                    status = admin.status()
                    self.assertEqual(status["pid"], pid)
                    self.assertEqual(status["version"], version)
                    # The new master's workers serve before the next upgrade.
                    wait_until(lambda: load.count() > before + 50, timeout=10 * TIME_SCALE,
                               message="no requests served after an upgrade")
                load.stop()
            self.assertEqual(load.failures, [], f"{len(load.failures)} of "
                                                f"{load.ok + len(load.failures)} failed")
            self.assertGreater(load.ok, 500)
            # The old masters drained and exited; only the last one runs.
            self.assertEqual(t.proc.wait(timeout=30), 0)
            wait_until(lambda: not any(_pid_alive(p) for p in started[:-1]), timeout=30,
                       message="an old master did not exit after handing over")
            self.assertEqual(len(Admin(t).ready_workers()), 2)
            self.assertEqual(get_json(port, "/after")["server"], "a")
            # Every master served the same version: no new one was applied.
            self.assertEqual(admin.version(), version)
            with open(os.path.join(t.dir, "run", "state", "lock")) as f:
                self.assertEqual(f.read().strip(), str(started[-1]))

    def test_a_broken_binary_leaves_the_old_master_serving(self):
        port, t = self.start()
        with t:
            broken = os.path.join(t.dir, "broken-turnout")
            with open(broken, "w") as f:
                f.write("#!/bin/sh\necho 'broken build' >&2\nexit 1\n")
            os.chmod(broken, stat.S_IRWXU)
            admin = Admin(t)
            result = admin.cli("upgrade", "--binary", broken, timeout=60)
            self.assertEqual(result.returncode, 1, result)
            self.assertIn("exited (status 1) before its workers were serving", result.stderr)
            self.assertIn(f"this master (pid {t.pid}) keeps serving", result.stderr)
            self.assertEqual(admin.status()["pid"], t.pid)
            self.assertEqual(get_json(port, "/")["server"], "a")
            self.assertIsNone(t.proc.poll())
            # The admin socket file and the change queue are still the old
            # master's: a change goes through.
            self.assertEqual(admin.cli("reload").returncode, 0)

            missing = admin.cli("upgrade", "--binary", os.path.join(t.dir, "nothing"))
            self.assertEqual(missing.returncode, 1, missing)
            self.assertIn("cannot execute", missing.stderr)
            self.assertEqual(admin.status()["pid"], t.pid)

    def test_sigusr2_upgrades_and_state_dir_has_one_owner(self):
        port, t = self.start()
        with t, successors([]) as started:
            # A second master on the same state_dir is refused, naming the owner.
            second = subprocess.run([turnout_bin(), "run", "-c", t.config_path], cwd=t.dir,
                                    capture_output=True, text=True, timeout=30)
            self.assertEqual(second.returncode, 1)
            self.assertIn(f"is in use by another turnout master (pid {t.pid})", second.stderr)

            admin = Admin(t)

            def new_master_answers():
                # Both masters accept on the handed-over admin socket for a
                # moment; the old one closes what it accepted as it stops.
                try:
                    return admin.status()["pid"] != t.pid
                except OSError:
                    return False

            os.kill(t.pid, signal.SIGUSR2)
            wait_until(new_master_answers, timeout=30 * TIME_SCALE,
                       message="SIGUSR2 did not hand over to a new master")
            started.append(admin.status()["pid"])
            self.assertEqual(t.proc.wait(timeout=30), 0)
            self.assertEqual(get_json(port, "/")["server"], "a")
            # The admin socket outlived the old master and reaches the new one.
            self.assertEqual(admin.cli("reload").returncode, 0)
            self.assertIn('msg="upgrade: the new master serves, draining this one"',
                          t.log_text())

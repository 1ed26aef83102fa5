"""systemd's notify protocol (docs/operations.md, "The systemd unit"): the
test is the service manager, a Unix datagram socket named in NOTIFY_SOCKET,
and reads what the master tells it and from which pid."""

import contextlib
import os
import re
import signal
import socket
import struct
import tempfile
import threading

from admin_client import Admin
from harness import (TIME_SCALE, BackendsTestCase, Turnout, _pid_alive, children_of,
                     free_port, render, wait_until)

CONFIG = """\
workers: 2
listeners:
  - { name: web, address: 127.0.0.1:${port} }
upstreams:
  a: { targets: [${a}] }
routes:
  - { name: main, match: { path_prefix: / }, upstream: a }
"""


class NotifySocket:
    """A datagram socket collecting (sender pid, {key: value}) messages. A
    thread reads it all the time, as systemd does: sd_notify blocks while
    the socket's queue is full."""

    def __init__(self):
        self._dir = tempfile.TemporaryDirectory(prefix="turnout-notify-")
        self.path = os.path.join(self._dir.name, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.bind(self.path)
        self.sock.settimeout(0.1)
        self.messages = []
        self._cursor = 0
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def close(self):
        self._closing.set()
        self._reader.join(timeout=5)
        self.sock.close()
        self._dir.cleanup()

    def _read(self):
        while not self._closing.is_set():
            try:
                data, ancillary, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(12))
            except (socket.timeout, OSError):
                continue
            pid = None
            for level, kind, value in ancillary:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("3i", value[:12])[0]
            fields = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
            with self._lock:
                self.messages.append((pid, fields))

    def received(self):
        with self._lock:
            return list(self.messages)

    def wait_for(self, predicate, message, timeout=15):
        """The first message after the one the last wait_for returned that
        satisfies predicate(pid, fields)."""
        found = []

        def seen():
            messages = self.received()
            for index in range(self._cursor, len(messages)):
                if predicate(*messages[index]):
                    found.append(messages[index])
                    self._cursor = index + 1
                    return True
            return False

        wait_until(seen, timeout=timeout * TIME_SCALE, message=message)
        return found[0]


class ServiceNotifyTest(BackendsTestCase):
    backend_names = ("a",)

    def test_ready_reload_watchdog_upgrade_and_stop(self):
        notify = NotifySocket()
        port = free_port()
        t = Turnout(render(CONFIG, port=port, a=self.a.address),
                    env={"NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "200000"})
        self.turnouts = (t,)
        new_pid = None
        try:
            with t:
                pid, ready = notify.wait_for(lambda p, m: "READY" in m, "no READY=1")
                self.assertEqual(pid, t.pid)
                self.assertEqual(ready["STATUS"], "serving version 1")
                # Every worker serves by then.
                self.assertEqual(len(Admin(t).ready_workers()), 2)
                notify.wait_for(lambda p, m: m.get("WATCHDOG") == "1", "no WATCHDOG=1")
                notify.wait_for(lambda p, m: m.get("WATCHDOG") == "1", "one WATCHDOG=1 only")

                os.kill(t.pid, signal.SIGHUP)
                _, reloading = notify.wait_for(lambda p, m: "RELOADING" in m, "no RELOADING=1")
                self.assertRegex(reloading["MONOTONIC_USEC"], r"^\d+$")
                notify.wait_for(lambda p, m: m.get("READY") == "1", "no READY=1 after reload")

                result = Admin(t).cli("upgrade", timeout=60)
                self.assertEqual(result.returncode, 0, result)
                new_pid = int(re.search(r"pid (\d+) serves", result.stdout).group(1))
                sender, handed = notify.wait_for(lambda p, m: "MAINPID" in m, "no MAINPID=")
                self.assertEqual((sender, int(handed["MAINPID"])), (t.pid, new_pid))
                self.assertEqual(t.proc.wait(timeout=30), 0)
                # The old master drained without telling the manager it stops.
                self.assertFalse([m for p, m in notify.received()
                                  if p == t.pid and "STOPPING" in m], notify.received())

                workers = children_of(new_pid)
                os.kill(new_pid, signal.SIGTERM)
                sender, _ = notify.wait_for(lambda p, m: "STOPPING" in m, "no STOPPING=1")
                self.assertEqual(sender, new_pid)
                wait_until(lambda: not _pid_alive(new_pid), timeout=15)
                wait_until(lambda: not any(_pid_alive(w) for w in workers), timeout=15)
        finally:
            if new_pid and _pid_alive(new_pid):
                with contextlib.suppress(OSError):
                    os.kill(new_pid, signal.SIGKILL)
            notify.close()

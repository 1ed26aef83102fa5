"""Helpers every integration test module uses.

The tests drive the real `turnout` binary against real echo backends on
127.0.0.1. Binaries come from the environment (ctest sets both):
TURNOUT_BIN and ECHO_BACKEND_BIN. Nothing here sleeps for a fixed time to
synchronize: every wait is a poll on a condition with a deadline, and every
process started is stopped by its pid.
"""

import contextlib
import glob
import http.client
import json
import os
import re
import select
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import unittest

# Clients and body helpers live in http_helpers; tests import them from here.
from http_helpers import (RawConnection, RawResponse, get_json, header_values,  # noqa: F401
                          pattern_chunks, pattern_sha256, raw_request, request)

_REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def _binary(env_name, file_name):
    """Path of a binary: $env_name, else the first build folder that has it."""
    path = os.environ.get(env_name)
    if path:
        return path
    for build in sorted(glob.glob(os.path.join(_REPO, "build*"))):
        for candidate in (os.path.join(build, file_name), os.path.join(build, "tests", file_name)):
            if os.access(candidate, os.X_OK):
                return candidate
    raise RuntimeError(f"{env_name} is not set and no build folder has {file_name}")


def turnout_bin():
    return _binary("TURNOUT_BIN", "turnout")


def echo_backend_bin():
    return _binary("ECHO_BACKEND_BIN", "echo_backend")


# ---------------------------------------------------------------- waiting

# A sanitizer build runs several times slower: its ctest sets
# TURNOUT_TEST_TIME_SCALE (CMakeLists, TURNOUT_SANITIZE) and every deadline
# a test waits on stretches by it. Timings turnout itself enforces do not.
TIME_SCALE = float(os.environ.get("TURNOUT_TEST_TIME_SCALE", "1"))
# Its allocations also carry redzones and wait in a quarantine before
# reuse: TURNOUT_TEST_MEMORY_SCALE stretches the memory bounds that need it.
MEMORY_SCALE = float(os.environ.get("TURNOUT_TEST_MEMORY_SCALE", "1"))


def wait_until(predicate, timeout=10.0, interval=0.02, message=None):
    """Polls predicate() until it returns something truthy; returns that.

    Raises AssertionError when `timeout` seconds (times TIME_SCALE) pass first."""
    timeout *= TIME_SCALE
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(message or f"condition not met within {timeout}s: {predicate}")
        time.sleep(interval)


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def refused_port():
    """A port on 127.0.0.1 that refuses connections for as long as the
    context lasts: bound and not listening, so no server a parallel test
    starts (an etcd, a backend) can take it and answer in its place."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


def can_connect(port, host="127.0.0.1", timeout=0.2):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def render(template, **values):
    """Fills `${name}` placeholders (string.Template) in a config text."""
    return string.Template(template).substitute(**values)


# ---------------------------------------------------------------- processes

def sanitizer_reports(text):
    """The kinds of sanitizer report in a process's output, e.g. a
    TURNOUT_SANITIZE build's, and failed assertions, e.g. a build without
    NDEBUG's BOOST_ASSERT (empty when clean)."""
    return [m for m in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                        "runtime error:", "ThreadSanitizer", "Assertion `") if m in text]


def _pid_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            # A zombie counts as gone: it no longer runs anything.
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _pid_runs(pid, binary):
    """True when pid is alive and runs `binary` (guards against pid reuse)."""
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return False
    return _pid_alive(pid) and os.path.basename(exe).startswith(os.path.basename(binary))


def stop_process(proc, timeout=10.0):
    """SIGTERM, wait up to `timeout` seconds, then SIGKILL. Returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def children_of(pid):
    """Pids of the direct children of `pid`, from /proc."""
    pids = []
    for path in glob.glob(f"/proc/{pid}/task/*/children"):
        try:
            with open(path) as f:
                pids.extend(int(p) for p in f.read().split())
        except OSError:
            pass
    return sorted(set(pids))


def _proc_status(pid, field):
    """The first number of `field` in /proc/PID/status, or 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_kb(pid):
    """Resident set size of `pid` in KiB (VmRSS), or 0 when it is gone."""
    return _proc_status(pid, "VmRSS")


def tracer_pid(pid):
    """The pid of the process tracing `pid` (strace, gdb), or 0."""
    return _proc_status(pid, "TracerPid")


def count_syscalls(pid, syscalls, action, summary_path):
    """Runs action() with `strace -c` attached to `pid`, counting the
    comma-separated `syscalls`; returns {name: (calls, failed calls)}.
    strace writes its table to `summary_path`."""
    tracer = subprocess.Popen(["strace", "-c", "-qq", "-e", f"trace={syscalls}", "-o", summary_path,
                               "-p", str(pid)])
    try:
        wait_until(lambda: tracer_pid(pid) == tracer.pid, timeout=10, message="strace did not attach")
        action()
    finally:
        tracer.terminate()
        tracer.wait(timeout=10)
    counts = {}
    with open(summary_path) as f:
        for line in f:
            fields = line.split()
            if len(fields) in (5, 6) and fields[0][0].isdigit() and fields[-1] != "total":
                errors = int(fields[4]) if len(fields) == 6 else 0
                counts[fields[-1]] = (int(fields[3]), errors)
    return counts


class EchoBackend:
    """Runs tests/support/echo_backend for the duration of a `with` block.

    `.port` is the port it listens on, `.address` "127.0.0.1:PORT"."""

    def __init__(self, name="echo", port=0, start_timeout=10.0):
        self.name = name
        self.port = port
        self.start_timeout = start_timeout
        self.proc = None
        self._stderr = None

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def __enter__(self):
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [echo_backend_bin(), "--name", self.name, "--port", str(self.port)],
            stdout=subprocess.PIPE, stderr=self._stderr)
        try:
            self.port = self._read_port()
        except BaseException:
            self.stop()
            raise
        return self

    def _read_port(self):
        deadline = time.monotonic() + self.start_timeout * TIME_SCALE
        fd = self.proc.stdout.fileno()
        data = b""
        while b"\n" not in data:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"echo backend {self.name} printed no PORT line")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 256)
                if not chunk:
                    raise AssertionError(f"echo backend {self.name} exited: {self.stderr_text()}")
                data += chunk
        match = re.match(rb"PORT (\d+)\n", data)
        if not match:
            raise AssertionError(f"echo backend {self.name} printed {data!r}")
        return int(match.group(1))

    def stats(self):
        """{"connections": ..., "requests": ...}, asked directly (this request
        is itself one connection and one request)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request("GET", "/__stats")
            return json.loads(conn.getresponse().read())
        finally:
            conn.close()

    def stderr_text(self):
        if not self._stderr:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def stop(self):
        if self.proc:
            stop_process(self.proc, timeout=5)
            self.proc.stdout.close()

    def __exit__(self, exc_type, *exc):
        self.stop()
        reports = sanitizer_reports(self.stderr_text())
        if self._stderr:
            self._stderr.close()
        if exc_type is None and reports:
            raise AssertionError(f"echo backend {self.name} has sanitizer or assertion reports: {reports}")
        return False


def _listener_ports(config_text):
    """Ports of the `listeners:` section of a config text."""
    ports = []
    in_listeners = False
    for line in config_text.splitlines():
        if re.match(r"^[A-Za-z_]", line):
            in_listeners = line.startswith("listeners:")
        if in_listeners:
            for match in re.finditer(r"address:\s*[\"']?(\[[^\]]*\]|[^\s:,}\"']*):(\d+)", line):
                ports.append(int(match.group(2)))
    return ports


class Turnout:
    """Runs `turnout run -c <dir>/turnout.yaml` in a fresh temporary folder.

    Waits until every listener of the config accepts connections. On leaving
    the `with` block: SIGTERM, up to 10 s, then SIGKILL; workers left behind
    are killed by pid; the log is printed when the block raised."""

    def __init__(self, config_yaml, workers=None, extra_args=(), start_timeout=15.0,
                 directory=None, env=None):
        """directory: run in this folder (kept afterwards, e.g. to restart on
        the same state_dir) instead of a fresh temporary one. env: variables
        added to turnout's environment (e.g. NOTIFY_SOCKET)."""
        self.env = env
        self.config_yaml = config_yaml
        self.directory = directory
        self.workers = workers
        self.extra_args = list(extra_args)
        self.start_timeout = start_timeout
        self.proc = None
        self.returncode = None
        self._tmp = None
        self._log = None
        self._log_printed = False

    @property
    def pid(self):
        return self.proc.pid

    @property
    def dir(self):
        return self.directory or self._tmp.name

    @property
    def config_path(self):
        return os.path.join(self.dir, "turnout.yaml")

    @property
    def log_path(self):
        return os.path.join(self.dir, "turnout.log")

    def __enter__(self):
        if self.directory is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="turnout-test-")
        with open(self.config_path, "w") as f:
            f.write(self.config_yaml)
        self._log = open(self.log_path, "ab")
        self._log_start = self._log.tell()
        args = [turnout_bin(), "run", "-c", self.config_path]
        if self.workers is not None:
            args += ["--workers", str(self.workers)]
        args += self.extra_args
        try:
            self.proc = subprocess.Popen(args, cwd=self.dir, stdin=subprocess.DEVNULL,
                                         stdout=self._log, stderr=subprocess.STDOUT,
                                         env=dict(os.environ, **(self.env or {})))
            self._wait_ready()
        except BaseException:
            self._cleanup()
            self.print_log("turnout failed to start")
            if self._tmp:
                self._tmp.cleanup()
            raise
        return self

    def _wait_ready(self):
        ports = _listener_ports(self.config_yaml)

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"turnout exited with {self.proc.returncode} while starting")
            # The master binds listeners before it opens the admin socket. Only
            # this run's lines count: a reused directory keeps the last run's log.
            return (all(can_connect(p) for p in ports)
                    and b'msg="admin socket"' in self._this_run_log())

        wait_until(ready, timeout=self.start_timeout, interval=0.02,
                   message=f"turnout did not accept on {ports} and open its admin socket "
                           f"within {self.start_timeout}s")

    def _this_run_log(self):
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self._log_start)
                return f.read()
        except OSError:
            return b""

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def print_log(self, why="test failed"):
        if self._log_printed:
            return
        self._log_printed = True
        sys.stderr.write(f"\n----- turnout log ({why}) -----\n{self.log_text()}"
                         f"\n----- end of turnout log -----\n")
        sys.stderr.flush()

    def worker_pids(self):
        """The master's children (its workers); [pid] when it has none."""
        return children_of(self.pid) or [self.pid]

    @staticmethod
    def rss_kb(pid):
        return rss_kb(pid)

    def max_worker_rss_kb(self):
        return max(rss_kb(p) for p in self.worker_pids())

    def sanitizer_reports(self):
        return sanitizer_reports(self.log_text())

    def stop(self, timeout=10.0):
        """Graceful stop; returns turnout's exit code. Idempotent."""
        if self.proc is None:
            return self.returncode
        workers = children_of(self.pid)
        self.returncode = stop_process(self.proc, timeout=timeout)
        binary = turnout_bin()
        # Workers must exit once their master is gone; kill any that do not.
        with contextlib.suppress(AssertionError):
            wait_until(lambda: not any(_pid_runs(p, binary) for p in workers), timeout=5)
        for p in workers:
            if _pid_runs(p, binary):
                with contextlib.suppress(OSError):
                    os.kill(p, signal.SIGKILL)
        self.proc = None
        return self.returncode

    def _cleanup(self):
        with contextlib.suppress(Exception):
            self.stop()
        if self._log:
            self._log.close()
            self._log = None

    def __exit__(self, exc_type, exc, tb):
        self._cleanup()
        if exc_type is not None:
            self.print_log()
        reports = self.sanitizer_reports()
        if self._tmp:
            self._tmp.cleanup()
        if exc_type is None and reports:
            raise AssertionError(f"turnout log has sanitizer or assertion reports: {reports}")
        return False


class TurnoutTestCase(unittest.TestCase):
    """Prints the logs of the class's turnouts (cls.turnouts) when a test fails."""

    turnouts = ()

    def run(self, result=None):
        before = len(result.failures) + len(result.errors) if result else 0
        outcome = super().run(result)
        if result and len(result.failures) + len(result.errors) > before:
            for t in self.turnouts:
                t._log_printed = False
                t.print_log(f"{self.id()} failed")
        return outcome



class BackendsTestCase(TurnoutTestCase):
    """Starts one echo backend per name in `backend_names` for the whole
    class, as cls.<name>, and stops them afterwards."""

    backend_names = ()

    @classmethod
    def setUpClass(cls):
        cls._backends = []
        try:
            for name in cls.backend_names:
                backend = EchoBackend(name).__enter__()
                cls._backends.append(backend)
                setattr(cls, name, backend)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for backend in cls._backends:
            backend.__exit__(None, None, None)

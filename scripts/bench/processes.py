"""The processes a benchmark run starts, and stopping every one of them.

Every process (servers, and clients such as wrk and curl) starts in a
session of its own, so that stopping it by its process group also reaches
the workers it forks (nginx, HAProxy and turnout all have some). Every group
id is also appended to the run's pid file (--pidfile): scripts/bench.sh
stops those groups in its EXIT trap, so nothing outlives the run even when
this Python process is killed.
"""

import os
import signal
import socket
import subprocess
import time


class BenchError(Exception):
    """A benchmark step that cannot go on; the message says what and where."""


class WaitTimeout(BenchError):
    """A condition that did not come true in time."""


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, what):
    """Polls predicate() every 2 ms until it is truthy and returns its value;
    raises BenchError naming `what` after `timeout` seconds. OSError from the
    predicate counts as not yet (a port not listening, a reset)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
            if value:
                return value
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise WaitTimeout(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.002)


def _process_table():
    """(pid, state, parent pid, process group) of every process, from /proc."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        yield int(entry), fields[0], int(fields[1]), int(fields[2])


def children(pid):
    """Pids whose parent is `pid`."""
    return [child for child, _, parent, _ in _process_table() if parent == pid]


def cpu_seconds(pids):
    """User plus system CPU time the processes `pids` have used, summed (from
    /proc/PID/stat; a pid that is gone counts 0)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of stat(5)
    return total / os.sysconf("SC_CLK_TCK")


def cpu_ticks():
    """Per CPU index, (busy, all) clock ticks since boot from /proc/stat;
    busy leaves out idle, iowait and steal."""
    ticks = {}
    with open("/proc/stat") as f:
        for line in f:
            name, *values = line.split()
            if name.startswith("cpu") and name[3:].isdigit():
                user, nice, system, idle, iowait, irq, softirq, steal = map(int, values[:8])
                all_ticks = user + nice + system + idle + iowait + irq + softirq + steal
                ticks[int(name[3:])] = (all_ticks - idle - iowait - steal, all_ticks)
    return ticks


def busy_shares(before, after):
    """Per CPU index, the share of the time between two cpu_ticks() it was busy."""
    return {cpu: (after[cpu][0] - before[cpu][0]) / max(after[cpu][1] - before[cpu][1], 1)
            for cpu in after if cpu in before}

def group_alive(group):
    """Whether a process of the group is still running (zombies do not count:
    an orphan's zombie waits on whoever reaps orphans here, not on us)."""
    return any(pgrp == group and state != "Z" for _, state, _, pgrp in _process_table())


class Process:
    """One started server: its name, its Popen and the file its output goes to."""

    def __init__(self, name, popen, log_path):
        self.name = name
        self.popen = popen
        self.log_path = log_path

    @property
    def pid(self):
        return self.popen.pid

    def log_tail(self, lines=15):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError as error:
            return f"(cannot read {self.log_path}: {error})"

    def check_running(self):
        """Raises BenchError with the end of the log if the process has exited."""
        code = self.popen.poll()
        if code is not None:
            raise BenchError(f"{self.name} exited with status {code}; the end of {self.log_path}:\n"
                             f"{self.log_tail()}")

    def wait_for(self, predicate, timeout, what):
        """wait_until(predicate, timeout, what) that fails at once if the process
        exits, and on timeout with the end of its log."""
        def running_and():
            self.check_running()
            return predicate()
        try:
            return wait_until(running_and, timeout, what)
        except WaitTimeout as error:
            raise BenchError(f"{error}; the end of {self.log_path}:\n{self.log_tail()}") from None

    def wait_for_port(self, port, timeout=30.0):
        """Waits until 127.0.0.1:port accepts a connection."""
        def listening():
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        self.wait_for(listening, timeout, f"{self.name} to listen on 127.0.0.1:{port}")


class Processes:
    """Starts servers in their own process groups and stops them all."""

    def __init__(self, log_dir, pidfile=None):
        self.log_dir = log_dir
        self.pidfile = pidfile
        self.running = []

    def start(self, name, argv, cpus=None, cwd=None, env=None):
        """Starts argv (under `taskset -c cpus` when given; with `env`, a
        complete environment), output to LOG_DIR/NAME.log; returns the Process."""
        log_path = os.path.join(self.log_dir, f"{name}.log")
        with open(log_path, "ab") as log:
            process = self._start(name, argv, cpus, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        process.log_path = log_path
        return process

    def run(self, argv, timeout, cpus=None):
        """Runs a client (wrk, curl) to its end, in a group of its own recorded
        like a server's; returns (exit status, stdout, stderr) as text. Past
        `timeout` seconds it is stopped and BenchError raised."""
        process = self._start(argv[0], argv, cpus, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            out, err = process.popen.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise BenchError(f"{' '.join(argv)} ran past {timeout} s and was stopped") from None
        finally:
            self.stop(process)
        return process.popen.returncode, out, err

    def _start(self, name, argv, cpus, **popen_args):
        if cpus:
            argv = ["taskset", "-c", cpus, *argv]
        popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, start_new_session=True, **popen_args)
        if self.pidfile:
            with open(self.pidfile, "a") as f:
                f.write(f"{popen.pid}\n")
        process = Process(name, popen, None)
        self.running.append(process)
        return process

    def stop(self, process, timeout=15.0):
        """SIGTERM to the process group, SIGKILL to what is left after `timeout`
        seconds; returns once the whole group is gone."""
        group = process.pid
        self._signal_group(group, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            process.popen.poll()
            if not group_alive(group):
                break
            time.sleep(0.01)
        if group_alive(group):
            self._signal_group(group, signal.SIGKILL)
        process.popen.wait(timeout=timeout)
        if process in self.running:
            self.running.remove(process)

    def stop_all(self):
        for process in reversed(list(self.running)):
            self.stop(process)

    @staticmethod
    def _signal_group(group, sig):
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            pass

"""Memory of a worker: resident and proportional set sizes, and the peak a
worker reaches while turnout streams a large body down and up."""

import json
import os
import time

import configs
from processes import BenchError
from servers import start_echo_backend, start_turnout


def _status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise BenchError(f"/proc/{pid}/status has no {key}")


def rss_kb(pid):
    return _status_kb(pid, "VmRSS")


def pss_kb(pid):
    """Proportional set size: pages shared with other processes (an nginx
    worker shares its config with the master) count in part."""
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    raise BenchError(f"/proc/{pid}/smaps_rollup has no Pss")


class WorkerMemory:
    """The largest RSS and PSS over a server's workers, in MB."""

    def __init__(self, server, settle=False):
        pids = server.workers()
        if not pids:
            raise BenchError(f"{server.name} has no workers to measure (master pid {server.process.pid})")
        if settle:
            _until_rss_settles(pids)
        self.rss_mb = max(rss_kb(pid) for pid in pids) / 1024
        self.pss_mb = max(pss_kb(pid) for pid in pids) / 1024


def _until_rss_settles(pids, deadline_s=5.0, step_s=0.1):
    """Waits until no worker's RSS changed over one step (or the deadline):
    a turnout worker acknowledges a config before it frees the one it
    replaced, so RSS read at the answer can still hold both."""
    last = [rss_kb(pid) for pid in pids]
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        time.sleep(step_s)
        now = [rss_kb(pid) for pid in pids]
        if now == last:
            return
        last = now


def _reset_peak(pid):
    # Writing 5 resets VmHWM to the current RSS (proc(5), clear_refs).
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")


def _curl(processes, argv, timeout):
    status, out, err = processes.run(["curl", "-sS", "--max-time", str(timeout), *argv], timeout=timeout + 10)
    if status != 0:
        raise BenchError(f"curl {' '.join(argv)} failed (status {status}): {err.strip()}")
    return out


class StreamPeak:
    """Peak worker RSS above idle while one body of `size` bytes passes, in MB."""

    def __init__(self, idle_kb, peak_kb, seconds):
        self.above_idle_mb = (peak_kb - idle_kb) / 1024
        self.idle_mb = idle_kb / 1024
        self.seconds = seconds


def streaming(env, size):
    """turnout with one worker in front of the echo backend: one body of `size`
    bytes down (GET ?bytes=SIZE) and one up (PUT of a sparse file). Returns
    {"down": StreamPeak, "up": StreamPeak}; fails unless every byte arrived."""
    backend = start_echo_backend(env.processes, env.run_dir, env.echo_bin)
    turnout = None
    try:
        turnout = start_turnout(env.processes, env.run_dir, "turnout-stream", env.turnout_bin,
                                lambda p: configs.turnout_routes(p, backend.port, 1, 0), 1)
        worker = turnout.workers()[0]
        url = f"http://127.0.0.1:{turnout.port}/stream"
        turnout.expect(200, path="/stream")
        results = {}

        def measure(direction, argv, check):
            idle = rss_kb(worker)
            _reset_peak(worker)
            started = time.monotonic()
            check(_curl(env.processes, argv, timeout=300))
            results[direction] = StreamPeak(idle, _status_kb(worker, "VmHWM"), time.monotonic() - started)

        def check_down(out):
            if out.strip() != f"200 {size}":
                raise BenchError(f"download through turnout: expected '200 {size}', got {out.strip()!r}")

        def check_up(out):
            body, _, status = out.rpartition("\n")
            if status != "200" or json.loads(body).get("body_length") != size:
                raise BenchError(f"upload through turnout: expected 200 and body_length {size}, got {out[:300]!r}")

        measure("down", ["-o", "/dev/null", "-w", "%{http_code} %{size_download}", f"{url}?bytes={size}"],
                check_down)
        upload = os.path.join(env.run_dir, "upload.bin")
        with open(upload, "wb") as f:
            f.truncate(size)  # sparse: reads as zeros, takes no disk
        try:
            measure("up", ["-T", upload, "-w", "\n%{http_code}", "-o", "-", url], check_up)
        finally:
            os.remove(upload)
        return results
    finally:
        if turnout:
            env.processes.stop(turnout.process)
        env.processes.stop(backend.process)

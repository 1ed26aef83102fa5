"""One load run: wrk against a server, its figures read from a Lua `done`
hook (wrk's own text rounds latencies and mixes units)."""

import json
import os

from processes import BenchError

# wrk calls done() once at the end; per-request hooks would slow wrk itself.
# Errors: socket errors (connect, read, write, timeout) plus responses wrk
# counts as failed (status > 399; no server here sends 1xx or 3xx).
_REPORT_HOOK = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nBENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "errors": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout + e.status))
end
"""


class LoadResult:
    def __init__(self, rps, p50_ms, p99_ms, errors, requests=0):
        self.rps = rps
        self.requests = requests
        self.p50_ms = p50_ms
        self.p99_ms = p99_ms
        self.errors = errors


class Load:
    """wrk with a fixed shape: `connections` keep-alive connections over
    `threads` threads for `seconds`, under `taskset -c cpus` when given.
    scheme "https" speaks TLS; `close` sends `Connection: close`, so every
    request opens a new connection (and, over TLS, makes a full handshake)."""

    def __init__(self, processes, run_dir, seconds, connections, threads, cpus=None, scheme="http",
                 close=False):
        self.processes = processes
        self.seconds = seconds
        self.connections = connections
        self.threads = threads
        self.cpus = cpus
        self.scheme = scheme
        self.close = close
        self.hook = os.path.join(run_dir, "report.lua")
        with open(self.hook, "w") as f:
            f.write(_REPORT_HOOK)

    def run(self, port, host="bench", path="/", seconds=None):
        seconds = seconds or self.seconds
        argv = ["wrk", "-t", str(self.threads), "-c", str(self.connections), "-d", f"{seconds}s",
                "--timeout", "2s", "-s", self.hook, "-H", f"Host: {host}"]
        if self.close:
            argv += ["-H", "Connection: close"]
        argv.append(f"{self.scheme}://127.0.0.1:{port}{path}")
        status, out, err = self.processes.run(argv, timeout=seconds + 30, cpus=self.cpus)
        lines = [line for line in out.splitlines() if line.startswith("BENCH ")]
        if status != 0 or not lines:
            raise BenchError(f"wrk against 127.0.0.1:{port} failed (status {status}): {' '.join(argv)}\n"
                             f"{out}{err}")
        figures = json.loads(lines[-1][len("BENCH "):])
        return LoadResult(rps=figures["requests"] / (figures["duration_us"] / 1e6),
                          p50_ms=figures["p50_us"] / 1000, p99_ms=figures["p99_us"] / 1000,
                          errors=figures["errors"], requests=figures["requests"])

"""Instructions per proxied request (issue 16): nginx, HAProxy and turnout,
one worker each, each run under valgrind's callgrind in front of the same
native backend. This machine has no hardware counters (`perf stat -e
instructions` is not supported) and its rps swing with the load; an
instruction count under callgrind does neither.

Two requests are counted, each on its own keep-alive connection: wrk's GET
(the request line and Host, what the throughput figures send) and a
browser's (twelve header fields, as a browser sends them for a page: what
a front proxy mostly sees). For each, a client outside valgrind sends
WARMUP GETs, callgrind's counters are zeroed (`callgrind_control -z`),
REQUESTS more go on the same connection, and the counters are dumped
(`callgrind_control -d`): the dump holds those requests only, not startup
or shutdown, and is a profile to read with `callgrind_annotate`. For turnout only the worker is
counted: its master starts it with posix_spawn("/proc/self/exe"), which valgrind
cannot follow, so a preloaded shim (valgrind_worker.c) runs the worker's
command under valgrind instead and the master runs natively."""

import glob
import os
import shutil
import socket
import subprocess

import configs
from processes import BenchError
from servers import ok_body_length, start_haproxy, start_nginx, start_turnout

PROXIES = ("nginx", "haproxy", "turnout")
WARMUP = 200
# Startup under valgrind is slow: a worker's first translation of every
# function it runs costs seconds.
START_TIMEOUT = 300.0
SHIM_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "valgrind_worker.c")

# The requests counted, by the name the table gives them.
REQUESTS = {
    "wrk's GET": "GET / HTTP/1.1\r\nHost: bench\r\n\r\n",
    "a browser's GET": (
        "GET /app/page?id=42 HTTP/1.1\r\nHost: bench\r\n"
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\r\n"
        "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
        "Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\n"
        "Referer: https://bench/app/\r\nConnection: keep-alive\r\n"
        "Cookie: session=abcdef0123456789; theme=dark\r\nUpgrade-Insecure-Requests: 1\r\n"
        "Sec-Fetch-Dest: document\r\nSec-Fetch-Mode: navigate\r\nSec-Fetch-Site: same-origin\r\n\r\n"),
}


class Count:
    """One server's instructions (callgrind's Ir) over `requests` requests."""

    def __init__(self, instructions, requests, profile):
        self.instructions = instructions
        self.requests = requests
        self.profile = profile  # the callgrind dump of those requests

    def per_request(self):
        return self.instructions / self.requests


class KeepAliveClient:
    """One keep-alive connection sending `request` and reading each whole
    answer (a Content-Length body: the backend's) before the next."""

    def __init__(self, port, request):
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.request = request.encode()
        self.pending = b""
        self.where = f"127.0.0.1:{port}"

    def get(self):
        self.socket.sendall(self.request)
        while b"\r\n\r\n" not in self.pending:
            self._receive()
        head, _, self.pending = self.pending.partition(b"\r\n\r\n")
        length = ok_body_length(head.decode(errors="replace"), self.where)
        while len(self.pending) < length:
            self._receive()
        body, self.pending = self.pending[:length], self.pending[length:]
        if body != configs.BODY.encode():
            raise BenchError(f"{self.where} answered the body {body[:200]!r}, expected {configs.BODY!r}")

    def _receive(self):
        data = self.socket.recv(65536)
        if not data:
            raise BenchError("the server closed the keep-alive connection")
        self.pending += data

    def close(self):
        self.socket.close()


def _callgrind_control(option, pid):
    result = subprocess.run(["callgrind_control", option, str(pid)], capture_output=True, text=True,
                            timeout=120)
    if result.returncode != 0:
        raise BenchError(f"callgrind_control {option} {pid} failed: {result.stdout}{result.stderr}")


def _dump_instructions(path):
    """The Ir total of a callgrind dump (its `totals:` line)."""
    with open(path) as f:
        for line in f:
            if line.startswith(("totals:", "summary:")):
                return int(line.split()[1])
    raise BenchError(f"{path} has no totals: line")


def _count(pid, port, request, requests, out_prefix):
    """Ir of `requests` keep-alive `request`s after WARMUP, in process `pid`
    (running under callgrind with --callgrind-out-file=OUT_PREFIX.%p)."""
    client = KeepAliveClient(port, request)
    try:
        for _ in range(WARMUP):
            client.get()
        _callgrind_control("-z", pid)
        for _ in range(requests):
            client.get()
        _callgrind_control("-d", pid)
    finally:
        client.close()
    dumps = sorted(glob.glob(f"{out_prefix}.{pid}.*"))
    if not dumps:
        raise BenchError(f"callgrind wrote no dump {out_prefix}.{pid}.*")
    return Count(_dump_instructions(dumps[-1]), requests, dumps[-1])


def _shim(run_dir):
    path = os.path.join(run_dir, "valgrind_worker.so")
    result = subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", path, SHIM_SOURCE, "-ldl"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise BenchError(f"cannot build {SHIM_SOURCE}: {result.stderr}")
    return path


def _start(env, name, backend, valgrind):
    """`name` with one worker in front of `backend`, its serving process under
    `valgrind` (argv); returns (server, pid of the process counted)."""
    label = f"{name}-instructions"
    if name == "nginx":
        server = start_nginx(env.processes, env.run_dir, label,
                             lambda d, p: configs.nginx_proxy(d, p, backend.port, 1, master=False), 0,
                             timeout=START_TIMEOUT, wrapper=valgrind)
        return server, server.process.pid
    if name == "haproxy":
        server = start_haproxy(env.processes, env.run_dir, label,
                               lambda p: configs.haproxy(p, backend.port, 1), timeout=START_TIMEOUT,
                               wrapper=valgrind)
        return server, server.process.pid
    environment = dict(os.environ, LD_PRELOAD=_shim(env.run_dir), TURNOUT_BENCH_VALGRIND=" ".join(valgrind))
    server = start_turnout(env.processes, env.run_dir, label, env.turnout_bin,
                           lambda p: configs.turnout_routes(p, backend.port, 1, 0), 1,
                           timeout=START_TIMEOUT, env=environment)
    return server, server.workers()[0]


def side_by_side(env, requests, keep_dir=None):
    """Returns name -> {request name -> Count}, in REQUESTS' order. With
    `keep_dir`, each server's callgrind dump of the counted requests is
    copied there as callgrind.out.NAME (wrk's GET) and
    callgrind.out.NAME.browser."""
    valgrind_bin = shutil.which("valgrind")
    if not valgrind_bin or not shutil.which("callgrind_control"):
        raise BenchError("--instructions needs valgrind (apt-get install valgrind)")
    out_dir = os.path.join(env.run_dir, "callgrind")
    os.makedirs(out_dir, exist_ok=True)
    backend = start_nginx(env.processes, env.run_dir, "backend-instructions", configs.nginx_backend, 1)
    counts = {}
    try:
        for name in PROXIES:
            out_prefix = os.path.join(out_dir, name)
            valgrind = [valgrind_bin, "--tool=callgrind", f"--callgrind-out-file={out_prefix}.%p"]
            server, pid = _start(env, name, backend, valgrind)
            try:
                counts[name] = {shape: _count(pid, server.port, request, requests, out_prefix)
                                for shape, request in REQUESTS.items()}
            finally:
                env.processes.stop(server.process)
            if keep_dir:
                os.makedirs(keep_dir, exist_ok=True)
                for suffix, count in zip(("", ".browser"), counts[name].values()):
                    shutil.copy(count.profile, os.path.join(keep_dir, f"callgrind.out.{name}{suffix}"))
    finally:
        env.processes.stop(backend.process)
    return counts


def markdown(counts):
    shapes = list(REQUESTS)
    requests = counts["turnout"][shapes[0]].requests
    rows = "\n".join(f"| {name} | " + " | ".join(f"{by_shape[shape].per_request():,.0f}" for shape in shapes) + " |"
                     for name, by_shape in counts.items())
    ratios = "; ".join(
        f"{shape}: turnout/nginx {counts['turnout'][shape].per_request() / counts['nginx'][shape].per_request():.2f}, "
        f"turnout/HAProxy {counts['turnout'][shape].per_request() / counts['haproxy'][shape].per_request():.2f}"
        for shape in shapes)
    return (f"### Instructions per proxied request, 1 worker each\n\n"
            f"Callgrind's instruction count (Ir) of the serving process over {requests:,} keep-alive GETs on "
            f"one connection, after {WARMUP} not counted; wrk's GET is the request line and Host, a "
            f"browser's has twelve header fields (see docs/benchmarks.md).\n\n"
            "| proxy | " + " | ".join(f"{shape}, instructions per request" for shape in shapes) + " |\n"
            "|---|" + "---|" * len(shapes) + "\n" + rows + "\n\n" + ratios)

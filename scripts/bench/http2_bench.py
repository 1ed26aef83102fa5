"""HTTP/2 (`--h2`): nginx (`listen ... ssl http2`) and turnout (`http2:
true`) terminating TLS with the same certificate in front of the same
backend, one worker each. h2load (Debian's nghttp2-client) with -c 50 -m 10
alternates between them: requests per second and p99 latency (from h2load's
per-request log). Then memory per idle HTTP/2 connection: worker RSS growth
over N connections that each did one request and then sit idle, divided by N."""

import os
import ssl
import socket
import sys
import time

import configs
from memory import rss_kb
from processes import BenchError
from servers import start_nginx, start_turnout
from throughput import cpu_plan

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "tests", "integration"))
from h2_helpers import H2Client  # noqa: E402
from tls_helpers import Pki  # noqa: E402

CLIENTS = 50
STREAMS = 10


class H2Series:
    """One server's h2load rounds."""

    def __init__(self):
        self.rps_runs = []
        self.p99_runs = []
        self.failed = 0

    @property
    def rps(self):
        return sorted(self.rps_runs)[len(self.rps_runs) // 2]

    @property
    def p99_ms(self):
        return sorted(self.p99_runs)[len(self.p99_runs) // 2]


def _h2load(env, cpus, port, seconds, log_path):
    """(requests per second, p99 ms, failed requests) of one h2load run."""
    argv = ["h2load", "-c", str(CLIENTS), "-m", str(STREAMS), "-D", str(seconds),
            "--warm-up-time", str(env.warmup_s), "--log-file", log_path,
            f"https://127.0.0.1:{port}/"]
    status, out, err = env.processes.run(argv, timeout=seconds + env.warmup_s + 60, cpus=cpus)
    if status != 0:
        raise BenchError(f"h2load exited with {status}: {err[-2000:]}")
    rps = failed = None
    for line in out.splitlines():
        if line.startswith("finished in"):
            rps = float(line.split(",")[1].split()[0])
        if line.startswith("requests:"):
            failed = int(line.split("failed")[0].split(",")[-1].split()[0])
    if rps is None:
        raise BenchError(f"h2load printed no rate:\n{out}")
    with open(log_path) as f:
        latencies = sorted(int(line.split()[2]) for line in f if line.strip())
    os.remove(log_path)
    p99 = latencies[int(len(latencies) * 0.99)] / 1000 if latencies else float("nan")
    return rps, p99, failed or 0


def _idle_kb_per_connection(server, count):
    """Worker RSS growth per idle HTTP/2 connection, in KiB, over `count`
    TLS connections that each did one GET."""
    worker = server.workers()[0]
    before = rss_kb(worker)
    clients = []
    try:
        for _ in range(count):
            client = H2Client(server.port, tls=True)
            stream = client.request("/", authority="bench")
            status = client.response(stream)[0]
            if status != 200:
                raise BenchError(f"{server.name} answered an h2 GET with {status}")
            clients.append(client)
        time.sleep(1.0)  # what the worker frees once requests end, it has freed
        return (rss_kb(worker) - before) / count
    finally:
        for client in clients:
            client.close()


def side_by_side(env, idle_connections):
    """Returns ({"nginx": H2Series, "turnout": H2Series}, {name: idle KiB per connection})."""
    proxy_cpus, load_cpus = cpu_plan(1, env.pin)
    directory = os.path.join(env.run_dir, "h2-certificates")
    os.makedirs(directory, exist_ok=True)
    cert, key = Pki(directory).leaf("bench", dns=["bench"], ips=["127.0.0.1"])
    started = []
    try:
        backend = start_nginx(env.processes, env.run_dir, "backend-h2", configs.nginx_backend, 1,
                              cpus=load_cpus)
        started.append(backend)
        nginx = start_nginx(env.processes, env.run_dir, "nginx-h2",
                            lambda d, p: configs.nginx_h2_proxy(d, p, backend.port, 1, cert, key),
                            1, cpus=proxy_cpus)
        started.append(nginx)
        turnout = start_turnout(env.processes, env.run_dir, "turnout-h2", env.turnout_bin,
                                lambda p: configs.turnout_routes(p, backend.port, 1, 0, tls=(cert, key),
                                                                 http2=True),
                                1, cpus=proxy_cpus)
        started.append(turnout)
        servers = {"nginx": nginx, "turnout": turnout}
        series = {name: H2Series() for name in servers}
        log_path = os.path.join(env.run_dir, "h2load.log")
        for _ in range(env.rounds):
            for name, server in servers.items():
                rps, p99, failed = _h2load(env, load_cpus, server.port, env.seconds, log_path)
                series[name].rps_runs.append(rps)
                series[name].p99_runs.append(p99)
                series[name].failed += failed
        idle = {name: _idle_kb_per_connection(server, idle_connections)
                for name, server in servers.items()}
        return series, idle
    finally:
        for server in reversed(started):
            env.processes.stop(server.process)


def markdown(series, idle, rounds, seconds, idle_connections):
    nginx, turnout = series["nginx"], series["turnout"]
    lines = [f"h2load -c {CLIENTS} -m {STREAMS}, {rounds} alternating rounds × {seconds} s per server, "
             "TLS 1.3 with ALPN h2, 1 worker each, same certificate and backend (median of rounds).",
             "",
             "| figure | nginx | turnout | turnout / nginx |",
             "|---|---|---|---|",
             f"| requests/s | {nginx.rps:,.0f} | {turnout.rps:,.0f} | {turnout.rps / nginx.rps:.2f} |",
             f"| p99 latency | {nginx.p99_ms:.2f} ms | {turnout.p99_ms:.2f} ms | "
             f"{turnout.p99_ms / nginx.p99_ms:.2f} |",
             f"| failed requests | {nginx.failed} | {turnout.failed} | |",
             f"| memory per idle h2 connection ({idle_connections} conns, worker RSS growth / conns) | "
             f"{idle['nginx']:.1f} KiB | {idle['turnout']:.1f} KiB | "
             f"{idle['turnout'] / idle['nginx']:.2f} |" if idle['nginx'] > 0 else
             f"| memory per idle h2 connection | {idle['nginx']:.1f} KiB | {idle['turnout']:.1f} KiB | |"]
    return "\n".join(lines)

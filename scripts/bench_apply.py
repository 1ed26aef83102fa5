#!/usr/bin/env python3
"""Change-to-live latency: turnout's apply against nginx's reload, on the same
machine in one run, plus worker memory with 10,000 routes and turnout's
throughput with 10,000 routes against 1 route.

For each case the clock runs from the moment the change is sent until the
change is served: for turnout, until `PUT` answers (it answers only once every
worker acknowledged); for nginx, from `nginx -s reload` until a request sees
the new config. Throughput is `wrk` on the same request (a route both configs
have) against a 1-route and a 10,000-route turnout in turn, alternating, and
the ratio of their medians. Prints a table; `--json FILE` also writes the
figures.

Usage: scripts/bench_apply.py [--build build] [--workers 2] [--rounds 50]
                              [--skip-nginx] [--rps-rounds 3] [--rps-seconds 5]
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from admin_client import Admin  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.002)
    raise TimeoutError("condition not met")


def http_get(port, path="/", host="bench"):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": host})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.read().decode()


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def children(pid):
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(values):
    return {"p50_ms": round(statistics.median(values), 2), "p99_ms": round(percentile(values, 99), 2),
            "n": len(values)}


def wrk_rps(port, seconds):
    """Requests per second of `wrk -t1 -c50` on the steady route, which every
    config here has; non-2xx answers or socket errors void the figure."""
    out = subprocess.run(["wrk", "-t1", "-c50", f"-d{seconds}s", "-H", "Host: bench",
                          f"http://127.0.0.1:{port}/__steady"],
                         capture_output=True, text=True, timeout=seconds + 30, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError("wrk saw failed requests:\n" + out)
    return float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))


# --- turnout -----------------------------------------------------------------

def turnout_config(port, backend, routes, marker):
    lines = [f"workers: {WORKERS}", "listeners:", f"  - {{ name: web, address: 127.0.0.1:{port} }}",
             "upstreams:", f"  app: {{ targets: [127.0.0.1:{backend}] }}", "routes:",
             f"  - {{ name: marker, match: {{ path: /__marker/{marker} }}, upstream: app }}",
             "  - { name: steady, match: { path: /__steady }, upstream: app }"]
    for i in range(routes):
        lines.append(f"  - {{ name: r{i}, match: {{ host: h{i}.example.com, path_prefix: /p{i}/ }},"
                     f" upstream: app }}")
    return "\n".join(lines) + "\n"


class TurnoutUnderTest:
    def __init__(self, binary, backend, routes):
        self.dir = tempfile.mkdtemp(prefix="bench-turnout-")
        self.port = free_port()
        self.backend = backend
        self.routes = routes
        path = os.path.join(self.dir, "turnout.yaml")
        with open(path, "w") as f:
            f.write(turnout_config(self.port, backend, routes, 0))
        self.log = open(os.path.join(self.dir, "turnout.log"), "wb")
        self.proc = subprocess.Popen([binary, "run", "-c", path, "--fresh"], cwd=self.dir,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.admin = Admin(self, os.path.join(self.dir, "run", "admin.sock"))
        wait_until(lambda: len([w for w in self.admin.status()["workers"]
                                if w["state"] == "ready"]) == WORKERS, timeout=120)

    def apply_whole(self, marker):
        started = time.perf_counter()
        response = self.admin.put_config(turnout_config(self.port, self.backend, self.routes, marker))
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status == 200, response
        assert "server" in http_get(self.port, f"/__marker/{marker}")
        return elapsed

    def apply_one_route(self, marker):
        body = {"name": "marker", "match": {"path": f"/__marker/{marker}"}, "upstream": "app"}
        started = time.perf_counter()
        response = self.admin.request("PUT", "/v1/routes/marker", body=body)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status == 200, response
        assert "server" in http_get(self.port, f"/__marker/{marker}")
        return elapsed

    def worker_rss_kb(self):
        return max(rss_kb(p) for p in children(self.proc.pid))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


# --- nginx -------------------------------------------------------------------

def nginx_config(directory, port, backend, routes, marker):
    servers = [f"""
    server {{
        listen 127.0.0.1:{port} default_server;
        location = /__marker {{ return 200 "{marker}"; }}
        location / {{ proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }}
    }}"""]
    for i in range(routes):
        servers.append(f"""
    server {{ listen 127.0.0.1:{port}; server_name h{i}.example.com;
        location /p{i}/ {{ proxy_pass http://app; }} }}""")
    return f"""worker_processes {WORKERS};
daemon on;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    server_names_hash_max_size 65536;
    server_names_hash_bucket_size 128;
    upstream app {{ server 127.0.0.1:{backend}; keepalive 16; }}
    {''.join(servers)}
}}
"""


class NginxUnderTest:
    def __init__(self, backend, routes):
        self.dir = tempfile.mkdtemp(prefix="bench-nginx-")
        self.port = free_port()
        self.backend = backend
        self.routes = routes
        self.path = os.path.join(self.dir, "nginx.conf")
        self.write(0)
        subprocess.run(["nginx", "-c", self.path, "-p", self.dir], check=True)
        wait_until(lambda: http_get(self.port, "/__marker") == "0", timeout=120)

    def write(self, marker):
        with open(self.path, "w") as f:
            f.write(nginx_config(self.dir, self.port, self.backend, self.routes, marker))

    def reload(self, marker):
        self.write(marker)
        started = time.perf_counter()
        subprocess.run(["nginx", "-c", self.path, "-p", self.dir, "-s", "reload"], check=True)
        wait_until(lambda: http_get(self.port, "/__marker") == str(marker), timeout=60)
        return (time.perf_counter() - started) * 1000

    def master_pid(self):
        with open(os.path.join(self.dir, "nginx.pid")) as f:
            return int(f.read())

    def worker_rss_kb(self):
        return max(rss_kb(p) for p in children(self.master_pid()))

    def stop(self):
        subprocess.run(["nginx", "-c", self.path, "-p", self.dir, "-s", "quit"])
        pid = self.master_pid()
        wait_until(lambda: not os.path.exists(f"/proc/{pid}"), timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


# --- the run -----------------------------------------------------------------

def measure(name, runner, rounds):
    values = [runner(i + 1) for i in range(rounds)]
    return name, summary(values)


def main():
    global WORKERS
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--big-rounds", type=int, default=10)
    parser.add_argument("--routes", type=int, default=10000)
    parser.add_argument("--skip-nginx", action="store_true", help="measure turnout only")
    parser.add_argument("--rps-rounds", type=int, default=3,
                        help="wrk runs per config for the 1-route/N-route throughput (0: skip)")
    parser.add_argument("--rps-seconds", type=int, default=5)
    parser.add_argument("--json")
    args = parser.parse_args()
    WORKERS = args.workers
    args.build = os.path.abspath(args.build)
    binary = os.path.join(args.build, "turnout")

    backend = subprocess.Popen([os.path.join(args.build, "tests", "echo_backend"), "--name", "app"],
                               stdout=subprocess.PIPE, text=True)
    backend_port = int(backend.stdout.readline().split()[1])
    results, memory, rps = {}, {}, {}
    try:
        small = TurnoutUnderTest(binary, backend_port, 1)
        results["turnout apply, small config"] = summary([small.apply_whole(i + 1) for i in range(args.rounds)])
        small.stop()
        if not args.skip_nginx:
            nginx_small = NginxUnderTest(backend_port, 1)
            results["nginx reload, small config"] = summary(
                [nginx_small.reload(i + 1) for i in range(args.rounds)])
            nginx_small.stop()

        big = TurnoutUnderTest(binary, backend_port, args.routes)
        memory["turnout, at start"] = big.worker_rss_kb()
        results[f"turnout one-route change, {args.routes} routes"] = summary(
            [big.apply_one_route(i + 1) for i in range(args.rounds)])
        results[f"turnout whole apply, {args.routes} routes"] = summary(
            [big.apply_whole(i + 1) for i in range(args.big_rounds)])
        memory["turnout"] = big.worker_rss_kb()
        if args.rps_rounds > 0:
            one = TurnoutUnderTest(binary, backend_port, 0)
            for _ in range(args.rps_rounds):
                rps.setdefault("1 route", []).append(wrk_rps(one.port, args.rps_seconds))
                rps.setdefault(f"{args.routes} routes", []).append(wrk_rps(big.port, args.rps_seconds))
            one.stop()
        big.stop()
        if not args.skip_nginx:
            nginx_big = NginxUnderTest(backend_port, args.routes)
            results[f"nginx reload, {args.routes} routes"] = summary(
                [nginx_big.reload(i + 1) for i in range(args.big_rounds)])
            memory["nginx"] = nginx_big.worker_rss_kb()
            nginx_big.stop()
    finally:
        backend.terminate()
        backend.wait()

    print(f"workers: {WORKERS}; machine: {os.cpu_count()} CPUs")
    print(f"{'case':48} {'p50 ms':>10} {'p99 ms':>10} {'n':>5}")
    for name, figures in results.items():
        print(f"{name:48} {figures['p50_ms']:>10} {figures['p99_ms']:>10} {figures['n']:>5}")
    for name, kb in memory.items():
        print(f"worker RSS with {args.routes} routes, {name}: {kb / 1024:.1f} MB")
    for name, values in rps.items():
        print(f"turnout rps, {name}: {' / '.join(f'{v:.0f}' for v in values)}")
    if rps:
        ratio = statistics.median(rps[f"{args.routes} routes"]) / statistics.median(rps["1 route"])
        print(f"turnout rps, {args.routes} routes / 1 route (medians): {ratio:.3f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"latency": results, "worker_rss_kb": memory, "rps": rps}, f, indent=2)


if __name__ == "__main__":
    main()

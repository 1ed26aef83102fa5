#!/usr/bin/env python3
"""HTTPS against nginx, same machine, one run: TLS handshakes per second
(every request on a new connection, `Connection: close`) and keep-alive
requests per second, one worker each, the same certificate (EC P-256, made
here) and the same echo backend behind both; plain HTTP keep-alive too, to
tell what TLS costs from what proxying costs. Each case alternates turnout
and nginx for --rounds short runs and keeps each one's median, so a load
change on a shared machine hits both alike. Prints requests/s, the
turnout/nginx ratio, and the worker's CPU time per request (from
/proc/PID/stat around each run), which a busy machine disturbs less than
throughput; compare ratios, not absolute figures.

Needs wrk and nginx (scripts/install-deps.sh --bench).
Usage: scripts/bench_tls.py [--build build] [--seconds 5] [--rounds 3] [--connections 50]
"""

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from bench_apply import children, free_port, wait_until  # noqa: E402
from harness import can_connect  # noqa: E402
from tls_helpers import Pki  # noqa: E402


def turnout_config(port, plain_port, backend, cert, key):
    return f"""workers: 1
listeners:
  - {{ name: web, address: 127.0.0.1:{plain_port} }}
  - name: websecure
    address: 127.0.0.1:{port}
    tls: {{ certificates: [{{ cert: {cert}, key: {key} }}] }}
upstreams:
  app: {{ targets: [127.0.0.1:{backend}] }}
routes:
  - {{ name: all, match: {{ path_prefix: / }}, upstream: app }}
"""


def nginx_config(directory, port, plain_port, backend, cert, key):
    return f"""worker_processes 1;
daemon off;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    upstream app {{ server 127.0.0.1:{backend}; keepalive 64; }}
    server {{
        listen 127.0.0.1:{plain_port};
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;
        location / {{ proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }}
    }}
}}
"""


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(url, seconds, connections, close, worker):
    """(requests/s, socket errors, non-2xx count, worker CPU µs per request)."""
    cpu_before = cpu_seconds(worker)
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s"]
    if close:
        args += ["-H", "Connection: close"]
    out = subprocess.run(args + [url], capture_output=True, text=True,
                         timeout=seconds + 60).stdout
    cpu = cpu_seconds(worker) - cpu_before
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    errors = re.search(r"Socket errors: (.*)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    requests = int(total.group(1)) if total else 0
    return (float(rate.group(1)) if rate else 0.0, errors.group(1) if errors else "none",
            int(non_2xx.group(1)) if non_2xx else 0, cpu * 1e6 / requests if requests else 0.0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="bench-tls-")
    cert, key = Pki(work).leaf("bench", dns=["bench.test"], ips=["127.0.0.1"])
    processes = []
    try:
        backend = subprocess.Popen([os.path.join(args.build, "tests", "echo_backend"), "--name", "app"],
                                   stdout=subprocess.PIPE, text=True)
        processes.append(backend)
        backend_port = int(backend.stdout.readline().split()[1])

        turnout_port, nginx_port = free_port(), free_port()
        turnout_plain, nginx_plain = free_port(), free_port()
        config = os.path.join(work, "turnout.yaml")
        with open(config, "w") as f:
            f.write(turnout_config(turnout_port, turnout_plain, backend_port, cert, key))
        log = open(os.path.join(work, "turnout.log"), "wb")
        processes.append(subprocess.Popen([os.path.join(args.build, "turnout"), "run", "-c", config],
                                          cwd=work, stdout=log, stderr=subprocess.STDOUT))
        turnout_master = processes[-1].pid
        nginx_conf = os.path.join(work, "nginx.conf")
        with open(nginx_conf, "w") as f:
            f.write(nginx_config(work, nginx_port, nginx_plain, backend_port, cert, key))
        processes.append(subprocess.Popen(["nginx", "-c", nginx_conf, "-p", work, "-e", "stderr"],
                                          stderr=subprocess.DEVNULL))
        wait_until(lambda: all(can_connect(p) for p in (turnout_port, nginx_port, turnout_plain,
                                                          nginx_plain)), timeout=60)
        nginx_master = processes[-1].pid
        wait_until(lambda: children(turnout_master) and children(nginx_master), timeout=60)
        workers = {"turnout": children(turnout_master)[0], "nginx": children(nginx_master)[0]}

        results = {}
        cases = (("TLS handshakes/s (Connection: close)", "https", True),
                 ("HTTPS keep-alive requests/s", "https", False),
                 ("plain HTTP keep-alive requests/s", "http", False))
        ports = {("turnout", "https"): turnout_port, ("nginx", "https"): nginx_port,
                 ("turnout", "http"): turnout_plain, ("nginx", "http"): nginx_plain}
        for name, scheme, close in cases:
            runs = {"turnout": [], "nginx": []}
            for _ in range(args.rounds):
                for server in runs:
                    url = f"{scheme}://127.0.0.1:{ports[(server, scheme)]}/"
                    runs[server].append(wrk(url, args.seconds, args.connections, close,
                                            workers[server]))
            for server, measured in runs.items():
                rate = statistics.median(r[0] for r in measured)
                errors = "; ".join(sorted({r[1] for r in measured}))
                cpu = statistics.median(r[3] for r in measured)
                results[(name, server)] = (rate, errors, sum(r[2] for r in measured), cpu)
    finally:
        for proc in reversed(processes):
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)

    print(f"one worker each; wrk -t2 -c{args.connections} -d{args.seconds}s, median of "
          f"{args.rounds} alternating runs; {os.cpu_count()} CPUs")
    print(f"{'case':38} {'turnout':>9} {'nginx':>9} {'ratio':>6} {'CPU µs/req':>18}  errors")
    for name in dict.fromkeys(n for n, _ in results):
        ours, theirs = results[(name, "turnout")], results[(name, "nginx")]
        ratio = ours[0] / theirs[0] if theirs[0] else float("nan")
        print(f"{name:38} {ours[0]:>9.0f} {theirs[0]:>9.0f} {ratio:>6.2f} "
              f"{ours[3]:>8.1f} / {theirs[3]:<8.1f}  "
              f"{ours[1]}, non-2xx {ours[2]} / {theirs[1]}, non-2xx {theirs[2]}")


if __name__ == "__main__":
    main()

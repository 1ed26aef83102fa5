"""Fleet mode (issue 13): NODES turnout instances (1 worker each) watching
one etcd. Measures the time from a put's response until every node serves
the change (its admin status reports the put's revision, which it does once
its worker acknowledged the version), p50/p99 over single-route puts; then
with ROUTES routes in etcd, the first load (start to every node serving),
worker RSS, and the same put-to-all-nodes time."""

import base64
import json
import os
import shutil
import statistics
import threading
import time
import urllib.request

from processes import BenchError, free_port
import configs
import fleet_rollout
from servers import Admin, _folder, _write, http_get, start_nginx

PREFIX = "/bench/fleet/"
NODE_CONFIG = """\
workers: 1
state_dir: run/state
listeners:
  - {{ name: web, address: "127.0.0.1:{port}" }}
source:
  etcd:
    endpoints: ["{url}"]
    prefix: {prefix}
    node: node-{index}
"""


def _b64(text):
    return base64.b64encode(text.encode()).decode()


class Etcd:
    def __init__(self, processes, run_dir):
        self.port, peer = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        data = _folder(run_dir, "etcd-data")
        binary = shutil.which("etcd") or "/usr/bin/etcd"
        self.process = processes.start("etcd", [
            binary, "--name", "bench", "--data-dir", data, "--listen-client-urls", self.url,
            "--advertise-client-urls", self.url, "--listen-peer-urls", f"http://127.0.0.1:{peer}",
            "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
            "--initial-cluster", f"bench=http://127.0.0.1:{peer}", "--log-level", "warn", "--logger", "zap",
            "--quota-backend-bytes", str(4 * 2**30)])
        self.process.wait_for(self._healthy, 30, "etcd to be healthy")

    def _healthy(self):
        with urllib.request.urlopen(self.url + "/health", timeout=1) as answer:
            return json.loads(answer.read()).get("health") == "true"

    def call(self, path, body):
        request = urllib.request.Request(self.url + path, data=json.dumps(body).encode())
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())

    def put_many(self, keys):
        """Puts {key: value} in transactions of 100; returns the last revision."""
        items, revision = list(keys.items()), 0
        for start in range(0, len(items), 100):
            ops = [{"request_put": {"key": _b64(k), "value": _b64(v)}} for k, v in items[start:start + 100]]
            revision = int(self.call("/v3/kv/txn", {"success": ops})["header"]["revision"])
        return revision

    def delete_prefix(self, prefix):
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        self.call("/v3/kv/deleterange", {"key": _b64(prefix), "range_end": _b64(end)})


def _route(index, version=0):
    return f"match: {{ path_prefix: /r{index}/v{version}/ }}\nupstream: app\n"


def _config_keys(routes, backend_port):
    keys = {f"{PREFIX}upstreams/app": f"targets: [127.0.0.1:{backend_port}]\n"}
    for index in range(routes):
        keys[f"{PREFIX}routes/r{index:05d}"] = _route(index)
    return keys


class Node:
    def __init__(self, env, etcd, index):
        directory = _folder(env.run_dir, f"fleet-node-{index}")
        self.port = free_port()
        config = _write(os.path.join(directory, "turnout.yaml"),
                        NODE_CONFIG.format(port=self.port, url=etcd.url, prefix=PREFIX, index=index))
        self.process = env.processes.start(f"fleet-node-{index}", [env.turnout_bin, "run", "-c", config, "--fresh"],
                                           cwd=directory)
        self.admin = Admin(None, os.path.join(directory, "run", "admin.sock"))

    def revision(self):
        try:
            return self.admin.status().get("etcd", {}).get("revision", 0)
        except (OSError, AssertionError):
            return 0

    def worker_rss_kb(self):
        for worker in self.admin.status()["workers"]:
            with open(f"/proc/{worker['pid']}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        return 0


def _until_all_serve(nodes, revision, timeout=60.0, started=None):
    """Seconds from `started` (now) until every node serves `revision`
    (one poller each)."""
    return _until_all(lambda i: nodes[i].revision() >= revision, len(nodes), f"revision {revision}", timeout,
                      started)


def _until_all(served, count, what, timeout, started=None):
    started = started or time.monotonic()
    seen = [None] * count

    def poll(i):
        deadline = started + timeout
        while time.monotonic() < deadline:
            try:
                if served(i):
                    seen[i] = time.monotonic()
                    return
            except OSError:
                pass
            time.sleep(0.001)

    threads = [threading.Thread(target=poll, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if any(s is None for s in seen):
        raise BenchError(f"{seen.count(None)} of {count} servers did not serve {what} within {timeout} s")
    return max(seen) - started


def _put_to_all(etcd, nodes, puts, routes):
    times = []
    for version in range(1, puts + 1):
        index = version % routes
        revision = etcd.put_many({f"{PREFIX}routes/r{index:05d}": _route(index, version)})
        times.append(_until_all_serve(nodes, revision) * 1000)
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]


def _nginx_reloads_to_all(env, count, changes, backend_port):
    """The same change given to `count` nginx as a file + reload (SIGHUP), each
    timed until every one answers it: p50 / p99 ms."""
    def config(marker):
        return lambda directory, port: configs.nginx_routes(directory, port, backend_port, 1, 10, marker)

    servers = [start_nginx(env.processes, env.run_dir, f"fleet-nginx-{i}", config(0), 1) for i in range(count)]
    times = []
    try:
        for marker in range(1, changes + 1):
            started = time.monotonic()
            for nginx in servers:
                nginx.reload(config(marker)(nginx.directory, nginx.port))
            seconds = _until_all(lambda i, m=marker: http_get(servers[i].port, "/__marker") == (200, str(m)),
                                 count, f"nginx marker {marker}", 60.0, started)
            times.append(seconds * 1000)
            for nginx in servers:
                nginx.process.wait_for(lambda n=nginx: len(n.workers()) == 1, 60.0, f"{nginx.name}'s old worker to exit")
    finally:
        for nginx in servers:
            env.processes.stop(nginx.process)
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]


def measure(env, node_count, puts, big_routes):
    """Returns rows (figure, measured) for the fleet section."""
    etcd = Etcd(env.processes, env.run_dir)
    backend_port = free_port()
    rows = []
    try:
        revision = etcd.put_many(_config_keys(10, backend_port))
        nodes = [Node(env, etcd, i) for i in range(node_count)]
        _until_all_serve(nodes, revision, timeout=120)
        p50, p99 = _put_to_all(etcd, nodes, puts, 10)
        rows.append((f"one-route put to all {node_count} nodes, 10 routes: p50 / p99 ms", f"{p50:.1f} / {p99:.1f}"))
        p50, p99 = _nginx_reloads_to_all(env, node_count, max(10, puts // 5), backend_port)
        rows.append((f"the same change to {node_count} nginx as a file + reload, 10 routes: p50 / p99 ms",
                     f"{p50:.1f} / {p99:.1f}"))
        rows += fleet_rollout.measure(env, etcd, nodes, PREFIX, _until_all_serve)
        for node in nodes:
            env.processes.stop(node.process)
        etcd.delete_prefix(PREFIX)
        revision = etcd.put_many(_config_keys(big_routes, backend_port))
        started = time.monotonic()
        nodes = [Node(env, etcd, 100 + i) for i in range(node_count)]
        _until_all_serve(nodes, revision, timeout=300)
        rows.append((f"first load of {big_routes} routes, start to all {node_count} nodes serving: s",
                     f"{time.monotonic() - started:.2f}"))
        rss = [node.worker_rss_kb() for node in nodes]
        rows.append((f"worker RSS with {big_routes} routes: median / max MiB",
                     f"{statistics.median(rss) / 1024:.1f} / {max(rss) / 1024:.1f}"))
        p50, p99 = _put_to_all(etcd, nodes, max(10, puts // 5), big_routes)
        rows.append((f"one-route put to all {node_count} nodes, {big_routes} routes: p50 / p99 ms",
                     f"{p50:.1f} / {p99:.1f}"))
    finally:
        env.processes.stop(etcd.process)
    return rows


def markdown(rows, node_count):
    lines = ["| figure | measured |", "|---|---|"] + [f"| {a} | {b} |" for a, b in rows]
    return (f"### Fleet mode ({node_count} nodes, 1 worker each, one etcd)\n\n"
            "From a put's response until every node's status reports the put's revision (its worker "
            "acknowledged the version).\n\n" + "\n".join(lines))

"""Fleet rollouts (issue 14) on the fleet section's nodes, with traffic on
every node: the time from a step decision (the leader's transaction seen in
etcd) until every node serves it, over the steps of a healthy rollout; and
from a canary starting to fail until every node serves the rollback. The
failing canary is an upstream nobody listens on, so it fails from its first
request; the clock starts when the leader wrote its first step (the
transition's time), before any node serves it: a little before the first
failure, so the figure is an upper bound. Times the leader recorded are wall
clock, turned into this process's monotonic clock (one machine)."""

import base64
import http.client
import json
import statistics
import threading
import time

from processes import BenchError, free_port

ROUTE = "canaried"
INTERVAL_S = 1


def _b64(text):
    return base64.b64encode(text.encode()).decode()


class Load:
    """One thread per node sending GET /canaried/ on a keep-alive connection
    until stopped (errors counted and retried)."""

    def __init__(self, ports):
        self.stop_event = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(port,), daemon=True) for port in ports]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout=10)

    def _run(self, port):
        conn = None
        while not self.stop_event.wait(0.01):
            try:
                conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", f"/{ROUTE}/x")
                conn.getresponse().read()
            except (OSError, http.client.HTTPException):
                if conn:
                    conn.close()
                conn = None


def _rollout(etcd, prefix):
    answer = etcd.call("/v3/kv/range", {"key": _b64(prefix + "rollouts/" + ROUTE)})
    kvs = answer.get("kvs", [])
    if not kvs:
        return None, 0
    return json.loads(base64.b64decode(kvs[0]["value"])), int(kvs[0]["mod_revision"])


def _wait_rollout(etcd, prefix, predicate, what, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rollout, revision = _rollout(etcd, prefix)
        if rollout and predicate(rollout):
            return rollout, revision
        time.sleep(0.002)
    raise BenchError(f"the fleet rollout did not reach {what} within {timeout} s: {_rollout(etcd, prefix)[0]}")


def _monotonic_at(unix_ms):
    return time.monotonic() - (time.time() - unix_ms / 1000)


def _start(env, etcd, prefix, *args):
    status, out, err = env.processes.run(
        [env.turnout_bin, "fleet", "rollout", "start", ROUTE, "--to", "canary", "--interval", f"{INTERVAL_S}s",
         "--min-requests", "20", "--etcd", etcd.url, "--prefix", prefix, *args], timeout=30)
    if status != 0:
        raise BenchError(f"fleet rollout start failed ({status}): {err}")


def measure(env, etcd, nodes, prefix, until_all_serve, runs=3):
    """Rows (figure, measured); `until_all_serve(nodes, revision, started=)`
    times the nodes as the fleet section does."""
    stable = free_port()
    stable_process = env.processes.start("fleet-stable", [env.echo_bin, "--port", str(stable), "--name", "stable"])
    stable_process.wait_for_port(stable, 30)
    rows = []
    try:
        with Load([node.port for node in nodes]):
            steps = []
            port = free_port()
            canary = env.processes.start("fleet-canary", [env.echo_bin, "--port", str(port), "--name", "canary"])
            canary.wait_for_port(port, 30)
            base = {f"{prefix}upstreams/stable": f"targets: [127.0.0.1:{stable}]\n",
                    f"{prefix}routes/{ROUTE}": f"match: {{ path_prefix: /{ROUTE}/ }}\nupstream: stable\n"}
            until_all_serve(nodes, etcd.put_many({**base, f"{prefix}upstreams/canary": f"targets: [127.0.0.1:{port}]\n"}))
            _start(env, etcd, prefix, "--steps", "10,20,30,40,50,60,70,80,90,100")
            weight = None
            while True:
                rollout, revision = _wait_rollout(etcd, prefix, lambda r, w=weight: r.get("weight") != w
                                                  and r.get("state") in ("stepping", "promoted"), "a step")
                weight = rollout["weight"]
                decided = _monotonic_at(rollout["transitions"][-1]["time_ms"])
                steps.append(until_all_serve(nodes, revision, started=decided) * 1000)
                if rollout["state"] == "promoted":
                    break
            env.processes.stop(canary)
            rows.append((f"fleet rollout step decision to all {len(nodes)} nodes serving it "
                         f"({len(steps)} steps): p50 / max ms",
                         f"{statistics.median(steps):.1f} / {max(steps):.1f}"))
            rollbacks = []
            for _ in range(runs):
                dead = free_port()
                until_all_serve(nodes, etcd.put_many({**base, f"{prefix}upstreams/canary": f"targets: [127.0.0.1:{dead}]\n"}))
                _start(env, etcd, prefix, "--steps", "50,100", "--max-error-rate", "0.05")
                rollout, revision = _wait_rollout(etcd, prefix, lambda r: r.get("state") in ("rolled_back", "promoted"),
                                                  "the rollback")
                if rollout["state"] != "rolled_back":
                    raise BenchError(f"the failing canary was promoted: {rollout}")
                failing_from = _monotonic_at(rollout["transitions"][0]["time_ms"])
                rollbacks.append(until_all_serve(nodes, revision, started=failing_from) * 1000)
            rows.append((f"canary failing to its rollback served on all {len(nodes)} nodes, {INTERVAL_S} s interval "
                         f"(goal: interval + 100 ms), {runs} runs: p50 / max ms",
                         f"{statistics.median(rollbacks):.1f} / {max(rollbacks):.1f}"))
    finally:
        env.processes.stop(stable_process)
    return rows

"""Change-to-live latency: turnout's apply through the admin socket against
nginx's reload, each timed from the moment the change is sent until a request
on a fresh connection sees it; and the worker memory of each with many routes.

A change is seen when /__marker/N answers (turnout: a route matching that
path alone; nginx: a location answering N). For turnout the time the admin
request itself takes is kept too: it answers once every worker has
acknowledged the change, so it is the time to apply to all workers.
"""

import statistics
import time

import configs
from memory import WorkerMemory
from processes import BenchError, wait_until
from servers import http_get, start_nginx, start_turnout


SMALL = "small config (1 route)"


def case(change, config, moment):
    """The name of one case: case("turnout apply", SMALL, "answered")."""
    return f"{change}, {config}: {moment}"


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Latencies:
    """Milliseconds over the rounds of one case."""

    def __init__(self, values):
        self.values = values

    def p50(self):
        return statistics.median(self.values)

    def p99(self):
        return percentile(self.values, 99)


def _until_seen(port, predicate, what):
    return wait_until(lambda: predicate(*http_get(port, *what)), 30.0,
                      f"a request to 127.0.0.1:{port} to see {what}")


def _turnout_change(turnout, send, path):
    """Sends one change; returns (ms until the admin API answered, ms until a
    GET of `path` answers 200)."""
    started = time.perf_counter()
    response = send()
    answered = time.perf_counter()
    if response.status != 200:
        raise BenchError(f"{turnout.name}: the change was refused: {response}")
    _until_seen(turnout.port, lambda status, _: status == 200, (path,))
    seen = time.perf_counter()
    return (answered - started) * 1000, (seen - started) * 1000


def turnout_applies(turnout, make_config, rounds, first_marker):
    """`rounds` whole-config applies, each with a new marker. Returns
    (Latencies answered, Latencies seen)."""
    answered, seen = [], []
    for marker in range(first_marker, first_marker + rounds):
        a, s = _turnout_change(turnout, lambda: turnout.admin.put_config(make_config(marker)),
                               f"/__marker/{marker}")
        answered.append(a)
        seen.append(s)
    return Latencies(answered), Latencies(seen)


def turnout_route_changes(turnout, rounds, first_marker):
    """`rounds` changes of the one route `marker` (PUT /v1/routes/marker)."""
    answered, seen = [], []
    for marker in range(first_marker, first_marker + rounds):
        body = {"match": {"path": f"/__marker/{marker}"}, "upstream": "app"}
        a, s = _turnout_change(turnout, lambda: turnout.admin.request("PUT", "/v1/routes/marker", body=body),
                               f"/__marker/{marker}")
        answered.append(a)
        seen.append(s)
    return Latencies(answered), Latencies(seen)


def nginx_reloads(nginx, make_config, workers, rounds, first_marker):
    """`rounds` reloads, each with a new marker, timed from the signal until a
    request sees it; waits for the old workers to be gone between rounds, so
    that `workers` are left."""
    seen = []
    for marker in range(first_marker, first_marker + rounds):
        text = make_config(nginx.directory, nginx.port, marker)
        started = time.perf_counter()
        nginx.reload(text)
        _until_seen(nginx.port, lambda status, body, m=marker: status == 200 and body == str(m), ("/__marker",))
        seen.append((time.perf_counter() - started) * 1000)
        nginx.process.wait_for(lambda: len(nginx.workers()) == workers, 60.0,
                               f"{nginx.name}'s old workers to exit after reload {marker}")
    return Latencies(seen)


def measure(env, routes, backend):
    """Every change-to-live case for a small config and a `routes`-route
    config, and worker memory with `routes` routes. Returns (cases, memory):
    cases maps a case name to Latencies; memory maps a name to WorkerMemory."""
    workers = env.apply_workers
    cases, memory = {}, {}
    rounds, big_rounds = env.apply_rounds, env.big_apply_rounds

    def turnout_config(count):
        return lambda port, marker=0: configs.turnout_routes(port, backend.port, workers, count, marker)

    def every_route_changed(count, first_marker):
        # Each round moves every route to the other path prefix (/q…/ first:
        # the live config has /p…/): a whole config that reaches the workers
        # as a snapshot, not as the one change the marker alone makes
        # (docs/operations.md, "Changing the config").
        return lambda port, marker: configs.turnout_routes(port, backend.port, workers, count, marker,
                                                           prefix="qp"[(marker - first_marker) % 2])

    def nginx_config(count):
        return lambda directory, port, marker=0: configs.nginx_routes(directory, port, backend.port,
                                                                      workers, count, marker)

    def record(change, label, latencies):
        cases[case(change, label, "answered")], cases[case(change, label, "seen")] = latencies

    for count, label in ((1, SMALL), (routes, f"{routes} routes")):
        make = turnout_config(count)
        turnout = start_turnout(env.processes, env.run_dir, f"turnout-apply-{count}", env.turnout_bin,
                                make, workers)
        try:
            memory[f"turnout, {label}, after start"] = WorkerMemory(turnout)
            if count == 1:
                record("turnout apply", label,
                       turnout_applies(turnout, lambda m: make(turnout.port, m), rounds, 1))
            else:
                record("turnout one-route change", label, turnout_route_changes(turnout, rounds, 1))
                record("turnout whole apply", label,
                       turnout_applies(turnout, lambda m: make(turnout.port, m), big_rounds, rounds + 1))
                first = rounds + big_rounds + 1
                every = every_route_changed(count, first)
                record("turnout whole apply, every route changed", label,
                       turnout_applies(turnout, lambda m: every(turnout.port, m), big_rounds, first))
            memory[f"turnout, {label}, after the changes"] = WorkerMemory(turnout, settle=True)
        finally:
            env.processes.stop(turnout.process)

        nginx = start_nginx(env.processes, env.run_dir, f"nginx-apply-{count}", nginx_config(count),
                            workers, timeout=120.0)
        try:
            memory[f"nginx, {label}, after start"] = WorkerMemory(nginx)
            cases[case("nginx reload", label, "seen")] = nginx_reloads(
                nginx, nginx_config(count), workers, rounds if count == 1 else big_rounds, 1)
            memory[f"nginx, {label}, after the reloads"] = WorkerMemory(nginx)
        finally:
            env.processes.stop(nginx.process)
    return cases, memory

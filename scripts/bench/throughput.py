"""Requests per second and latency: nginx, HAProxy and turnout in front of the
same nginx backend, measured in turn, several rounds; and turnout with many
routes against turnout with one."""

import os
import statistics

import configs
from processes import busy_shares, cpu_seconds, cpu_ticks
from servers import start_haproxy, start_nginx, start_turnout


def cpu_plan(workers, pin):
    """(proxy CPUs, load CPUs) as taskset lists: the proxy gets `workers` CPUs
    of its own and wrk and the backend share the rest. (None, None), nothing
    pinned, when `pin` is off or there are not workers + 1 CPUs."""
    cpus = sorted(os.sched_getaffinity(0))
    if not pin or len(cpus) < workers + 1:
        return None, None
    return ",".join(map(str, cpus[-workers:])), ",".join(map(str, cpus[:-workers]))


def cpu_indexes(taskset_list):
    """The CPU indexes of a list cpu_plan made ("0", "1,2")."""
    return [int(cpu) for cpu in taskset_list.split(",")]


class Series:
    """The load results of one server over the rounds, with their medians."""

    def __init__(self):
        self.results = []

    def rps(self):
        return statistics.median(r.rps for r in self.results)

    def p50_ms(self):
        return statistics.median(r.p50_ms for r in self.results)

    def p99_ms(self):
        return statistics.median(r.p99_ms for r in self.results)

    def errors(self):
        return sum(r.errors for r in self.results)

    def cpu_us_per_request(self):
        return statistics.median(r.cpu_us_per_request for r in self.results)

    def busy(self, cpus):
        """Median over rounds of the share of the time the CPUs `cpus` (a
        taskset list) were busy while wrk ran, averaged over them."""
        indexes = cpu_indexes(cpus)
        return statistics.median(sum(r.cpu_busy[cpu] for cpu in indexes) / len(indexes)
                                 for r in self.results)


def ratio(series, of, to, figure):
    """Median over rounds of figure(round of `of`) / figure(round of `to`):
    rounds pair runs made seconds apart, so a ratio per round cancels most of
    the drift of a shared machine that a ratio of medians would keep."""
    return statistics.median(figure(a) / figure(b) for a, b in zip(series[of].results, series[to].results))


def alternate(processes, load, starters, rounds, warmup_s):
    """Runs `load` against each server in turn, `rounds` times, each run
    after a warm-up; each round starts with the next server, so none always
    runs first. Every round starts each server anew, in that round's order,
    and stops it after: one process of a server can run several percent
    faster or slower than another of the same binary for its whole life
    (where its memory landed, it seems: f554fc4 against a77a66f read +14 %
    rps with the same two processes for every round when f554fc4 started
    second, -7 % when it started first), a bias that rounds with the same
    processes keep and a ratio of them reports as a result.

    starters: name -> start(label) -> (server, host, path), the server
    started (its folder and log named with `label`) and checked.
    Returns name -> Series."""
    names = list(starters)
    series = {name: Series() for name in names}
    for round_index in range(rounds):
        turn = round_index % len(names)
        order = names[turn:] + names[:turn]
        started = []
        try:
            targets = {}
            for name in order:
                targets[name] = starters[name](f"r{round_index}")
                started.append(targets[name][0])
            for name in order:
                server, host, path = targets[name]
                load.run(server.port, host, path, seconds=warmup_s)
                series[name].results.append(_run_counting_cpu(load, server, host, path))
        finally:
            for server in reversed(started):
                processes.stop(server.process)
    return series


def _run_counting_cpu(load, server, host, path):
    """load.run, its result also carrying the CPU time (user + system) the
    server's workers spent per request, in µs: a figure of work per request
    that, unlike rps, does not fall when wrk or the backend get less CPU;
    and each CPU's busy share over the run, which says which side was the
    limit."""
    workers = server.workers()
    before, ticks_before = cpu_seconds(workers), cpu_ticks()
    result = load.run(server.port, host, path)
    result.cpu_busy = busy_shares(ticks_before, cpu_ticks())
    result.cpu_us_per_request = (cpu_seconds(workers) - before) * 1e6 / max(result.requests, 1)
    return result


def proxies_side_by_side(env, workers):
    """nginx, HAProxy and turnout with `workers` workers each in front of one
    nginx backend. Returns name -> Series."""
    proxy_cpus, load_cpus = cpu_plan(workers, env.pin)
    backend = start_nginx(env.processes, env.run_dir, f"backend-w{workers}", configs.nginx_backend, 1,
                          cpus=load_cpus)

    def checked(server):
        server.expect(200, configs.BODY)
        return server, "bench", "/"

    starters = {
        "nginx": lambda label: checked(start_nginx(
            env.processes, env.run_dir, f"nginx-w{workers}-{label}",
            lambda d, p: configs.nginx_proxy(d, p, backend.port, workers), workers, cpus=proxy_cpus)),
        "haproxy": lambda label: checked(start_haproxy(
            env.processes, env.run_dir, f"haproxy-w{workers}-{label}",
            lambda p: configs.haproxy(p, backend.port, workers), cpus=proxy_cpus)),
        "turnout": lambda label: checked(start_turnout(
            env.processes, env.run_dir, f"turnout-w{workers}-{label}", env.turnout_bin,
            lambda p: configs.turnout_routes(p, backend.port, workers, 0), workers, cpus=proxy_cpus)),
    }
    try:
        return alternate(env.processes, env.load(load_cpus), starters, env.rounds, env.warmup_s)
    finally:
        env.processes.stop(backend.process)


def many_routes_against_one(env, routes):
    """turnout (one worker) with `routes` routes and with one route, each
    asked for a path only its last route matches. Returns name -> Series
    with names "1 route" and "N routes"."""
    proxy_cpus, load_cpus = cpu_plan(1, env.pin)
    backend = start_nginx(env.processes, env.run_dir, "backend-routes", configs.nginx_backend, 1,
                          cpus=load_cpus)

    def start(count, label):
        server = start_turnout(env.processes, env.run_dir, f"turnout-{count}-routes-{label}", env.turnout_bin,
                               lambda p: configs.turnout_routes(p, backend.port, 1, count), 1, cpus=proxy_cpus)
        host, path = configs.deepest_route_request(count)
        server.expect(200, configs.BODY, path, host)
        server.expect(404, path=f"/p{count}/bench", host=f"h{count}.example.com")
        return server, host, path

    starters = {"1 route": lambda label: start(1, label),
                f"{routes} routes": lambda label: start(routes, label)}
    try:
        return alternate(env.processes, env.load(load_cpus), starters, env.rounds, env.warmup_s)
    finally:
        env.processes.stop(backend.process)

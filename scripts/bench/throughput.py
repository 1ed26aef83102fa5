"""Requests per second and latency: nginx, HAProxy and turnout in front of the
same nginx backend, measured in turn, several rounds; and turnout with many
routes against turnout with one."""

import os
import statistics

import configs
from processes import cpu_seconds
from servers import start_haproxy, start_nginx, start_turnout

PROXIES = ("nginx", "haproxy", "turnout")


def cpu_plan(workers, pin):
    """(proxy CPUs, load CPUs) as taskset lists: the proxy gets `workers` CPUs
    of its own and wrk and the backend share the rest. (None, None), nothing
    pinned, when `pin` is off or there are not workers + 1 CPUs."""
    cpus = sorted(os.sched_getaffinity(0))
    if not pin or len(cpus) < workers + 1:
        return None, None
    return ",".join(map(str, cpus[-workers:])), ",".join(map(str, cpus[:-workers]))


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


def ratio(series, of, to, figure):
    """Median over rounds of figure(round of `of`) / figure(round of `to`):
    rounds pair runs made seconds apart, so a ratio per round cancels most of
    the drift of a shared machine that a ratio of medians would keep."""
    return statistics.median(figure(a) / figure(b) for a, b in zip(series[of].results, series[to].results))


def alternate(load, targets, rounds, warmup_s):
    """Runs `load` against each target in turn, `rounds` times, starting each
    round one target further on so none always runs first.

    targets: name -> (server, host, path). Returns name -> Series."""
    names = list(targets)
    for name in names:
        server, host, path = targets[name]
        load.run(server.port, host, path, seconds=warmup_s)
    series = {name: Series() for name in names}
    for round_index in range(rounds):
        for k in range(len(names)):
            name = names[(round_index + k) % len(names)]
            server, host, path = targets[name]
            series[name].results.append(_run_counting_cpu(load, server, host, path))
    return series


def _run_counting_cpu(load, server, host, path):
    """load.run, its result also carrying the CPU time (user + system) the
    server's workers spent per request, in µs: a figure of work per request
    that, unlike rps, does not fall when wrk or the backend get less CPU."""
    workers = server.workers()
    before = cpu_seconds(workers)
    result = load.run(server.port, host, path)
    result.cpu_us_per_request = (cpu_seconds(workers) - before) * 1e6 / max(result.requests, 1)
    return result


def proxies_side_by_side(env, workers):
    """nginx, HAProxy and turnout with `workers` workers each in front of one
    nginx backend. Returns name -> Series."""
    proxy_cpus, load_cpus = cpu_plan(workers, env.pin)
    started = []
    try:
        backend = start_nginx(env.processes, env.run_dir, f"backend-w{workers}",
                              configs.nginx_backend, 1, cpus=load_cpus)
        started.append(backend)
        started.append(start_nginx(env.processes, env.run_dir, f"nginx-w{workers}",
                                   lambda d, p: configs.nginx_proxy(d, p, backend.port, workers), workers,
                                   cpus=proxy_cpus))
        started.append(start_haproxy(env.processes, env.run_dir, f"haproxy-w{workers}",
                                     lambda p: configs.haproxy(p, backend.port, workers), cpus=proxy_cpus))
        started.append(start_turnout(env.processes, env.run_dir, f"turnout-w{workers}", env.turnout_bin,
                                     lambda p: configs.turnout_routes(p, backend.port, workers, 0),
                                     workers, cpus=proxy_cpus))
        targets = {}
        for name, server in zip(PROXIES, started[1:]):
            server.expect(200, configs.BODY)
            targets[name] = (server, "bench", "/")
        return alternate(env.load(load_cpus), targets, env.rounds, env.warmup_s)
    finally:
        for server in reversed(started):
            env.processes.stop(server.process)


def many_routes_against_one(env, routes):
    """turnout (one worker) with `routes` routes and with one route, each
    asked for a path only its last route matches. Returns name -> Series
    with names "1 route" and "N routes"."""
    proxy_cpus, load_cpus = cpu_plan(1, env.pin)
    started = []
    try:
        backend = start_nginx(env.processes, env.run_dir, "backend-routes", configs.nginx_backend, 1,
                              cpus=load_cpus)
        started.append(backend)
        targets = {}
        for count in (1, routes):
            name = "1 route" if count == 1 else f"{routes} routes"
            server = start_turnout(env.processes, env.run_dir, f"turnout-{count}-routes", env.turnout_bin,
                                   lambda p, n=count: configs.turnout_routes(p, backend.port, 1, n), 1,
                                   cpus=proxy_cpus)
            started.append(server)
            host, path = configs.deepest_route_request(count)
            server.expect(200, configs.BODY, path, host)
            server.expect(404, path=f"/p{count}/bench", host=f"h{count}.example.com")
            targets[name] = (server, host, path)
        return alternate(env.load(load_cpus), targets, env.rounds, env.warmup_s)
    finally:
        for server in reversed(started):
            env.processes.stop(server.process)

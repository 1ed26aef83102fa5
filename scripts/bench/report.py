"""The results of a run as markdown: machine, tables, and the issue-7 goals
each with its figure and whether it is met; and writing that block into
docs/benchmarks.md between its markers."""

import instructions
from change_to_live import SMALL, case
from throughput import ratio

BEGIN = "<!-- bench.sh results: begin -->"
END = "<!-- bench.sh results: end -->"


class Results:
    """Everything one run measured (main.py fills it in, step by step)."""

    def __init__(self, machine, settings, routes, stream_bytes):
        self.machine = machine
        self.settings = settings
        self.routes = routes
        self.stream_bytes = stream_bytes
        self.throughput = {}   # workers -> name -> Series
        self.tls = {}          # case -> name -> Series
        self.route_rps = {}    # "1 route" / "N routes" -> Series
        self.changes = {}      # case -> Latencies
        self.memory = {}       # case -> WorkerMemory
        self.streaming = {}    # "down" / "up" -> StreamPeak
        self.pinning = {}      # workers -> (proxy CPUs, load CPUs) as taskset lists, or (None, None)
        self.idle = {}         # "plain" / "TLS" -> name -> IdleMemory
        self.instructions = {}  # name -> {request name -> instructions.Count}
        self.fleet = ""        # the fleet section, as markdown
        self.upgrade = ""      # the binary upgrade section (--upgrade-only), as markdown
        self.h2 = ""           # the HTTP/2 section (--h2), as markdown
        self.builds = {}       # --against: case -> name -> Series
        self.against = ""      # --against: the other build, described


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


_SERIES_HEADER = ("rps", "p50 ms", "p99 ms", "errors", "worker CPU µs/request")


def _series_rows(series):
    return [(name, f"{s.rps():,.0f}", f"{s.p50_ms():.2f}", f"{s.p99_ms():.2f}", s.errors(),
             f"{s.cpu_us_per_request():.1f}")
            for name, s in series.items()]


def _rps(result):
    return result.rps


def _p99(result):
    return result.p99_ms


def _per_cpu_time(result):
    """Requests a worker's CPU second serves: rps where the worker's CPU is the limit."""
    return 1 / result.cpu_us_per_request


# wrk and the backend count as the limit when their CPUs were busy at least
# this share of the time.
LOAD_SIDE_BUSY = 0.95


def _load_side_limited(series, plan):
    """Whether wrk and the backend had CPUs of their own and kept them busy
    for every proxy: then rps is theirs, whatever each proxy needs."""
    proxy_cpus, load_cpus = plan
    return bool(proxy_cpus) and all(s.busy(load_cpus) >= LOAD_SIDE_BUSY for s in series.values())


def _pinning(series, plan):
    proxy_cpus, load_cpus = plan
    if not proxy_cpus:
        return "Nothing pinned: proxy, backend and wrk share every CPU."
    busy = ", ".join(f"{name} {s.busy(proxy_cpus):.0%} / {s.busy(load_cpus):.0%}" for name, s in series.items())
    text = (f"Proxy on CPU {proxy_cpus}; wrk and the backend on CPU {load_cpus}. Busy while wrk ran, the "
            f"proxy's CPU / wrk and the backend's (median of the rounds): {busy}.")
    if _load_side_limited(series, plan):
        text += (" wrk and the backend kept their CPU busy with every proxy, so rps is what they could do, "
                 "not what the proxy could: what a worker's own CPU allows is 1 / its CPU per request, "
                 f"turnout / nginx {ratio(series, 'turnout', 'nginx', _per_cpu_time):.2f}, "
                 f"turnout / HAProxy {ratio(series, 'turnout', 'haproxy', _per_cpu_time):.2f}.")
    return text


def _throughput(results):
    parts = []
    for workers, series in results.throughput.items():
        parts.append(f"### {workers} worker{'s' if workers > 1 else ''} each\n\n"
                     f"{_pinning(series, results.pinning[workers])}\n\n"
                     + _table(("proxy", *_SERIES_HEADER), _series_rows(series)) + "\n\n"
                     f"turnout/nginx: rps {ratio(series, 'turnout', 'nginx', _rps):.2f}, "
                     f"p99 {ratio(series, 'turnout', 'nginx', _p99):.2f}; "
                     f"turnout/HAProxy: rps {ratio(series, 'turnout', 'haproxy', _rps):.2f}, "
                     f"p99 {ratio(series, 'turnout', 'haproxy', _p99):.2f} (median of the per-round ratios)")
    return "\n\n".join(parts)


def _tls(results):
    parts = []
    for case, series in results.tls.items():
        parts.append(f"{case}\n\n" + _table(("proxy", *_SERIES_HEADER), _series_rows(series))
                     + f"\n\nturnout/nginx: rps {ratio(series, 'turnout', 'nginx', _rps):.2f}, "
                     f"p99 {ratio(series, 'turnout', 'nginx', _p99):.2f} (median of the per-round ratios)")
    return "\n\n".join(parts)


def _changes(results):
    rows = [(name, f"{c.p50():.1f}", f"{c.p99():.1f}", len(c.values)) for name, c in results.changes.items()]
    return _table(("change", "p50 ms", "p99 ms", "rounds"), rows)


def _memory(results):
    rows = [(name, f"{m.rss_mb:.1f}", f"{m.pss_mb:.1f}") for name, m in results.memory.items()]
    return _table(("worker (largest of the workers)", "RSS MB", "PSS MB"), rows)


def _route_rps(results):
    names = list(results.route_rps)
    return (_table(("turnout, 1 worker", *_SERIES_HEADER), _series_rows(results.route_rps))
            + f"\n\n{names[1]} / {names[0]}: rps {ratio(results.route_rps, names[1], names[0], _rps):.3f}")


def _streaming(results):
    rows = [(direction, f"{p.idle_mb:.1f}", f"{p.above_idle_mb:.2f}", f"{p.seconds:.1f}")
            for direction, p in results.streaming.items()]
    return _table(("body", "idle RSS MB", "peak above idle MB", "seconds"), rows)


def _idle(results):
    rows = [(case, name, f"{m.before_kb / 1024:.1f}", f"{m.with_idle_kb / 1024:.1f}",
             f"{m.per_connection_kb():.1f}", f"{m.per_further_connection_kb():.2f}")
            for case, memories in results.idle.items() for name, m in memories.items()]
    connections = next(iter(next(iter(results.idle.values())).values())).connections
    return (f"### Memory per idle keep-alive connection, 1 worker each\n\n"
            f"{connections} connections to each server, each made one request and then sits idle; "
            "the worker's RSS growth divided by the connections (HAProxy: its one process). "
            f"*Per further connection*: the growth over the second {connections - connections // 2} "
            "alone, without what the first paid once for the whole worker (pooled exchange state, "
            "upstream connections).\n\n"
            + _table(("case", "proxy", "worker RSS before MB", "with the idle connections MB",
                      "kB per connection", "kB per further connection"), rows))


def idle_markdown(results):
    """The block of an --idle-only run: machine, settings and the idle table."""
    machine = _table(("machine", ""), list(results.machine.items()))
    return "\n\n".join([results.settings, machine, _idle(results)])


def _instructions(results):
    return instructions.markdown(results.instructions)


def instructions_markdown(results):
    """The block of an --instructions run: machine, settings and the table."""
    machine = _table(("machine", ""), list(results.machine.items()))
    return "\n\n".join([results.settings, machine, _instructions(results)])


def _builds(results):
    """Each case's table and the per-round ratios, this build to the other
    and each build to nginx."""
    parts = [f"### This build against {results.against}, 1 worker each"]
    for case, series in results.builds.items():
        ratios = []
        for of, to in (("this build", "against"), ("this build", "nginx"), ("against", "nginx")):
            ratios.append(f"{of} / {to}: rps {ratio(series, of, to, _rps):.3f}, "
                          f"CPU per request {ratio(series, of, to, lambda r: r.cpu_us_per_request):.3f}, "
                          f"p99 {ratio(series, of, to, _p99):.3f}")
        parts.append(f"{case}, keep-alive\n\n" + _table(("server", *_SERIES_HEADER), _series_rows(series))
                     + "\n\n" + "; ".join(ratios) + " (median of the per-round ratios)")
    return "\n\n".join(parts)


def builds_markdown(results):
    """The block of an --against run: machine, settings and the two builds' tables."""
    machine = _table(("machine", ""), list(results.machine.items()))
    return "\n\n".join([results.settings, machine, _builds(results)])


def _idle_goal_rows(results):
    """Issue 16's memory goals: plain no more than the leaner of nginx and
    HAProxy, TLS no more than nginx."""
    plain, tls = results.idle["plain"], results.idle["TLS"]
    leaner = min(plain["nginx"].per_connection_kb(), plain["haproxy"].per_connection_kb())
    return [("memory per idle connection (kB)", plain["turnout"].per_connection_kb(), "≤", leaner, "kB"),
            ("the same over TLS (kB)", tls["turnout"].per_connection_kb(), "≤", tls["nginx"].per_connection_kb(),
             "kB")]


def _figure(value, unit):
    if unit == "×":
        return f"{value:.2f}"
    return f"{value:.0f} {unit}" if value >= 100 else f"{value:.1f} {unit}"


def _goal_rows(results):
    """(figure, measured, goal, met?) for each goal of issue 7."""
    rows = []
    for workers, series in results.throughput.items():
        suffix = f", {workers} worker{'s' if workers > 1 else ''}"
        load_side = (" (wrk and the backend's CPU the limit)"
                     if _load_side_limited(series, results.pinning[workers]) else "")
        rows.append(("rps turnout / nginx" + suffix + load_side, ratio(series, "turnout", "nginx", _rps),
                     "≥", 1.15, "×"))
        rows.append(("rps turnout / HAProxy" + suffix + load_side, ratio(series, "turnout", "haproxy", _rps),
                     "≥", 1.0, "×"))
        rows.append(("p99 turnout / nginx" + suffix + load_side, ratio(series, "turnout", "nginx", _p99),
                     "≤", 0.85, "×"))
        if results.pinning[workers][0]:
            rows.append(("rps a worker's CPU allows (1 / CPU per request), turnout / nginx" + suffix,
                         ratio(series, "turnout", "nginx", _per_cpu_time), "≥", 1.15, "×"))
    changes = results.changes
    label = f"{results.routes} routes"
    rows.append(("apply to all workers, small config, p99",
                 changes[case("turnout apply", SMALL, "answered")].p99(), "≤", 5, "ms"))
    rows.append((f"one-route change in {label}, p99",
                 changes[case("turnout one-route change", label, "answered")].p99(), "≤", 10, "ms"))
    rows.append((f"whole apply of {label}, every route changed, p99",
                 changes[case("turnout whole apply, every route changed", label, "answered")].p99(),
                 "≤", 300, "ms"))
    rows.append((f"whole apply of {label}, one route changed, p99",
                 changes[case("turnout whole apply", label, "answered")].p99(), "≤", 300, "ms"))
    rss = max(m.rss_mb for name, m in results.memory.items() if name.startswith(f"turnout, {label}"))
    rows.append((f"worker RSS with {label}", rss, "≤", 30, "MB"))
    names = list(results.route_rps)
    rows.append((f"rps with {label} / with 1 route", ratio(results.route_rps, names[1], names[0], _rps),
                 "≥", 0.97, "×"))
    rows.append((f"RSS above idle while streaming {results.stream_bytes / 2**30:g} GiB",
                 max(p.above_idle_mb for p in results.streaming.values()), "≤", 2, "MB"))
    rows += _idle_goal_rows(results)
    return [(figure, _figure(value, unit), f"{sense} {bound:.3g}{'' if unit == '×' else ' ' + unit}",
             "met" if (value >= bound if sense == "≥" else value <= bound) else "**not met**")
            for figure, value, sense, bound, unit in rows]


def markdown(results):
    machine = _table(("machine", ""), list(results.machine.items()))
    return "\n\n".join([
        results.settings, machine,
        "### Goals (issues 7 and 16)", _table(("figure", "measured", "goal", "met?"), _goal_rows(results)),
        _throughput(results),
        _instructions(results),
        "### TLS, 1 worker each\n\nThe same certificate (EC P-256) for both; every request on a new "
        "connection (a full handshake each), then keep-alive.\n\n" + _tls(results),
        f"### rps with {results.routes} routes against 1 route\n\n"
        "Each asks for a path only the last route of its table matches.\n\n" + _route_rps(results),
        "### Change to live\n\n"
        "From sending the change: *answered* is when turnout's admin API answers (every worker has "
        "acknowledged); *seen* is when a request on a fresh connection gets the new config.\n\n"
        + _changes(results),
        "### Worker memory\n\n" + _memory(results),
        _idle(results),
        f"### Streaming {results.stream_bytes / 2**30:g} GiB through turnout (1 worker)\n\n" + _streaming(results),
        results.fleet,
    ])


def write_doc(path, block):
    """Replaces what lies between BEGIN and END in the file at `path`."""
    with open(path) as f:
        text = f.read()
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"{path} has no '{BEGIN}' … '{END}' block to write the results into; add both markers")
    with open(path, "w") as f:
        f.write(text[:start + len(BEGIN)] + "\n\n" + block + "\n\n" + text[end:])

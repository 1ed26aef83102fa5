"""Benchmarks turnout against nginx and HAProxy on this machine; run it
through scripts/bench.sh, which installs what is missing, builds turnout,
and stops every process this started even if this is killed."""

import argparse
import os
import signal
import sys
import time

import builds
import change_to_live
import configs
import fleet
import http2_bench
import idle
import instructions
import machine
import memory
import report
import throughput
import tls
import upgrade
from load import Load
from processes import BenchError, Processes
from servers import start_nginx

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


STARTED = time.monotonic()


def progress(text):
    print(f"bench: {time.monotonic() - STARTED:5.0f} s  {text}", file=sys.stderr, flush=True)


class Environment:
    """What every measurement needs: where to put things, what to run, and
    the shape of a run."""

    def __init__(self, args, processes):
        self.processes = processes
        self.run_dir = args.run_dir
        self.turnout_bin = os.path.join(args.build, "turnout")
        self.echo_bin = os.path.join(args.build, "tests", "echo_backend")
        self.pin = not args.no_pin
        self.rounds = args.rounds
        self.seconds = args.seconds
        self.warmup_s = 1 if args.quick else 2
        self.connections = args.connections
        self.threads = args.threads
        self.apply_workers = 2
        self.apply_rounds = 10 if args.quick else 50
        self.big_apply_rounds = 3 if args.quick else 10

    def load(self, cpus, **shape):
        """A Load of this run's shape; `shape`: scheme, close (see Load)."""
        return Load(self.processes, self.run_dir, self.seconds, self.connections, self.threads, cpus,
                    **shape)


def parse_args():
    parser = argparse.ArgumentParser(prog="scripts/bench.sh", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="under a minute: 2 rounds of 1 s, 2,000 routes instead of 10,000, 256 MiB bodies")
    parser.add_argument("--write-doc", nargs="?", const=os.path.join(ROOT, "docs", "benchmarks.md"),
                        metavar="FILE", help="write the results block into FILE (docs/benchmarks.md)")
    parser.add_argument("--rounds", type=int, help="wrk runs per server (5; --quick 2)")
    parser.add_argument("--seconds", type=int, help="length of one wrk run (6; --quick 1)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections (64)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    parser.add_argument("--workers", default="1,2", help="worker counts to compare (1,2)")
    parser.add_argument("--routes", type=int, help="routes in the large config (10000; --quick 2000)")
    parser.add_argument("--stream-mib", type=int, help="size of the streamed bodies (1024; --quick 256)")
    parser.add_argument("--fleet-only", action="store_true",
                        help="only the fleet section: etcd and --fleet-nodes turnouts (issue 13)")
    parser.add_argument("--upgrade-only", action="store_true",
                        help="only the binary upgrade under load: turnout upgrade against nginx USR2+WINCH+QUIT (issue 17)")
    parser.add_argument("--idle-connections", type=int,
                        help="idle connections per server for the memory figures (2000; --quick 300; --h2 500)")
    parser.add_argument("--idle-only", action="store_true",
                        help="only memory per idle connection, plain and TLS (issue 16)")
    parser.add_argument("--instructions", action="store_true",
                        help="only instructions per proxied request, under callgrind (issue 16)")
    parser.add_argument("--instruction-requests", type=int,
                        help="requests counted per server for --instructions (2000; --quick 500)")
    parser.add_argument("--callgrind-dir", metavar="DIR",
                        help="keep each server's callgrind profile of the counted requests in DIR")
    parser.add_argument("--fleet-nodes", type=int, default=20, help="turnout instances in the fleet section (20)")
    parser.add_argument("--h2", action="store_true",
                        help="only the HTTP/2 section: h2load against nginx and turnout over TLS (issue 15)")
    parser.add_argument("--against", metavar="BUILD",
                        help="only this build's turnout against BUILD's (a build folder holding turnout), "
                             "with nginx, 1 worker each, plain and TLS keep-alive: to judge a change")
    parser.add_argument("--no-pin", action="store_true", help="pin nothing to CPUs")
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--run-dir", required=True, help="an empty folder for configs and logs")
    parser.add_argument("--pidfile", help="append each started process group here")
    args = parser.parse_args()
    if args.write_doc and (args.idle_only or args.instructions or args.against):
        parser.error("--idle-only, --instructions and --against print their table; --write-doc writes only a "
                     "whole run's results")
    # The servers start in folders of their own.
    args.build = os.path.abspath(args.build)
    if args.against:
        args.against = os.path.abspath(args.against)
    if args.against and not os.access(os.path.join(args.against, "turnout"), os.X_OK):
        parser.error(f"--against {args.against}: no turnout binary there (build one with "
                     f"`cmake -S . -B {args.against} -DCMAKE_BUILD_TYPE=Release && cmake --build {args.against}`)")
    args.rounds = args.rounds or (2 if args.quick else 5)
    args.seconds = args.seconds or (1 if args.quick else 6)
    args.routes = args.routes or (2000 if args.quick else 10000)
    args.stream_mib = args.stream_mib or (256 if args.quick else 1024)
    args.instruction_requests = args.instruction_requests or (500 if args.quick else 2000)
    args.idle_connections = args.idle_connections or (500 if args.h2 else 300 if args.quick else 2000)
    return args


def settings_line(args):
    """The command and the shape of the run, as markdown."""
    command = "scripts/bench.sh" + (" --h2" if args.h2 else "") + (" --quick" if args.quick else "") + (" --no-pin" if args.no_pin else "")
    threads = f"{args.threads} thread{'s' if args.threads > 1 else ''}"
    return (f"Run: `{command}`; wrk {args.rounds} rounds × {args.seconds} s per server, {threads}, "
            f"{args.connections} connections; {args.routes} routes; {args.stream_mib} MiB bodies; "
            f"{args.idle_connections} idle connections.")


def run_fleet(args, env, results):
    puts = 20 if args.quick else 100
    progress(f"fleet: {args.fleet_nodes} turnouts on one etcd, {puts} puts; then {args.routes} routes")
    results.fleet = fleet.markdown(fleet.measure(env, args.fleet_nodes, puts, args.routes), args.fleet_nodes)


def run_h2(args, env, results):
    progress(f"HTTP/2: h2load against nginx and turnout, {args.rounds} rounds × {args.seconds} s; "
             f"{args.idle_connections} idle connections")
    series, idle = http2_bench.side_by_side(env, args.idle_connections)
    results.h2 = http2_bench.markdown(series, idle, args.rounds, args.seconds, args.idle_connections)


def run_idle(args, env, results):
    progress(f"memory per idle connection: {args.idle_connections} to each of nginx, HAProxy and turnout, "
             "plain and TLS")
    results.idle = idle.side_by_side(env, args.idle_connections)


def run_instructions(args, env, results):
    progress(f"instructions per request: nginx, HAProxy and turnout under callgrind, "
             f"{args.instruction_requests} requests each")
    results.instructions = instructions.side_by_side(env, args.instruction_requests, args.callgrind_dir)


def run(args, env, results):
    if args.upgrade_only:
        progress(f"{upgrade.UPGRADES} upgrades of turnout, then of nginx, under wrk keep-alive and close")
        results.upgrade = upgrade.markdown(upgrade.measure(env))
        return
    if args.h2:
        run_h2(args, env, results)
        return
    if args.fleet_only:
        run_fleet(args, env, results)
        return
    if args.idle_only:
        run_idle(args, env, results)
        return
    if args.against:
        progress(f"this build against {args.against}, with nginx, 1 worker each: {args.rounds} rounds × "
                 f"{args.seconds} s, plain and TLS")
        against_bin = os.path.join(args.against, "turnout")
        results.builds = builds.side_by_side(env, against_bin)
        results.against = builds.describe(args.against)
        return
    if args.instructions:
        run_instructions(args, env, results)
        return
    for workers in (int(w) for w in args.workers.split(",")):
        progress(f"nginx, HAProxy and turnout with {workers} worker(s): {args.rounds} rounds × {args.seconds} s")
        results.pinning[workers] = throughput.cpu_plan(workers, env.pin)
        results.throughput[workers] = throughput.proxies_side_by_side(env, workers)
    run_instructions(args, env, results)
    run_idle(args, env, results)
    progress(f"TLS, nginx and turnout with 1 worker: {args.rounds} rounds × {args.seconds} s, twice")
    results.tls = tls.side_by_side(env)
    progress(f"turnout with {args.routes} routes against 1 route")
    results.route_rps = throughput.many_routes_against_one(env, args.routes)
    progress(f"change to live, small config and {args.routes} routes")
    backend = start_nginx(env.processes, env.run_dir, "backend-changes", configs.nginx_backend, 1)
    try:
        results.changes, results.memory = change_to_live.measure(env, args.routes, backend)
    finally:
        env.processes.stop(backend.process)
    progress(f"streaming {args.stream_mib} MiB down and up through turnout")
    results.streaming = memory.streaming(env, args.stream_mib * 2**20)
    run_fleet(args, env, results)


def main():
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    processes = Processes(args.run_dir, args.pidfile)
    env = Environment(args, processes)
    results = report.Results(machine.describe(ROOT, env.turnout_bin), settings_line(args), args.routes,
                             args.stream_mib * 2**20)
    try:
        run(args, env, results)
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    finally:
        processes.stop_all()
    results.machine["load average at end (1, 5, 15 min)"] = machine.load_average()
    progress("done")
    if args.upgrade_only:
        block = results.upgrade
    elif args.h2:
        block = results.h2
    elif args.fleet_only:
        block = results.fleet
    elif args.idle_only:
        block = report.idle_markdown(results)
    elif args.instructions:
        block = report.instructions_markdown(results)
    elif args.against:
        block = report.builds_markdown(results)
    else:
        block = report.markdown(results)
    print(block)
    if args.write_doc:
        report.write_doc(args.write_doc, block)
        progress(f"results written into {args.write_doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Two builds of turnout side by side, with nginx as the third: `--against
BUILD` runs this build's turnout, BUILD's and nginx, 1 worker each, pinned
as the throughput runs are, in turn for several rounds, plain and over TLS
on keep-alive connections. On a shared machine a build's rps and CPU per
request move from one run to the next by more than most changes gain; two
builds measured seconds apart, round by round, share that drift, so the
per-round ratio between them shows what a change did. Every round starts
new processes (throughput.alternate)."""

import os
import subprocess

import configs
from servers import start_nginx, start_turnout
from throughput import alternate, cpu_plan
from tls import Pki, expect_over_tls

CASES = {"plain": False, "TLS": True}


def describe(build_dir):
    """The commit BUILD was configured from (its CMakeCache's source folder,
    `git describe`) and the folder; the folder alone when that is unknown."""
    try:
        with open(os.path.join(build_dir, "CMakeCache.txt")) as cache:
            source = next(line.split("=", 1)[1].strip() for line in cache
                          if line.startswith("CMAKE_HOME_DIRECTORY:"))
        commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=source, capture_output=True,
                                text=True, check=True).stdout.strip()
        return f"{commit} ({build_dir})"
    except (OSError, StopIteration, subprocess.CalledProcessError):
        return build_dir


def side_by_side(env, against_bin):
    """Returns case -> name -> Series, for the cases of CASES and nginx, "this build" and "against"."""
    proxy_cpus, load_cpus = cpu_plan(1, env.pin)
    directory = os.path.join(env.run_dir, "builds-certificates")
    os.makedirs(directory, exist_ok=True)
    cert, key = Pki(directory).leaf("bench", dns=["bench"], ips=["127.0.0.1"])
    backend = start_nginx(env.processes, env.run_dir, "backend-builds", configs.nginx_backend, 1,
                          cpus=load_cpus)

    def starters(tls):
        case = "tls" if tls else "plain"

        def checked(server):
            if tls:
                expect_over_tls(server)
            else:
                server.expect(200, configs.BODY)
            return server, "bench", "/"

        def nginx_config(directory, port):
            if tls:
                return configs.nginx_tls_proxy(directory, port, backend.port, 1, *tls)
            return configs.nginx_proxy(directory, port, backend.port, 1)

        def turnout(tag, binary):
            return lambda label: checked(start_turnout(
                env.processes, env.run_dir, f"turnout-{tag}-{case}-{label}", binary,
                lambda p: configs.turnout_routes(p, backend.port, 1, 0, tls=tls), 1, cpus=proxy_cpus))

        return {"nginx": lambda label: checked(start_nginx(env.processes, env.run_dir,
                                                           f"nginx-builds-{case}-{label}", nginx_config, 1,
                                                           cpus=proxy_cpus)),
                "this build": turnout("this", env.turnout_bin),
                "against": turnout("against", against_bin)}

    try:
        return {case: alternate(env.processes, env.load(load_cpus, scheme="https" if tls else "http"),
                                starters((cert, key) if tls else None), env.rounds, env.warmup_s)
                for case, tls in CASES.items()}
    finally:
        env.processes.stop(backend.process)

"""TLS: nginx and turnout terminating TLS with the same certificate (EC
P-256, made for the run) in front of the same backend, one worker each:
requests per second when every request opens a new connection with a full
handshake (`Connection: close`), and on keep-alive connections."""

import http.client
import os
import ssl
import sys

import configs
from processes import BenchError
from servers import start_nginx, start_turnout
from throughput import alternate, cpu_plan

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "tests", "integration"))
from tls_helpers import Pki  # noqa: E402

CASES = {"handshakes (Connection: close)": True, "keep-alive": False}


def expect_over_tls(server):
    """Fails unless a GET over TLS answers 200 with the backend's body."""
    connection = http.client.HTTPSConnection("127.0.0.1", server.port, timeout=5,
                                             context=ssl._create_unverified_context())
    try:
        connection.request("GET", "/", headers={"Host": "bench"})
        response = connection.getresponse()
        status, body = response.status, response.read().decode(errors="replace")
    finally:
        connection.close()
    if (status, body) != (200, configs.BODY):
        raise BenchError(f"{server.name} answered GET / over TLS with {status} {body[:200]!r}; "
                         f"its log: {server.process.log_path}")


def side_by_side(env):
    """Returns case -> name -> Series, for the cases of CASES."""
    proxy_cpus, load_cpus = cpu_plan(1, env.pin)
    directory = os.path.join(env.run_dir, "tls-certificates")
    os.makedirs(directory, exist_ok=True)
    cert, key = Pki(directory).leaf("bench", dns=["bench"], ips=["127.0.0.1"])
    backend = start_nginx(env.processes, env.run_dir, "backend-tls", configs.nginx_backend, 1, cpus=load_cpus)

    def checked(server):
        expect_over_tls(server)
        return server, "bench", "/"

    def starters(case):
        return {
            "nginx": lambda label: checked(start_nginx(
                env.processes, env.run_dir, f"nginx-tls-{case}-{label}",
                lambda d, p: configs.nginx_tls_proxy(d, p, backend.port, 1, cert, key), 1, cpus=proxy_cpus)),
            "turnout": lambda label: checked(start_turnout(
                env.processes, env.run_dir, f"turnout-tls-{case}-{label}", env.turnout_bin,
                lambda p: configs.turnout_routes(p, backend.port, 1, 0, tls=(cert, key)), 1, cpus=proxy_cpus)),
        }

    try:
        return {case: alternate(env.processes, env.load(load_cpus, scheme="https", close=close),
                                starters("close" if close else "keepalive"), env.rounds, env.warmup_s)
                for case, close in CASES.items()}
    finally:
        env.processes.stop(backend.process)

"""Memory per idle keep-alive connection: nginx, HAProxy and turnout, one
worker each, in front of the same backend, plain and over TLS. Each server
gets `connections` connections that each made one request and then sit idle;
the figure is the growth of the worker's RSS over those connections divided
by their count (issue 16)."""

import asyncio
import os
import resource
import ssl
import sys

import configs
from memory import rss_kb
from processes import BenchError
from servers import ok_body_length, start_haproxy, start_nginx, start_turnout

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "tests", "integration"))
from tls_helpers import Pki  # noqa: E402

PROXIES = ("nginx", "haproxy", "turnout")
# Connections being opened at once: below every server's listen backlog.
OPENING_AT_ONCE = 64


class IdleMemory:
    """One server's worker RSS before the idle connections, with the first
    half of them open, and with all of them."""

    def __init__(self, connections, before_kb, with_half_kb, with_idle_kb):
        self.connections = connections
        self.before_kb = before_kb
        self.with_half_kb = with_half_kb
        self.with_idle_kb = with_idle_kb

    def per_connection_kb(self):
        return (self.with_idle_kb - self.before_kb) / self.connections

    def per_further_connection_kb(self):
        """The growth over the second half alone: what one more connection
        costs, without what a worker holds once whatever the count (the
        state its pools keep from the bursts of exchanges the connections
        ran, its upstream connections), which the first half paid."""
        further = self.connections - self.connections // 2
        return (self.with_idle_kb - self.with_half_kb) / further


async def _one_request(port, tls, opening):
    """A connection that made one GET and read its whole answer; its writer."""
    async with opening:
        context = ssl._create_unverified_context() if tls else None
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context)
        writer.write(b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n")
        head = (await reader.readuntil(b"\r\n\r\n")).decode(errors="replace")
        await reader.readexactly(ok_body_length(head, f"127.0.0.1:{port}"))
        return writer


async def _open(server, count, tls, opening, timeout):
    """`count` connections, each idle after one request; their writers."""
    tasks = [asyncio.ensure_future(_one_request(server.port, tls, opening)) for _ in range(count)]
    try:
        return await asyncio.wait_for(asyncio.gather(*tasks), timeout)
    except asyncio.TimeoutError:
        raise BenchError(f"{server.name}: {count} idle connections were not open after {timeout} s; "
                         f"its log: {server.process.log_path}") from None
    except BaseException:
        for task in tasks:
            task.cancel()
        raise


async def _measure(server, pid, connections, tls, timeout):
    before = rss_kb(pid)
    opening = asyncio.Semaphore(OPENING_AT_ONCE)
    writers = []
    try:
        writers += await _open(server, connections // 2, tls, opening, timeout)
        with_half = rss_kb(pid)
        writers += await _open(server, connections - connections // 2, tls, opening, timeout)
        return IdleMemory(connections, before, with_half, rss_kb(pid))
    finally:
        for writer in writers:
            writer.close()


def _raise_file_limit(connections):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < connections + 100:
        raise BenchError(f"{connections} idle connections need more open files than this shell's limit of "
                         f"{hard}; raise it (ulimit -n) or pass a smaller --idle-connections")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, connections + 1000)), hard))


def _haproxy_tls_pem(directory, cert, key):
    """HAProxy takes the certificate and its key in one file."""
    path = os.path.join(directory, "haproxy.pem")
    with open(path, "w") as out:
        for part in (cert, key):
            with open(part) as f:
                out.write(f.read())
    return path


def _start(env, name, case, backend, tls, pem):
    """nginx, HAProxy or turnout (`name`), 1 worker, in front of `backend`;
    terminating TLS with `tls` (certificate, key), or `pem` for HAProxy."""
    label = f"{name}-idle-{case.lower()}"
    if name == "nginx":
        def config(directory, port):
            if tls:
                return configs.nginx_tls_proxy(directory, port, backend.port, 1, *tls)
            return configs.nginx_proxy(directory, port, backend.port, 1)
        return start_nginx(env.processes, env.run_dir, label, config, 1)
    if name == "haproxy":
        return start_haproxy(env.processes, env.run_dir, label,
                             lambda port: configs.haproxy(port, backend.port, 1, tls_pem=pem if tls else None))
    return start_turnout(env.processes, env.run_dir, label, env.turnout_bin,
                         lambda port: configs.turnout_routes(port, backend.port, 1, 0, tls=tls), 1)


def side_by_side(env, connections):
    """Returns {"plain": name -> IdleMemory, "TLS": name -> IdleMemory}."""
    _raise_file_limit(connections)
    directory = os.path.join(env.run_dir, "idle-certificates")
    os.makedirs(directory, exist_ok=True)
    cert, key = Pki(directory).leaf("bench", dns=["bench"], ips=["127.0.0.1"])
    pem = _haproxy_tls_pem(directory, cert, key)
    timeout = 60 + connections / 50
    results = {}
    backend = start_nginx(env.processes, env.run_dir, "backend-idle", configs.nginx_backend, 1)
    try:
        for case, tls in (("plain", None), ("TLS", (cert, key))):
            results[case] = {}
            for name in PROXIES:
                server = _start(env, name, case, backend, tls, pem)
                try:
                    pid = server.workers()[0]
                    # One connection first, so what every server allocates once
                    # (the upstream connection, lazily built tables) is not counted.
                    asyncio.run(_measure(server, pid, 1, tls, timeout))
                    results[case][name] = asyncio.run(_measure(server, pid, connections, tls, timeout))
                finally:
                    env.processes.stop(server.process)
    finally:
        env.processes.stop(backend.process)
    return results

"""Binary upgrade under load (issue 17): turnout's `turnout upgrade` against
nginx's USR2 + WINCH + QUIT, each done 10 times while two wrk run, one with
keep-alive connections and one opening a connection per request. What
counts is the requests that failed (socket errors and non-2xx), and how long
one upgrade takes from the command to the old master gone."""

import os
import signal
import subprocess
import threading
import time

import configs
from processes import BenchError, children, free_port, wait_until
from servers import start_nginx, start_turnout

UPGRADES = 10
# Between upgrades, so each one's drain overlaps traffic on the new workers.
PAUSE_S = 0.5


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _read_pid(path):
    """The pid in nginx's pid file, or None while it is missing or being
    rewritten."""
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def _upgrade_turnout(env, server):
    """`turnout upgrade`; returns once the old master has exited."""
    old = server.admin.status()["pid"]
    result = subprocess.run([env.turnout_bin, "upgrade", "--socket", server.admin.path],
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise BenchError(f"turnout upgrade failed: {result.stdout}{result.stderr}")
    wait_until(lambda: not _alive(old), 60, f"old turnout master {old} to exit")


def _upgrade_nginx(directory, workers):
    """nginx's documented sequence: USR2 (new master), WINCH (old workers
    stop), QUIT (old master exits); returns once it has."""
    pid_path = os.path.join(directory, "nginx.pid")
    old = _read_pid(pid_path)
    os.kill(old, signal.SIGUSR2)
    wait_until(lambda: _read_pid(pid_path + ".oldbin") == old and _read_pid(pid_path) not in (None, old),
               30, "nginx's new master")
    new = _read_pid(pid_path)
    wait_until(lambda: len(children(new)) == workers, 30, "the new nginx master's workers")
    os.kill(old, signal.SIGWINCH)
    wait_until(lambda: children(old) == [new], 60, "the old nginx workers to exit")
    os.kill(old, signal.SIGQUIT)
    wait_until(lambda: not _alive(old), 60, f"old nginx master {old} to exit")


def _under_load(env, port, upgrade):
    """Runs both wrk for as long as UPGRADES upgrades take; returns
    (keep-alive result, close result, seconds per upgrade)."""
    seconds = max(env.seconds, 4 + UPGRADES * 3)
    results = {}

    def run(name, load):
        results[name] = load.run(port, seconds=seconds)

    threads = [threading.Thread(target=run, args=(name, env.load(None, close=close)))
               for name, close in (("keep-alive", False), ("close", True))]
    for thread in threads:
        thread.start()
    time.sleep(1)  # load first: the first upgrade meets connections in use
    durations = []
    for _ in range(UPGRADES):
        started = time.monotonic()
        upgrade()
        durations.append(time.monotonic() - started)
        time.sleep(PAUSE_S)
    for thread in threads:
        thread.join()
    if set(results) != {"keep-alive", "close"}:
        raise BenchError("a wrk run under upgrades did not finish")
    return results["keep-alive"], results["close"], durations


def _with_drain_timeout(config_text):
    """The throughput runs' 1 s drain would cut requests a loaded machine
    has not finished; production drains for longer (30 s by default)."""
    return config_text.replace("drain_timeout: 1s", "drain_timeout: 10s")


def _daemon_nginx_proxy(directory, port, backend, workers):
    """nginx refuses USR2 when its parent is the one it started with (it
    takes that for a new binary still running under the old), so this one
    daemonizes, as nginx runs in production."""
    return configs.nginx_proxy(directory, port, backend, workers).replace("daemon off;", "daemon on;")


def _nginx_under_upgrades(env, backend_port, workers):
    directory = os.path.join(env.run_dir, "nginx-upgrade")
    os.makedirs(os.path.join(directory, "temp"), exist_ok=True)
    port = free_port()
    config_path = os.path.join(directory, "nginx.conf")
    with open(config_path, "w") as f:
        f.write(_daemon_nginx_proxy(directory, port, backend_port, workers))
    pid_path = os.path.join(directory, "nginx.pid")
    # The full path: nginx execs its argv[0] for the new binary.
    subprocess.run(["/usr/sbin/nginx", "-p", directory, "-c", config_path, "-e",
                    os.path.join(directory, "error.log")], check=True, timeout=30)
    try:
        wait_until(lambda: _read_pid(pid_path) and len(children(_read_pid(pid_path))) == workers,
                   30, "nginx's workers")
        return _under_load(env, port, lambda: _upgrade_nginx(directory, workers))
    finally:
        # Both masters, should an upgrade have stopped halfway.
        for pid in {_read_pid(pid_path), _read_pid(pid_path + ".oldbin")} - {None}:
            if _alive(pid):
                os.kill(pid, signal.SIGTERM)
                wait_until(lambda: not _alive(pid), 30, f"nginx master {pid} to stop")


def measure(env, workers=2):
    """name -> (keep-alive result, close result, upgrade seconds)."""
    backend = start_nginx(env.processes, env.run_dir, "backend-upgrade", configs.nginx_backend, 1)
    figures = {}
    try:
        turnout = start_turnout(env.processes, env.run_dir, "turnout-upgrade", env.turnout_bin,
                                lambda port: _with_drain_timeout(
                                    configs.turnout_routes(port, backend.port, workers, 0)),
                                workers)
        try:
            figures["turnout"] = _under_load(env, turnout.port,
                                             lambda: _upgrade_turnout(env, turnout))
        finally:
            env.processes.stop(turnout.process)
        figures["nginx"] = _nginx_under_upgrades(env, backend.port, workers)
    finally:
        env.processes.stop(backend.process)
    return figures


def markdown(figures):
    rows = ["| proxy | keep-alive requests | failed | connection-per-request requests | failed "
            "| upgrade s (median, max) |", "|---|---|---|---|---|---|"]
    for name, (keep, close, durations) in figures.items():
        ordered = sorted(durations)
        rows.append(f"| {name} | {keep.requests:,} | {keep.errors} "
                    f"| {close.requests:,} | {close.errors} "
                    f"| {ordered[len(ordered) // 2]:.2f}, {ordered[-1]:.2f} |")
    return (f"### Binary upgrade under load\n\n{UPGRADES} upgrades each while wrk runs keep-alive "
            f"and connection-per-request (`Connection: close`) at once; 2 workers each.\n\n"
            + "\n".join(rows))

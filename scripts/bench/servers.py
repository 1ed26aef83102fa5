"""Starting the servers a benchmark run measures, each in a folder of its own
under the run's temporary folder, and asking them what a client sees."""

import http.client
import os
import signal
import sys

from processes import BenchError, children, free_port

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "tests", "integration"))
from admin_client import Admin  # noqa: E402


def http_get(port, path="/", host="bench", timeout=5.0):
    """(status, body) of a GET on a fresh connection to 127.0.0.1:port."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        connection.close()


def ok_body_length(head, where):
    """The Content-Length of a response head (text, without its blank line)
    that must be a 200; BenchError naming `where` otherwise."""
    if not head.startswith("HTTP/1.1 200"):
        raise BenchError(f"{where} answered {head[:200]!r}, expected 200")
    length = next((int(line.split(":", 1)[1]) for line in head.split("\r\n")
                   if line.lower().startswith("content-length:")), None)
    if length is None:
        raise BenchError(f"{where} answered without Content-Length: {head[:300]!r}")
    return length


class Server:
    """A started server: its name, port, folder and process. `workers()` are
    the pids that serve requests: the master's children by default."""

    def __init__(self, name, port, directory, process):
        self.name = name
        self.port = port
        self.directory = directory
        self.process = process

    def workers(self):
        return children(self.process.pid)

    def expect(self, status, body=None, path="/", host="bench"):
        """Fails with what came back unless a GET answers `status` (and `body`)."""
        got_status, got_body = http_get(self.port, path, host)
        if got_status != status or (body is not None and got_body != body):
            raise BenchError(f"{self.name} on 127.0.0.1:{self.port} answered GET {path} (Host: {host}) with "
                             f"{got_status} {got_body[:200]!r}, expected {status} {body!r}; "
                             f"its log: {self.process.log_path}")


class Nginx(Server):
    def __init__(self, name, port, directory, process, config_path):
        super().__init__(name, port, directory, process)
        self.config_path = config_path

    def reload(self, config_text):
        """Writes the new config and signals the master, as `nginx -s reload`
        does minus the second parse of the whole config that command makes."""
        with open(self.config_path, "w") as f:
            f.write(config_text)
        os.kill(self.process.pid, signal.SIGHUP)


class HAProxy(Server):
    def workers(self):
        return [self.process.pid]  # one process; its threads are the workers


class Turnout(Server):
    def __init__(self, name, port, directory, process, admin):
        super().__init__(name, port, directory, process)
        self.admin = admin


def _folder(run_dir, name):
    directory = os.path.join(run_dir, name)
    os.makedirs(os.path.join(directory, "temp"), exist_ok=True)
    return directory


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def start_nginx(processes, run_dir, name, make_config, workers, cpus=None, timeout=60.0, wrapper=()):
    """nginx on a free port with make_config(folder, port) as its config;
    returns once it listens and its `workers` workers have started (the
    master listens before it forks them; 0 for `master_process off`).
    `wrapper`: a command nginx runs under (valgrind)."""
    directory = _folder(run_dir, name)
    port = free_port()
    config_path = _write(os.path.join(directory, "nginx.conf"), make_config(directory, port))
    process = processes.start(name, [*wrapper, "nginx", "-p", directory, "-c", config_path,
                                     "-e", os.path.join(directory, "error.log")], cpus=cpus)
    process.wait_for_port(port, timeout)
    nginx = Nginx(name, port, directory, process, config_path)
    process.wait_for(lambda: len(nginx.workers()) == workers, timeout, f"{name}'s {workers} workers to start")
    return nginx


def start_haproxy(processes, run_dir, name, make_config, cpus=None, timeout=30.0, wrapper=()):
    """HAProxy in the foreground on a free port with make_config(port) as its
    config; `wrapper`: a command it runs under (valgrind)."""
    directory = _folder(run_dir, name)
    port = free_port()
    config_path = _write(os.path.join(directory, "haproxy.cfg"), make_config(port))
    process = processes.start(name, [*wrapper, "haproxy", "-db", "-f", config_path], cpus=cpus)
    process.wait_for_port(port, timeout)
    return HAProxy(name, port, directory, process)


def start_turnout(processes, run_dir, name, binary, make_config, workers, cpus=None, timeout=120.0,
                  env=None):
    """turnout on a free port with make_config(port) as its config; returns once
    `workers` workers report ready on the admin socket. `env`: its whole
    environment, when not this one's."""
    directory = _folder(run_dir, name)
    port = free_port()
    config_path = _write(os.path.join(directory, "turnout.yaml"), make_config(port))
    process = processes.start(name, [binary, "run", "-c", config_path, "--fresh"], cpus=cpus, cwd=directory,
                              env=env)
    admin = Admin(None, os.path.join(directory, "run", "admin.sock"))
    process.wait_for(lambda: len(admin.ready_workers()) == workers, timeout,
                     f"{workers} {name} workers to be ready")
    process.wait_for_port(port, timeout)
    return Turnout(name, port, directory, process, admin)


def start_echo_backend(processes, run_dir, binary, cpus=None, timeout=30.0):
    """turnout's test backend (it streams large bodies both ways and reports
    the length of what it received) on a free port."""
    directory = _folder(run_dir, "echo-backend")
    port = free_port()
    process = processes.start("echo-backend", [binary, "--port", str(port), "--name", "stream"], cpus=cpus)
    process.wait_for_port(port, timeout)
    return Server("echo-backend", port, directory, process)

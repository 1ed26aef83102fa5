"""A real etcd for the fleet tests: Debian's etcd-server (3.4) on 127.0.0.1.

`Etcd` starts /usr/bin/etcd with free client and peer ports and a temporary
data folder, waits until it answers its health check, and stops it by pid.
`kill()` and `start()` restart it on the same folder and ports, so a test can
take etcd away from turnout and give it back. The small v3 JSON-gateway
client here (put, delete, get, compact, txn) is what tests write with; keys
and values travel base64-encoded, as the gateway wants them.
"""

import base64
import contextlib
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

from harness import free_port, stop_process, wait_until

ETCD_BIN = os.environ.get("ETCD_BIN", shutil.which("etcd") or "/usr/bin/etcd")
ETCDCTL_BIN = shutil.which("etcdctl") or "/usr/bin/etcdctl"


def b64(text):
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


def unb64(text):
    return base64.b64decode(text).decode()


def prefix_end(prefix):
    """The range_end that selects every key starting with `prefix`."""
    raw = bytearray(prefix.encode())
    raw[-1] += 1
    return bytes(raw)


class Etcd:
    """Runs one etcd member for the duration of a `with` block."""

    def __init__(self, start_timeout=20.0, tls=None):
        """tls: a Pki (tls_helpers): etcd then serves https with a
        certificate for 127.0.0.1 and asks clients for one of that CA's
        (self.client_cert, self.client_key)."""
        self.start_timeout = start_timeout
        self.tls = tls
        self.client_port = free_port()
        self.peer_port = free_port()
        self.proc = None
        self._tmp = tempfile.TemporaryDirectory(prefix="turnout-etcd-")
        self.data_dir = os.path.join(self._tmp.name, "data")
        self.log_path = os.path.join(self._tmp.name, "etcd.log")

    @property
    def url(self):
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.client_port}"

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self._cleanup()
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.print_log()
        self._cleanup()
        return False

    def start(self):
        """Starts etcd (again) on the same folder and ports; waits until healthy."""
        peer = f"http://127.0.0.1:{self.peer_port}"
        args = [ETCD_BIN, "--name", "test", "--data-dir", self.data_dir,
                "--listen-client-urls", self.url, "--advertise-client-urls", self.url,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", f"test={peer}", "--log-level", "warn",
                "--logger", "zap"]
        if self.tls:
            # clientAuth too: etcd's gateway dials its own gRPC server with it.
            cert, key = self.tls.leaf("etcd-server", ips=["127.0.0.1"], usage="serverAuth,clientAuth")
            self.client_cert, self.client_key = self.tls.leaf("etcd-client", usage="clientAuth")
            args += ["--cert-file", cert, "--key-file", key, "--trusted-ca-file", self.tls.ca,
                     "--client-cert-auth"]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT)
        wait_until(self._healthy, timeout=self.start_timeout, interval=0.05,
                   message=f"etcd did not become healthy on {self.url} within "
                           f"{self.start_timeout}s (log: {self.log_path})")

    def _healthy(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"etcd exited with {self.proc.returncode}: {self.log_text()}")
        with contextlib.suppress(OSError, ValueError):
            with urllib.request.urlopen(self.url + "/health", timeout=1, context=self._context()) as response:
                return json.loads(response.read()).get("health") == "true"
        return False

    def kill(self):
        """SIGKILL, as a crash: the data folder stays for start()."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def stop(self):
        if self.proc:
            stop_process(self.proc)
            self.proc = None

    def _cleanup(self):
        self.stop()
        self._tmp.cleanup()

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def print_log(self):
        sys.stderr.write(f"\n----- etcd log -----\n{self.log_text()}\n----- end of etcd log -----\n")

    # ------------------------------------------------------------ client

    def call(self, path, body, timeout=5.0):
        request = urllib.request.Request(self.url + path, data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout, context=self._context()) as response:
            return json.loads(response.read())

    def _context(self):
        if not self.tls:
            return None
        context = ssl.create_default_context(cafile=self.tls.ca)
        context.load_cert_chain(self.client_cert, self.client_key)
        return context

    def put(self, key, value):
        """Returns the revision the put made."""
        answer = self.call("/v3/kv/put", {"key": b64(key), "value": b64(value)})
        return int(answer["header"]["revision"])

    def delete(self, key):
        answer = self.call("/v3/kv/deleterange", {"key": b64(key)})
        return int(answer["header"]["revision"])

    def txn(self, puts=(), deletes=()):
        """One transaction of puts ({key: value}) and deletes; its revision."""
        success = [{"request_put": {"key": b64(k), "value": b64(v)}} for k, v in dict(puts).items()]
        success += [{"request_delete_range": {"key": b64(k)}} for k in deletes]
        answer = self.call("/v3/kv/txn", {"success": success})
        return int(answer["header"]["revision"])

    def get(self, key):
        answer = self.call("/v3/kv/range", {"key": b64(key)})
        kvs = answer.get("kvs", [])
        return unb64(kvs[0].get("value", "")) if kvs else None

    def get_prefix(self, prefix):
        """{key: value} of every key under `prefix`."""
        answer = self.call("/v3/kv/range", {"key": b64(prefix), "range_end": b64(prefix_end(prefix))})
        return {unb64(kv["key"]): unb64(kv.get("value", "")) for kv in answer.get("kvs", [])}

    def revision(self):
        answer = self.call("/v3/kv/range", {"key": b64("\0"), "count_only": True})
        return int(answer["header"]["revision"])

    def compact(self, revision):
        self.call("/v3/kv/compaction", {"revision": str(revision), "physical": True})

    def etcdctl(self, *args, user=None):
        """Runs etcdctl against this member; returns its stdout (raises on failure)."""
        command = [ETCDCTL_BIN, "--endpoints", self.url, *(["--user", user] if user else []), *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=30,
                                env=dict(os.environ, ETCDCTL_API="3"))
        if result.returncode != 0:
            raise AssertionError(f"{' '.join(command)}: {result.stderr}")
        return result.stdout

    def enable_auth(self, user, password, prefix):
        """A root user, and `user` allowed to read and write under `prefix`; then auth on."""
        self.etcdctl("user", "add", "root:root-secret")
        self.etcdctl("user", "add", f"{user}:{password}")
        self.etcdctl("role", "add", "fleet")
        self.etcdctl("role", "grant-permission", "fleet", "--prefix=true", "readwrite", prefix)
        self.etcdctl("user", "grant-role", user, "fleet")
        self.etcdctl("auth", "enable")

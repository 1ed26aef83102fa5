"""A client for turnout's admin API over its Unix socket (SPEC §4), and for
the `turnout` CLI commands that talk to it."""

import http.client
import json
import os
import socket
import subprocess

from harness import turnout_bin


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=30.0):
        super().__init__("turnout", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


class AdminResponse:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"AdminResponse({self.status}, {self.body[:300]!r})"


class Admin:
    """admin = Admin(turnout_instance) — requests go to <dir>/run/admin.sock."""

    def __init__(self, turnout, socket_path=None):
        self.turnout = turnout
        self.path = socket_path or os.path.join(turnout.dir, "run", "admin.sock")

    def request(self, method, path, body=None, headers=None):
        conn = _UnixConnection(self.path)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
                headers = dict(headers or {}, **{"Content-Type": "application/json"})
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return AdminResponse(response.status, dict(response.getheaders()),
                                 response.read().decode())
        finally:
            conn.close()

    def status(self):
        response = self.request("GET", "/v1/status")
        assert response.status == 200, response
        return response.json()

    def version(self):
        return self.status()["version"]

    def put_config(self, yaml_text, if_match=None):
        headers = {"Content-Type": "application/yaml"}
        if if_match is not None:
            headers["If-Match"] = f'"{if_match}"'
        return self.request("PUT", "/v1/config", body=yaml_text, headers=headers)

    def ready_workers(self):
        return [w for w in self.status()["workers"] if w["state"] == "ready"]

    def cli(self, *args, timeout=30):
        """Runs `turnout ARGS --socket PATH`; returns CompletedProcess (text)."""
        return subprocess.run([turnout_bin(), *args, "--socket", self.path],
                              capture_output=True, text=True, timeout=timeout)

"""`turnout validate -c FILE` (SPEC §2, §3): exit 0 on a valid config; exit 1
on an invalid one, each error as FILE:LINE:COL: message on stderr."""

import os
import re
import subprocess
import tempfile
import textwrap
import unittest

from harness import turnout_bin

VALID = """\
workers: 2
admin:
  socket: run/admin.sock
state_dir: run/state
limits:
  max_header_bytes: 16k
  max_body_bytes: 0
  header_timeout: 10s
  idle_timeout: 60s
  drain_timeout: 30s
listeners:
  - name: web
    address: 127.0.0.1:18080
  - { name: any, address: ":18081" }
upstreams:
  app-v1:
    targets:
      - 127.0.0.1:9001
      - { address: 127.0.0.1:9002, weight: 3 }
    balance: round_robin
    keepalive: { max_idle: 64, idle_timeout: 60s }
    timeouts: { connect: 3s, response: 500ms }
    retries: 1
    health_check: { path: /healthz, interval: 5s, timeout: 1s, unhealthy_after: 3, healthy_after: 2 }
    outlier: { consecutive_failures: 5, eject_for: 30s }
  app-v2:
    targets: [127.0.0.1:9003]
    balance: hash
    hash_key: header:X-User
routes:
  - name: api
    match:
      host: api.example.com
      path_prefix: /api/
      methods: [GET, POST]
      headers: { X-Env: canary }
    split:
      - { upstream: app-v1, weight: 90 }
      - { upstream: app-v2, weight: 10 }
    sticky: cookie:session
    strip_prefix: /api
    request_headers: { set: { X-Route: api }, remove: [X-Debug] }
    response_headers: { set: {}, remove: [Server] }
  - name: exact
    match: { host: "*.example.com", path: /exact }
    upstream: app-v2
  - { name: rest, upstream: app-v1 }
"""

# Each invalid case: (what is wrong, config text, line of the error (or the
# lines it may be on; None: any), a word the message must contain). Errors are written one per line so the line is
# unambiguous.
INVALID = [
    ("unknown top-level key", """\
        workers: 1
        listners:
          - { name: web, address: 127.0.0.1:18080 }
        """, 2, "listners"),
    ("unknown upstream key", """\
        upstreams:
          a:
            targets: [127.0.0.1:9001]
            balanse: round_robin
        """, 4, "balanse"),
    ("wrong type", """\
        workers: many
        """, 1, "workers"),
    ("route naming an unknown upstream", """\
        upstreams:
          a: { targets: [127.0.0.1:9001] }
        routes:
          - name: r
            upstream: nope
        """, 5, "nope"),
    ("address that does not parse", """\
        listeners:
          - name: web
            address: 127.0.0.1:99999
        """, 3, "address"),
    ("two listeners on one address", """\
        listeners:
          - name: one
            address: 127.0.0.1:18080
          - name: two
            address: 127.0.0.1:18080
        """, (3, 5), "address"),
    ("duplicate route names", """\
        upstreams:
          a: { targets: [127.0.0.1:9001] }
        routes:
          - { name: r, upstream: a }
          - name: r
            upstream: a
        """, 5, "r"),
    ("weights summing to zero", """\
        upstreams:
          a: { targets: [127.0.0.1:9001] }
          b: { targets: [127.0.0.1:9002] }
        routes:
          - name: r
            split:
              - { upstream: a, weight: 0 }
              - { upstream: b, weight: 0 }
        """, None, "weight"),
    ("negative weight", """\
        upstreams:
          a: { targets: [127.0.0.1:9001] }
        routes:
          - name: r
            split:
              - upstream: a
                weight: -1
        """, 7, "weight"),
    ("bad duration", """\
        limits:
          header_timeout: soon
        """, 2, "header_timeout"),
    ("YAML syntax error", """\
        workers: 1
        listeners: [ { name: web
        """, None, ""),
]


class ValidateTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="turnout-validate-")
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name

    def validate(self, text, name="turnout.yaml"):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        proc = subprocess.run([turnout_bin(), "validate", "-c", path], capture_output=True,
                              text=True, timeout=30, cwd=self.dir)
        return path, proc

    def test_valid_config(self):
        _, proc = self.validate(VALID)
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_minimal_config(self):
        _, proc = self.validate(textwrap.dedent("""\
            workers: 1
            listeners:
              - { name: web, address: 127.0.0.1:18080 }
            limits: { header_timeout: 1s }
            upstreams:
              a: { targets: [127.0.0.1:9001] }
            routes:
              - { name: r, match: { path_prefix: / }, upstream: a }
            """))
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_invalid_configs(self):
        for what, text, line, word in INVALID:
            with self.subTest(what):
                path, proc = self.validate(textwrap.dedent(text))
                self.assertEqual(proc.returncode, 1, proc.stderr)
                errors = re.findall(re.escape(path) + r":(\d+):(\d+): (.+)", proc.stderr)
                self.assertTrue(errors, f"no FILE:LINE:COL: message in {proc.stderr!r}")
                if line is not None:
                    lines = line if isinstance(line, tuple) else (line,)
                    matching = [e for e in errors if int(e[0]) in lines and int(e[1]) >= 1
                                and word.lower() in e[2].lower()]
                    self.assertTrue(matching, f"no error naming {word!r} on line {line}: "
                                              f"{proc.stderr!r}")

    def test_every_error_is_reported(self):
        path, proc = self.validate(textwrap.dedent("""\
            workers: 1
            upstreams:
              a: { targets: [127.0.0.1:9001] }
            routes:
              - name: r
                upstream: nope
              - name: s
                upstream: missing
            """))
        self.assertEqual(proc.returncode, 1, proc.stderr)
        lines = {int(m) for m in re.findall(re.escape(path) + r":(\d+):\d+: ", proc.stderr)}
        self.assertTrue({6, 8} <= lines, proc.stderr)

    def test_missing_config_argument_is_usage_error(self):
        proc = subprocess.run([turnout_bin(), "validate"], capture_output=True, text=True,
                              timeout=30)
        self.assertEqual(proc.returncode, 2, proc.stderr)


if __name__ == "__main__":
    unittest.main()

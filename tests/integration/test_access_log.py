"""The access log (`access_log: PATH`): one JSON line per request with what
happened to it."""

import http.client
import json
import os
import signal
import threading
import unittest

from harness import (BackendsTestCase, Turnout, free_port, refused_port, render, request,
                     wait_until)

CONFIG = """\
workers: 2
access_log: access.log
listeners:
  - { name: web, address: 127.0.0.1:${port} }
upstreams:
  a: { targets: [${a}] }
  gone: { targets: [${gone}], retries: 0, timeouts: { connect: 1s } }
  both_gone: { targets: [${gone}, ${gone2}], retries: 3, timeouts: { connect: 1s } }
routes:
  - { name: dead, match: { path: /dead }, upstream: gone }
  - { name: both_dead, match: { path: /both-dead }, upstream: both_gone }
  - { name: main, match: { path_prefix: /app }, upstream: a }
"""


def read_lines(path):
    """The access log's lines so far, parsed."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


class AccessLogTest(BackendsTestCase):
    backend_names = ("a",)

    def start(self):
        port = free_port()
        gone, gone2 = (self.enterContext(refused_port()) for _ in range(2))
        t = Turnout(render(CONFIG, port=port, a=self.a.address, gone=f"127.0.0.1:{gone}",
                           gone2=f"127.0.0.1:{gone2}"))
        self.turnouts = (t,)
        return port, t

    def test_one_json_line_per_request(self):
        port, t = self.start()
        with t:
            path = os.path.join(t.dir, "access.log")
            self.assertEqual(request(port, "GET", "/app/x?q=1")[0], 200)
            self.assertEqual(request(port, "POST", "/app/form", body=b"hello")[0], 200)
            self.assertEqual(request(port, "GET", "/app/big?bytes=1000")[0], 200)
            self.assertEqual(request(port, "GET", "/nowhere")[0], 404)
            self.assertEqual(request(port, "GET", "/dead")[0], 502)

            def lines():
                return read_lines(path)

            wait_until(lambda: len(lines()) == 5, timeout=10, message="5 access log lines")
            by_path = {line["path"]: line for line in lines()}
            ok = by_path["/app/x?q=1"]
            self.assertEqual((ok["method"], ok["status"], ok["route"], ok["upstream"]),
                             ("GET", 200, "main", "a"))
            self.assertEqual(ok["target"], self.a.address)
            self.assertEqual(ok["client"], "127.0.0.1")
            self.assertEqual(ok["attempts"], 1)
            self.assertIsNone(ok["error"])
            self.assertGreaterEqual(ok["duration_ms"], 0)
            self.assertTrue(ok["time"].endswith("Z"))
            self.assertEqual(by_path["/app/form"]["method"], "POST")
            self.assertEqual(by_path["/app/big?bytes=1000"]["bytes"], 1000)
            self.assertEqual((by_path["/nowhere"]["status"], by_path["/nowhere"]["error"]),
                             (404, "no_route"))
            dead = by_path["/dead"]
            self.assertEqual((dead["status"], dead["error"], dead["upstream"]),
                             (502, "connect_failed", "gone"))
            self.assertEqual(dead["attempts"], 1)

    def test_attempts_counts_the_tries_made(self):
        """Two targets that refuse, retries allowing more: both are tried
        once, and the line says 2, not a retry that never happened."""
        port, t = self.start()
        with t:
            self.assertEqual(request(port, "GET", "/both-dead")[0], 502)
            path = os.path.join(t.dir, "access.log")
            wait_until(lambda: len(read_lines(path)) == 1, timeout=10, message="1 access log line")
            (line,) = read_lines(path)
            self.assertEqual((line["status"], line["error"], line["upstream"]),
                             (502, "connect_failed", "both_gone"))
            self.assertEqual(line["attempts"], 2)

    def test_each_request_on_a_keep_alive_connection_logs_its_own(self):
        """Three requests one after another on one connection, each served
        by an exchange the worker lent again: every line holds its own
        request's error, target and bytes, nothing of the one before."""
        port, t = self.start()
        with t:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                first_socket = None
                for method, path, body, status in (("GET", "/dead", None, 502),
                                                    ("POST", "/app/form", b"hello", 200),
                                                    ("GET", "/app/big?bytes=1000", None, 200)):
                    conn.request(method, path, body=body)
                    response = conn.getresponse()
                    response.read()
                    self.assertEqual(response.status, status, path)
                    first_socket = first_socket or conn.sock
                    self.assertIs(conn.sock, first_socket, f"{path}: the connection was closed")
            finally:
                conn.close()
            path = os.path.join(t.dir, "access.log")
            wait_until(lambda: len(read_lines(path)) == 3, timeout=10, message="3 access log lines")
            dead, form, big = read_lines(path)
            self.assertEqual((dead["path"], dead["status"], dead["error"], dead["upstream"]),
                             ("/dead", 502, "connect_failed", "gone"))
            self.assertEqual(dead["attempts"], 1)
            self.assertEqual((form["method"], form["path"], form["status"], form["error"]),
                             ("POST", "/app/form", 200, None))
            self.assertEqual((form["route"], form["upstream"], form["target"]),
                             ("main", "a", self.a.address))
            self.assertEqual(form["attempts"], 1)
            self.assertEqual((big["method"], big["status"], big["error"], big["bytes"]),
                             ("GET", 200, None, 1000))
            self.assertEqual(big["attempts"], 1)
            self.assertEqual({line["client"] for line in (dead, form, big)}, {"127.0.0.1"})

    def test_sigusr1_reopens_after_rotation_and_loses_no_line(self):
        """logrotate's way: rename the file, SIGUSR1 the master; requests
        keep coming meanwhile, and every one is in exactly one of the two."""
        port, t = self.start()
        with t:
            path = os.path.join(t.dir, "access.log")
            sent = []
            rotated = threading.Event()
            stop = threading.Event()

            def client():
                # Bounded: at most 2,000 requests, each checked.
                for i in range(2000):
                    if stop.is_set():
                        return
                    status = request(port, "GET", f"/app/r{i}")[0]
                    sent.append((f"/app/r{i}", status))
                    if rotated.is_set() and len(sent) >= 40 and i % 20 == 0:
                        return

            thread = threading.Thread(target=client, daemon=True)
            thread.start()
            wait_until(lambda: len(sent) >= 20, timeout=10, message="20 requests sent")
            os.rename(path, path + ".1")
            os.kill(t.pid, signal.SIGUSR1)
            wait_until(lambda: t.log_text().count('msg="access log reopened"') == 2,
                       timeout=10, message="SIGUSR1 did not reopen both workers' logs")
            rotated.set()
            thread.join(timeout=60)
            stop.set()
            self.assertFalse(thread.is_alive())
            self.assertTrue(all(status == 200 for _, status in sent))

            def logged(name):
                with open(name) as f:
                    return [json.loads(line)["path"] for line in f if line.strip()]

            wait_until(lambda: len(logged(path)) + len(logged(path + ".1")) >= len(sent),
                       timeout=10, message="every request logged")
            old, new = logged(path + ".1"), logged(path)
            self.assertEqual(sorted(old + new), sorted(p for p, _ in sent))
            self.assertTrue(old and new, (len(old), len(new)))
            # The last request went to the new file: it came after the reopen.
            self.assertIn(sent[-1][0], new)
            self.assertIn('msg="SIGUSR1: workers reopen the access log"', t.log_text())


if __name__ == "__main__":
    unittest.main()

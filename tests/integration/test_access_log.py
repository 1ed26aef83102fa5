"""The access log (`access_log: PATH`): one JSON line per request with what
happened to it."""

import json
import os
import unittest

from harness import (EchoBackend, Turnout, TurnoutTestCase, free_port, render, request,
                     wait_until)

CONFIG = """\
workers: 2
access_log: access.log
listeners:
  - { name: web, address: 127.0.0.1:${port} }
upstreams:
  a: { targets: [${a}] }
  gone: { targets: [${gone}], retries: 0, timeouts: { connect: 1s } }
routes:
  - { name: dead, match: { path: /dead }, upstream: gone }
  - { name: main, match: { path_prefix: /app }, upstream: a }
"""


class AccessLogTest(TurnoutTestCase):
    def test_one_json_line_per_request(self):
        with EchoBackend("a") as a:
            port = free_port()
            t = Turnout(render(CONFIG, port=port, a=a.address, gone=f"127.0.0.1:{free_port()}"))
            self.turnouts = (t,)
            with t:
                path = os.path.join(t.dir, "access.log")
                self.assertEqual(request(port, "GET", "/app/x?q=1")[0], 200)
                self.assertEqual(request(port, "POST", "/app/form", body=b"hello")[0], 200)
                self.assertEqual(request(port, "GET", "/app/big?bytes=1000")[0], 200)
                self.assertEqual(request(port, "GET", "/nowhere")[0], 404)
                self.assertEqual(request(port, "GET", "/dead")[0], 502)

                def lines():
                    if not os.path.exists(path):
                        return []
                    with open(path) as f:
                        return [json.loads(line) for line in f if line.strip()]

                wait_until(lambda: len(lines()) == 5, timeout=10, message="5 access log lines")
                by_path = {line["path"]: line for line in lines()}
                ok = by_path["/app/x?q=1"]
                self.assertEqual((ok["method"], ok["status"], ok["route"], ok["upstream"]),
                                 ("GET", 200, "main", "a"))
                self.assertEqual(ok["target"], a.address)
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


if __name__ == "__main__":
    unittest.main()

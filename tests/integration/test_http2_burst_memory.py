"""What a burst of HTTP/2 streams leaves in a worker (issue 16). A stream
borrows a 64 KiB body buffer only once a body moves through it; the body
bytes that came whole with a small response's head stay in the stream
itself (H2Stream::head_body_room). The worker's pools keep what every
stream that ran at once borrowed, and each borrowed buffer kept a touched
page: 2 connections x 100 streams of 100-byte responses grew the worker by
1.96-2.05 MB when every response borrowed one, 1.33-1.36 MB now."""

import subprocess
import unittest

from harness import MEMORY_SCALE, EchoBackend, Turnout, TurnoutTestCase, free_port, render, rss_kb

CONFIG = """\
workers: 1
listeners:
  - { name: web, address: 127.0.0.1:${port}, http2: true }
upstreams:
  echo: { targets: [${echo}], keepalive: { max_idle: 256 } }
routes:
  - { name: all, upstream: echo }
"""

GROWTH_LIMIT_KB = 1700 * MEMORY_SCALE


class Http2BurstMemoryTest(TurnoutTestCase):
    def h2load(self, port, *args):
        result = subprocess.run(["h2load", *args, f"http://127.0.0.1:{port}/burst?bytes=100"],
                                capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout

    def test_small_responses_on_many_streams_borrow_no_body_buffers(self):
        with EchoBackend("echo") as echo:
            port = free_port()
            with Turnout(render(CONFIG, port=port, echo=echo.address)) as turnout:
                self.turnouts = (turnout,)
                worker = turnout.worker_pids()[0]
                self.h2load(port, "-n", "10", "-c", "1")
                before = rss_kb(worker)
                out = self.h2load(port, "-n", "20000", "-c", "2", "-m", "100")
                growth = rss_kb(worker) - before
                self.assertIn("20000 succeeded", out)
                self.assertLess(growth, GROWTH_LIMIT_KB,
                                f"worker RSS grew {growth} KiB over 2 x 100 streams of small responses")


if __name__ == "__main__":
    unittest.main()

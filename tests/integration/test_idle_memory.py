"""Memory of idle keep-alive connections (issue 16): a connection between
requests holds its socket, its place in the worker's deadline queue and a
readiness wait, not a read buffer, a parser or the buffers of an exchange,
which the worker lends only while a request is in flight. 10,000
connections, each idle after one proxied request, must grow the worker's
RSS by less than IDLE_KB_PER_CONNECTION each (main before issue 16: about
70 kB each; with a 512-byte idle read buffer, a parser and a timer per
connection: 3.7 kB; now about 1.6 kB); and every one of them is still
served afterwards."""

import contextlib
import resource
import unittest

from harness import (EchoBackend, RawConnection, Turnout, TurnoutTestCase, free_port, render,
                     rss_kb)

CONNECTIONS = 10_000
IDLE_KB_PER_CONNECTION = 2.5

CONFIG = """\
workers: 1
listeners:
  - { name: web, address: 127.0.0.1:${port} }
limits: { idle_timeout: 120s }
upstreams:
  echo: { targets: [${echo}] }
routes:
  - { name: all, upstream: echo }
"""

REQUEST = "GET /idle HTTP/1.1\r\nHost: a\r\n\r\n"


def raise_file_limit(needed):
    """Raises this process's open-file limit (turnout inherits it) to at least
    `needed`; False when the hard limit does not allow it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        return False
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, needed), hard))
    return True


class IdleMemoryTest(TurnoutTestCase):
    @classmethod
    def setUpClass(cls):
        if not raise_file_limit(CONNECTIONS + 1000):
            raise unittest.SkipTest(f"the open-file hard limit is below {CONNECTIONS + 1000}; "
                                    "raise it (ulimit -Hn) to run this test")
        stack = contextlib.ExitStack()
        cls.addClassCleanup(stack.close)
        cls.echo = stack.enter_context(EchoBackend("echo"))
        cls.port = free_port()
        config = render(CONFIG, port=cls.port, echo=cls.echo.address)
        cls.turnout = stack.enter_context(Turnout(config))
        cls.turnouts = (cls.turnout,)

    def served(self, conn, request=REQUEST):
        return conn.request(request).status == 200

    def test_idle_connections_hold_no_exchange_buffers(self):
        worker = self.turnout.worker_pids()[0]
        held = []
        try:
            # What the worker allocates once (the upstream connection, the
            # first lent buffers) is not the idle connections' cost.
            held.append(RawConnection(self.port, timeout=10))
            self.assertTrue(self.served(held[0]))
            before = rss_kb(worker)
            while len(held) < CONNECTIONS:
                count = min(200, CONNECTIONS - len(held))
                batch = [RawConnection(self.port, timeout=10) for _ in range(count)]
                held.extend(batch)
                for conn in batch:
                    conn.send(REQUEST)
                for conn in batch:
                    self.assertEqual(conn.read_response().status, 200)
            growth_kb = rss_kb(worker) - before
            per_connection = growth_kb / CONNECTIONS
            self.assertLess(per_connection, IDLE_KB_PER_CONNECTION,
                            f"worker RSS grew {growth_kb} KiB for {CONNECTIONS} idle connections")
            for conn in held[::500]:
                self.assertTrue(self.served(conn), "an idle connection was not served again")
        finally:
            for conn in held:
                conn.close()

    def test_a_head_longer_than_the_idle_buffer_is_served(self):
        long_head = "GET /long HTTP/1.1\r\nHost: a\r\n" + "".join(
            f"X-Filler-{i}: {'v' * 100}\r\n" for i in range(30)) + "\r\n"
        with RawConnection(self.port, timeout=10) as conn:
            for _ in range(3):
                self.assertTrue(self.served(conn, long_head))
                self.assertTrue(self.served(conn))


if __name__ == "__main__":
    unittest.main()

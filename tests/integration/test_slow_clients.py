"""Slow and abusive clients (TESTING.md): slowloris connections cut off at
header_timeout while a normal client keeps being served; idle keep-alive
closed at idle_timeout; a client that stops sending its body answered 408
at idle_timeout; a client that stops reading cut off at send_timeout; limits.max_connections holding new connections back while the
open ones are served, and accepting again once one closes."""

import contextlib
import select
import socket
import time
import unittest

from harness import (EchoBackend, RawConnection, Turnout, TurnoutTestCase, free_port, render,
                     request, wait_until)

CONFIG = """\
workers: 1
listeners:
  - { name: web, address: 127.0.0.1:${port} }
limits: { header_timeout: 1s, idle_timeout: 1s, send_timeout: 1s, max_connections: ${max_connections} }
upstreams:
  echo: { targets: [${echo}] }
routes:
  - { name: all, upstream: echo }
"""


def start(cls, max_connections):
    stack = contextlib.ExitStack()
    cls.addClassCleanup(stack.close)
    cls.echo = stack.enter_context(EchoBackend("echo"))
    cls.port = free_port()
    config = render(CONFIG, port=cls.port, echo=cls.echo.address, max_connections=max_connections)
    cls.turnout = stack.enter_context(Turnout(config))
    cls.turnouts = (cls.turnout,)


def readable(sock, timeout):
    return bool(select.select([sock], [], [], timeout)[0])


class SlowClientsTest(TurnoutTestCase):
    @classmethod
    def setUpClass(cls):
        start(cls, 0)

    def test_slowloris_is_cut_off_while_normal_clients_are_served(self):
        slow = [RawConnection(self.port, timeout=5) for _ in range(40)]
        try:
            for conn in slow:
                conn.send("GET /x HTTP/1.1\r\nHost: a\r\n")
            started = time.monotonic()
            open_ = list(slow)
            served = 0
            while open_ and time.monotonic() - started < 5:
                for conn in list(open_):
                    if readable(conn.sock, 0):
                        self.assertEqual(conn.read_response().status, 408)
                        self.assertTrue(conn.wait_closed(2))
                        open_.remove(conn)
                    else:
                        with contextlib.suppress(OSError):
                            conn.send("X")  # one byte at a time
                status, _, _ = request(self.port, "GET", "/normal", timeout=2)
                self.assertEqual(status, 200)
                served += 1
                time.sleep(0.05)  # pacing the drip, not synchronization
            self.assertEqual(open_, [], "slow connections outlived header_timeout")
            self.assertLess(time.monotonic() - started, 3.5)
            self.assertGreater(served, 5)
        finally:
            for conn in slow:
                conn.close()

    def test_idle_keepalive_is_closed_at_idle_timeout(self):
        with RawConnection(self.port, timeout=5) as conn:
            self.assertEqual(conn.request("GET /x HTTP/1.1\r\nHost: a\r\n\r\n").status, 200)
            started = time.monotonic()
            self.assertTrue(conn.wait_closed(4))
            self.assertGreater(time.monotonic() - started, 0.8)

    def test_a_client_that_stops_sending_its_body_gets_408_at_idle_timeout(self):
        with RawConnection(self.port, timeout=10) as conn:
            conn.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n"
                      + "x" * 100)
            started = time.monotonic()
            self.assertEqual(conn.read_response().status, 408)
            self.assertGreater(time.monotonic() - started, 0.8)
            self.assertTrue(conn.wait_closed(4))
        status, _, _ = request(self.port, "GET", "/after")
        self.assertEqual(status, 200)

    def test_a_client_that_stops_reading_is_cut_off_at_send_timeout(self):
        size = 256 * 1024 * 1024
        with RawConnection(self.port, timeout=10) as conn:
            conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
            conn.send(f"GET /?bytes={size} HTTP/1.1\r\nHost: a\r\n\r\n")
            # Not reading: turnout's writes stall, and send_timeout (1 s) ends them.
            wait_until(lambda: self.turnout_connections() == 0, timeout=10,
                       message="the stalled connection was not closed")
            received = 0
            with contextlib.suppress(ConnectionError, OSError):
                while True:
                    data = conn.sock.recv(1 << 20)
                    if not data:
                        break
                    received += len(data)
            self.assertLess(received, size)
        status, _, _ = request(self.port, "GET", "/after")
        self.assertEqual(status, 200)

    def turnout_connections(self):
        """Established connections on turnout's listening port, seen by the kernel."""
        with open("/proc/net/tcp") as table:
            rows = [line.split() for line in table.readlines()[1:]]
        local = f":{self.port:04X}"
        return sum(1 for row in rows if row[1].endswith(local) and row[3] == "01")


class ConnectionLimitTest(TurnoutTestCase):
    @classmethod
    def setUpClass(cls):
        start(cls, 5)

    def test_at_the_limit_open_connections_are_served_and_new_ones_wait(self):
        held = [RawConnection(self.port, timeout=5) for _ in range(5)]
        try:
            for conn in held:
                self.assertEqual(conn.request("GET /x HTTP/1.1\r\nHost: a\r\n\r\n").status, 200)
            with RawConnection(self.port, timeout=5) as extra:
                extra.send("GET /extra HTTP/1.1\r\nHost: a\r\n\r\n")
                self.assertFalse(readable(extra.sock, 0.5), "a connection over the limit was served")
                for conn in held:
                    self.assertEqual(conn.request("GET /y HTTP/1.1\r\nHost: a\r\n\r\n").status, 200)
                held.pop().close()
                self.assertEqual(extra.read_response().status, 200)
            self.assertIn("connection limit reached", self.turnout.log_text())
        finally:
            for conn in held:
                conn.close()


if __name__ == "__main__":
    unittest.main()

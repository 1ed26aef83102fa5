"""Strict request parsing (SPEC §5, TESTING.md "Malformed requests"): every
ambiguous request is refused with 400 (501 for an unsupported transfer
coding, 505 for another HTTP version, 431 over a limit) and the connection
closed; nothing of it reaches the backend, and a request pipelined behind it
is never answered. Intact but unusual requests still go through."""

import contextlib
import hashlib
import unittest

from harness import (EchoBackend, RawConnection, Turnout, TurnoutTestCase, free_port, render,
                     wait_until)
from scripted_backend import ScriptedBackend

CONFIG = """\
workers: 1
listeners:
  - { name: web, address: 127.0.0.1:${port} }
limits: { header_timeout: 2s, max_headers: 20, max_header_bytes: 4k }
upstreams:
  echo: { targets: [${echo}] }
  recorded: { targets: [${recorder}], keepalive: { max_idle: 0 } }
routes:
  - { name: recorded, match: { path_prefix: /recorded/ }, upstream: recorded }
  - { name: all, upstream: echo }
"""

PIPELINED = b"GET /pipelined HTTP/1.1\r\nHost: a\r\n\r\n"
POST = "POST /x HTTP/1.1\r\nHost: a\r\n"
CHUNKED = POST + "Transfer-Encoding: chunked\r\n\r\n"

# (name, bytes, status): the head alone is enough to refuse these.
REFUSED_HEADS = [
    ("cl then te", POST + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("te then cl", POST + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400),
    ("two content-lengths", POST + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
    ("content-length list", POST + "Content-Length: 5, 5\r\n\r\nhello", 400),
    ("content-length +1", POST + "Content-Length: +1\r\n\r\nh", 400),
    ("content-length 0x1", POST + "Content-Length: 0x1\r\n\r\nh", 400),
    ("content-length 1Z", POST + "Content-Length: 1Z\r\n\r\nh", 400),
    ("content-length empty", POST + "Content-Length:\r\n\r\n", 400),
    ("content-length 2^64", POST + "Content-Length: 18446744073709551616\r\n\r\n", 400),
    ("te last not chunked", POST + "Transfer-Encoding: chunked, gzip\r\n\r\n", 400),
    ("te unknown alone", POST + "Transfer-Encoding: foo\r\n\r\n", 400),
    ("te chunked twice", POST + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    ("te quoted", POST + 'Transfer-Encoding: "chunked"\r\n\r\n', 400),
    ("te unsupported coding", POST + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
    ("te in http/1.0", "POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("obs-fold", "GET /x HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  folded\r\n\r\n", 400),
    ("obs-fold tab", "GET /x HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\tfolded\r\n\r\n", 400),
    ("space before colon", "GET /x HTTP/1.1\r\nHost: a\r\nX-A : 1\r\n\r\n", 400),
    ("space before colon on te", POST + "Transfer-Encoding : chunked\r\nContent-Length: 3\r\n\r\nabc", 400),
    ("nul in name", "GET /x HTTP/1.1\r\nHost: a\r\nX\0A: 1\r\n\r\n", 400),
    ("nul in value", "GET /x HTTP/1.1\r\nHost: a\r\nX-A: 1\0 2\r\n\r\n", 400),
    ("cr in value", "GET /x HTTP/1.1\r\nHost: a\r\nX-A: 1\r2\r\n\r\n", 400),
    ("control byte in value", "GET /x HTTP/1.1\r\nHost: a\r\nX-A: 1\x0b2\r\n\r\n", 400),
    ("bare lf", "GET /x HTTP/1.1\nHost: a\n\n", 400),
    ("bare lf in fields", "GET /x HTTP/1.1\r\nHost: a\nX-A: 1\r\n\r\n", 400),
    ("no host", "GET /x HTTP/1.1\r\n\r\n", 400),
    ("two hosts", "GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    ("bad host", "GET /x HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
    ("double space in request line", "GET  /x HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("no version", "GET /x\r\nHost: a\r\n\r\n", 400),
    ("bad version", "GET /x HTTP/1.x\r\nHost: a\r\n\r\n", 400),
    ("lowercase version", "GET /x http/1.1\r\nHost: a\r\n\r\n", 400),
    ("bad method", "G(T /x HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("http/2.0 text", "GET /x HTTP/2.0\r\nHost: a\r\n\r\n", 505),
]

# Chunked bodies whose framing is ambiguous, sent in one write with their
# head: turnout sees the bad bytes before it writes the head upstream, so the
# backend gets nothing at all.
RECORDED = "POST /recorded/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
REFUSED_BODIES = [
    ("chunk size with sign", RECORDED + "+5\r\nhello\r\n0\r\n\r\n"),
    ("chunk size 0x prefix", RECORDED + "0x5\r\nhello\r\n0\r\n\r\n"),
    ("chunk size with junk", RECORDED + "5 junk\r\nhello\r\n0\r\n\r\n"),
    ("chunk size empty", RECORDED + "\r\nhello\r\n0\r\n\r\n"),
    ("chunk size 17 digits", RECORDED + "00000000000000005\r\nhello\r\n0\r\n\r\n"),
    ("chunk size overflows", RECORDED + "10000000000000000\r\nhello\r\n0\r\n\r\n"),
    ("chunk data longer than size", RECORDED + "5\r\nhelloXX\r\n0\r\n\r\n"),
    ("chunk line bare lf", RECORDED + "5\nhello\r\n0\r\n\r\n"),
    ("bare lf in chunk extension", RECORDED + "5;a\nb\r\nhello\r\n0\r\n\r\n"),
    ("chunk extension without a name", RECORDED + "5;=x\r\nhello\r\n0\r\n\r\n"),
    ("junk after a chunk extension", RECORDED + "5;a=b c\r\nhello\r\n0\r\n\r\n"),
    ("cr cr after chunk size", RECORDED + "5\r\r\nhello\r\n0\r\n\r\n"),
    ("bare lf after chunk data", RECORDED + "5\r\nhello\n0\r\n\r\n"),
    ("good chunk, then a bad one", RECORDED + "5\r\nhello\r\n+5\r\nworld\r\n0\r\n\r\n"),
    ("trailer obs-fold", RECORDED + "5\r\nhello\r\n0\r\nX: 1\r\n y\r\n\r\n"),
    ("trailer space before colon", RECORDED + "5\r\nhello\r\n0\r\nX : 1\r\n\r\n"),
    ("trailer nul in value", RECORDED + "5\r\nhello\r\n0\r\nX: a\0b\r\n\r\n"),
]

# Request lines refused whole, with their status and turnout-error.
REFUSED_REQUEST_LINES = [
    ("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400, "bad_request_target"),
    ("POST * HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 400, "bad_request_target"),
    ("OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n", 400, "bad_request_target"),
    ("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", 405, "connect_not_supported"),
    ("GET /x HTTP/1.1\r\nHost: [::1\r\n\r\n", 400, "bad_host"),
    ("GET /x HTTP/1.1\r\nHost: [:.example.com\r\n\r\n", 400, "bad_host"),
]


class RequestParsingTest(TurnoutTestCase):
    @classmethod
    def setUpClass(cls):
        stack = contextlib.ExitStack()
        cls.addClassCleanup(stack.close)
        cls.echo = stack.enter_context(EchoBackend("echo"))
        cls.recorder = stack.enter_context(ScriptedBackend({}))
        cls.port = free_port()
        cls.turnout = stack.enter_context(
            Turnout(render(CONFIG, port=cls.port, echo=cls.echo.address,
                           recorder=cls.recorder.address)))
        cls.turnouts = (cls.turnout,)

    def refused(self, data, expected_status, backend_counter, reason=None):
        """Sends `data` with a valid request pipelined behind it; checks the
        status (and turnout-error when `reason` is given), that the
        connection closed with no second response, and that the echo
        backend's counter did not move. Returns the response."""
        before = self.echo.stats()[backend_counter]
        raw = data.encode("latin-1") if isinstance(data, str) else data
        with RawConnection(self.port, timeout=5) as conn:
            conn.send(raw + PIPELINED)
            resp = conn.read_response()
            self.assertEqual(resp.status, expected_status, resp)
            self.assertTrue(resp.header("turnout-error"), resp)
            if reason:
                self.assertEqual(resp.header("turnout-error"), reason, resp)
            self.assertEqual((resp.header("Connection") or "").lower(), "close")
            rest = conn._read_to_close()
            self.assertNotIn(b"HTTP/1.1", rest, "the pipelined request was answered")
        # The backend's own /__stats request counts once in "requests" and
        # "completed", so nothing else arrived when the counter moved by 1.
        self.assertEqual(self.echo.stats()[backend_counter], before + 1)
        return resp

    def test_ambiguous_heads_are_refused_and_never_forwarded(self):
        for name, data, status in REFUSED_HEADS:
            with self.subTest(name):
                self.refused(data, status, "requests")

    def test_ambiguous_chunked_bodies_sent_with_their_head_reach_no_backend(self):
        for name, data in REFUSED_BODIES:
            with self.subTest(name):
                connections = self.recorder.connections
                heads = len(self.recorder.heads)
                self.refused(data, 400, "requests", "bad_request_body")
                # The backend accepts connections in order: once this one is
                # served, one the refused request opened would be counted.
                with RawConnection(self.port) as conn:
                    resp = conn.request("GET /recorded/after HTTP/1.1\r\nHost: a\r\n\r\n")
                    self.assertEqual(resp.status, 200)
                self.assertEqual(self.recorder.connections, connections + 1)
                self.assertEqual([head.split(b"\r\n")[0] for head in self.recorder.heads[heads:]],
                                 [b"GET /recorded/after HTTP/1.1"])

    def test_a_bad_chunk_arriving_later_cuts_the_upstream_request_short(self):
        connections = self.recorder.connections
        with RawConnection(self.port, timeout=5) as conn:
            conn.send(RECORDED + "5\r\nhello\r\n")
            wait_until(lambda: self.recorder.connections == connections + 1,
                       message="the head never reached the backend")
            number = connections + 1
            wait_until(lambda: self.recorder.bytes_received(number).endswith(b"hello\r\n"),
                       message="the first chunk never reached the backend")
            conn.send("+5\r\nworld\r\n0\r\n\r\n")
            resp = conn.read_response()
            self.assertEqual(resp.status, 400, resp)
            self.assertEqual(resp.header("turnout-error"), "bad_request_body")
        wait_until(lambda: number in self.recorder.closed,
                   message="the upstream connection was left open")
        self.assertNotIn(b"world", self.recorder.bytes_received(number))
        self.assertFalse(self.recorder.bytes_received(number).endswith(b"0\r\n\r\n"))

    def test_asterisk_form_connect_and_unclosed_host_brackets_are_refused(self):
        for data, status, reason in REFUSED_REQUEST_LINES:
            with self.subTest(data.split("\r\n")[0]):
                resp = self.refused(data, status, "requests", reason)
                self.assertIsNone(resp.header("Allow"), resp)

    def test_options_asterisk_goes_to_the_route_of_the_root_path(self):
        with RawConnection(self.port) as conn:
            report = conn.request("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n").json()
            self.assertEqual((report["method"], report["target"]), ("OPTIONS", "*"))
            # The connection is kept: the next request on it is served.
            self.assertEqual(conn.request("GET /x HTTP/1.1\r\nHost: a\r\n\r\n").status, 200)

    def test_header_count_at_limit_passes_and_over_it_is_431(self):
        fields = "".join(f"X-F{i}: v\r\n" for i in range(19))
        with RawConnection(self.port) as conn:
            resp = conn.request(f"GET /x HTTP/1.1\r\nHost: a\r\n{fields}\r\n")
            self.assertEqual(resp.status, 200)
        self.refused(f"GET /x HTTP/1.1\r\nHost: a\r\n{fields}X-Last: v\r\n\r\n", 431, "requests")

    def test_header_bytes_at_limit_pass_and_over_it_are_431(self):
        head = "GET /x HTTP/1.1\r\nHost: a\r\nX-Pad: \r\n\r\n"
        pad = 4096 - len(head)
        with RawConnection(self.port) as conn:
            resp = conn.request(head.replace("X-Pad: ", "X-Pad: " + "p" * pad))
            self.assertEqual(resp.status, 200)
        self.refused(head.replace("X-Pad: ", "X-Pad: " + "p" * (pad + 1)), 431, "requests")

    def post_raw(self, data):
        with RawConnection(self.port) as conn:
            return conn.request(data, "POST").json()

    def test_unusual_but_intact_requests_still_work(self):
        hello = hashlib.sha256(b"hello world").hexdigest()
        cases = {
            "uppercase CHUNKED": POST + "Transfer-Encoding: CHUNKED\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
            "chunk extensions": CHUNKED + "5;name=value\r\nhello\r\n6;x\r\n world\r\n0;last\r\n\r\n",
            "trailers": CHUNKED + "b\r\nhello world\r\n0\r\nX-Trailer: t\r\n\r\n",
            "16 hex digits": CHUNKED + "000000000000000b\r\nhello world\r\n0\r\n\r\n",
            "GET with a body": "GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world",
            "HTTP/1.0": "POST /x HTTP/1.0\r\nContent-Length: 11\r\n\r\nhello world",
            "leading empty line": "\r\n" + POST + "Content-Length: 11\r\n\r\nhello world",
        }
        for name, data in cases.items():
            with self.subTest(name):
                report = self.post_raw(data)
                self.assertEqual(report["body_sha256"], hello)
                self.assertEqual(report["body_length"], 11)


if __name__ == "__main__":
    unittest.main()

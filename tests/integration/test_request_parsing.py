"""Strict request parsing (SPEC §5, TESTING.md "Malformed requests"): every
ambiguous request is refused with 400 (501 for an unsupported transfer
coding, 505 for another HTTP version, 431 over a limit) and the connection
closed; nothing of it reaches the backend, and a request pipelined behind it
is never answered. Intact but unusual requests still go through."""

import contextlib
import hashlib
import unittest

from harness import EchoBackend, RawConnection, Turnout, TurnoutTestCase, free_port, render

CONFIG = """\
workers: 1
listeners:
  - { name: web, address: 127.0.0.1:${port} }
limits: { header_timeout: 2s, max_headers: 20, max_header_bytes: 4k }
upstreams:
  echo: { targets: [${echo}] }
routes:
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

# Chunked bodies whose framing is ambiguous: the head goes out before the
# body, so the backend sees a request start but never a whole one.
REFUSED_BODIES = [
    ("chunk size with sign", CHUNKED + "+5\r\nhello\r\n0\r\n\r\n"),
    ("chunk size 0x prefix", CHUNKED + "0x5\r\nhello\r\n0\r\n\r\n"),
    ("chunk size with junk", CHUNKED + "5 junk\r\nhello\r\n0\r\n\r\n"),
    ("chunk size empty", CHUNKED + "\r\nhello\r\n0\r\n\r\n"),
    ("chunk size 17 digits", CHUNKED + "00000000000000005\r\nhello\r\n0\r\n\r\n"),
    ("chunk size overflows", CHUNKED + "10000000000000000\r\nhello\r\n0\r\n\r\n"),
    ("chunk data longer than size", CHUNKED + "5\r\nhelloXX\r\n0\r\n\r\n"),
    ("chunk line bare lf", CHUNKED + "5\nhello\r\n0\r\n\r\n"),
]


class RequestParsingTest(TurnoutTestCase):
    @classmethod
    def setUpClass(cls):
        stack = contextlib.ExitStack()
        cls.addClassCleanup(stack.close)
        cls.echo = stack.enter_context(EchoBackend("echo"))
        cls.port = free_port()
        cls.turnout = stack.enter_context(
            Turnout(render(CONFIG, port=cls.port, echo=cls.echo.address)))
        cls.turnouts = (cls.turnout,)

    def refused(self, data, expected_status, backend_counter):
        """Sends `data` with a valid request pipelined behind it; checks the
        status, that the connection closed with no second response, and
        that the backend's counter did not move."""
        before = self.echo.stats()[backend_counter]
        raw = data.encode("latin-1") if isinstance(data, str) else data
        with RawConnection(self.port, timeout=5) as conn:
            conn.send(raw + PIPELINED)
            resp = conn.read_response()
            self.assertEqual(resp.status, expected_status, resp)
            self.assertTrue(resp.header("turnout-error"), resp)
            self.assertEqual((resp.header("Connection") or "").lower(), "close")
            rest = conn._read_to_close()
            self.assertNotIn(b"HTTP/1.1", rest, "the pipelined request was answered")
        # The backend's own /__stats request counts once in "requests" and
        # "completed", so nothing else arrived when the counter moved by 1.
        self.assertEqual(self.echo.stats()[backend_counter], before + 1)

    def test_ambiguous_heads_are_refused_and_never_forwarded(self):
        for name, data, status in REFUSED_HEADS:
            with self.subTest(name):
                self.refused(data, status, "requests")

    def test_ambiguous_chunked_bodies_are_refused(self):
        for name, data in REFUSED_BODIES:
            with self.subTest(name):
                self.refused(data, 400, "completed")

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

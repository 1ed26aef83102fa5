"""Upstreams that misbehave on purpose (TESTING.md "Upstream misbehaviour"):
broken framing, extra bytes, closes at every point, silence, bodies where
none may be, Connection: close, stale pooled connections and early answers.
turnout must answer the client sensibly and never reuse a connection it
cannot trust."""

import contextlib
import threading
import time
import unittest

from harness import (EchoBackend, RawConnection, Turnout, TurnoutTestCase, free_port, render,
                     request)
from scripted_backend import OK, Reply, ScriptedBackend

CONFIG = """\
workers: 1
listeners:
  - { name: web, address: 127.0.0.1:${port} }
upstreams:
  scripted: { targets: [${scripted}], retries: 0, timeouts: { response: 1s },
              outlier: { consecutive_failures: 1000 } }
  retrying: { targets: [${scripted}, ${echo}], retries: 1, outlier: { consecutive_failures: 1000 } }
  replaying: { targets: [${scripted}, ${recorder}], retries: 1,
               outlier: { consecutive_failures: 1000 } }
routes:
  - { name: replaying, match: { path_prefix: /replay/ }, upstream: replaying }
  - { name: retrying, match: { path_prefix: /retry/ }, upstream: retrying }
  - { name: scripted, upstream: scripted }
"""

REPLIES = {
    "/cl-and-te": Reply("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "5\r\nhello\r\n0\r\n\r\n"),
    "/bad-cl": Reply("HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\nhello"),
    "/two-cl": Reply("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello"),
    "/extra": Reply("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA-BYTES"),
    "/cut": Reply("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly-this", close=True),
    "/cut-chunked": Reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
                          close=True),
    "/no-answer-close": Reply(close=True),
    "/retry/no-answer-close": Reply(close=True),
    "/retry/reset": Reply(reset=True),
    "/replay/reset": Reply(reset=True),
    "/silent": Reply(silent=True),
    "/head-body": Reply("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
    "/204-body": Reply("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello"),
    "/304-body": Reply("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\nhello"),
    "/conn-close": Reply("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"),
    # Head, body and trailer in one write: the trailer is parsed before the
    # head goes out to the client.
    "/trailer": Reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
                      "0\r\nSet-Cookie: smuggled=1\r\nX-Trailer: t\r\n\r\n"),
    "/order": Reply("HTTP/1.1 200 OK\r\nX-Dup: 1\r\nContent-Length: 2\r\nx-dup: 2\r\n\r\nok"),
    "/stale": Reply(OK, close_on_reuse=True),
    "/early": Reply("HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\nContent-Length: 8\r\n\r\ntoo big!",
                    early=True),
}


class UpstreamMisbehaviourTest(TurnoutTestCase):
    @classmethod
    def setUpClass(cls):
        stack = contextlib.ExitStack()
        cls.addClassCleanup(stack.close)
        cls.scripted = stack.enter_context(ScriptedBackend(REPLIES))
        cls.recorder = stack.enter_context(ScriptedBackend({}))
        cls.echo = stack.enter_context(EchoBackend("echo"))
        cls.port = free_port()
        config = render(CONFIG, port=cls.port, scripted=cls.scripted.address,
                        echo=cls.echo.address, recorder=cls.recorder.address)
        cls.turnout = stack.enter_context(Turnout(config))
        cls.turnouts = (cls.turnout,)

    def assert_not_reused(self, path, method="GET"):
        """The connection that carried `path` carries no later request."""
        for _ in range(3):
            status, _, _ = request(self.port, "GET", "/fine")
            self.assertEqual(status, 200)
        self.assertEqual(self.scripted.later_on_same_connection(path), [],
                         f"the connection used for {method} {path} was reused")

    def test_invalid_or_conflicting_framing_is_502_and_not_reused(self):
        for path in ("/cl-and-te", "/bad-cl", "/two-cl"):
            with self.subTest(path):
                status, headers, _ = request(self.port, "GET", path)
                self.assertEqual(status, 502)
                self.assertEqual(headers["turnout-error"], "upstream_bad_response")
                self.assert_not_reused(path)

    def test_extra_bytes_after_content_length_are_dropped_and_not_reused(self):
        status, _, body = request(self.port, "GET", "/extra")
        self.assertEqual((status, body), (200, b"hello"))
        self.assert_not_reused("/extra")

    def test_close_mid_body_gives_a_truncated_response(self):
        for path in ("/cut", "/cut-chunked"):
            with self.subTest(path), RawConnection(self.port) as conn:
                conn.send(f"GET {path} HTTP/1.1\r\nHost: a\r\n\r\n")
                with self.assertRaises(ConnectionError):
                    conn.read_response()  # never a complete-looking response
                self.assertTrue(conn.wait_closed(5))

    def test_close_before_headers_is_502_and_idempotent_requests_go_elsewhere(self):
        status, headers, _ = request(self.port, "POST", "/no-answer-close", body=b"x")
        self.assertEqual(status, 502)
        self.assertEqual(headers["turnout-error"], "upstream_reset")
        self.assertEqual(self.scripted.count("/no-answer-close"), 1)
        for path in ("/retry/no-answer-close", "/retry/reset"):
            with self.subTest(path):
                before = self.scripted.count(path)
                # Round robin sends one of two requests to the scripted target first.
                for _ in range(2):
                    status, _, _ = request(self.port, "GET", path)
                    self.assertEqual(status, 200)
                self.assertEqual(self.scripted.count(path), before + 1)

    def test_header_fields_keep_the_order_they_arrived_in(self):
        """Fields of one name stay in order and in place among the others,
        on the request upstream and on the response back (Beast's
        basic_fields would have put the second behind the first)."""
        heads_before = len(self.scripted.heads)
        with RawConnection(self.port) as conn:
            response = conn.request("GET /order HTTP/1.1\r\nHost: a\r\nX-Dup: 1\r\n"
                                    "Accept: */*\r\nx-dup: 2\r\n\r\n")
        self.assertEqual(response.status, 200)
        names = [name.lower() for name, _ in response.headers]
        self.assertEqual([v for n, v in response.headers if n.lower() == "x-dup"], ["1", "2"])
        self.assertLess(names.index("x-dup"), names.index("content-length"))
        self.assertGreater(len(names) - 1 - names[::-1].index("x-dup"),
                           names.index("content-length"))
        head = self.scripted.heads[heads_before]
        lines = head.split(b"\r\n")[1:]
        self.assertEqual(lines[:4], [b"Host: a", b"X-Dup: 1", b"Accept: */*", b"x-dup: 2"], head)

    def test_pipelined_requests_go_upstream_each_with_its_own_head(self):
        """Requests read from one buffer, one after another, each go upstream
        with exactly their own fields (nothing of the one before, however
        large), bytes above 0x7f in values unchanged, and the forwarded
        headers after them."""
        big = "v" * 8000
        heads_before = len(self.scripted.heads)
        with RawConnection(self.port) as conn:
            conn.send(f"GET /order HTTP/1.1\r\nHost: a\r\nX-Big: {big}\r\n"
                      "X-Obs: caf\xe9\r\n\r\n"
                      "GET /order?second HTTP/1.1\r\nHost: b\r\n\r\n"
                      "GET /order HTTP/1.0\r\nHost: c\r\nConnection: keep-alive, X-Hop\r\n"
                      "X-Hop: 1\r\nAccept: */*\r\n\r\n")
            for _ in range(3):
                self.assertEqual(conn.read_response().status, 200)
        forwarded = [b"X-Forwarded-For: 127.0.0.1", b"X-Forwarded-Proto: http"]
        expected = [
            [b"GET /order HTTP/1.1", b"Host: a", b"X-Big: " + big.encode(), b"X-Obs: caf\xe9",
             *forwarded, b"X-Forwarded-Host: a", b"Via: 1.1 turnout", b"", b""],
            [b"GET /order?second HTTP/1.1", b"Host: b", *forwarded, b"X-Forwarded-Host: b",
             b"Via: 1.1 turnout", b"", b""],
            [b"GET /order HTTP/1.1", b"Host: c", b"Accept: */*", *forwarded,
             b"X-Forwarded-Host: c", b"Via: 1.1 turnout", b"", b""],
        ]
        heads = [head.split(b"\r\n") for head in self.scripted.heads[heads_before:]]
        self.assertEqual(heads, expected)

    def test_a_replayed_chunked_request_sends_no_trailer_as_a_header(self):
        """A chunked body's trailers never join the request's fields, so the
        retry on another target sends the head as first sent."""
        data = ("PUT /replay/reset HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                "5\r\nhello\r\n0\r\nHost: smuggled\r\nX-Trailer: t\r\n\r\n")
        reset_before = self.scripted.count("/replay/reset")
        heads_before = len(self.recorder.heads)
        connections_before = self.recorder.connections
        # Round robin sends one of two requests to the resetting target first.
        for _ in range(2):
            with RawConnection(self.port) as conn:
                self.assertEqual(conn.request(data).status, 200)
        self.assertEqual(self.scripted.count("/replay/reset"), reset_before + 1)
        heads = self.recorder.heads[heads_before:]
        self.assertEqual(len(heads), 2)
        for head in heads:
            lines = [line.lower() for line in head.split(b"\r\n")]
            self.assertEqual([line for line in lines if line.startswith(b"host:")], [b"host: a"],
                             head)
            self.assertFalse([line for line in lines if line.startswith(b"x-trailer:")], head)
        # Trailers are dropped (turnout re-chunks), on the first try and the retry alike.
        for number in range(connections_before + 1, self.recorder.connections + 1):
            self.assertNotIn(b"smuggled", self.recorder.bytes_received(number))

    def test_never_answering_is_504(self):
        started = time.monotonic()
        status, headers, _ = request(self.port, "GET", "/silent")
        self.assertEqual(status, 504)
        self.assertEqual(headers["turnout-error"], "upstream_timeout")
        self.assertLess(time.monotonic() - started, 5)

    def test_no_body_forwarded_for_head_204_304(self):
        for method, path, status in (("HEAD", "/head-body", 200), ("GET", "/204-body", 204),
                                     ("GET", "/304-body", 304)):
            with self.subTest(path), RawConnection(self.port) as conn:
                conn.send(f"{method} {path} HTTP/1.1\r\nHost: a\r\n\r\n")
                self.assertEqual(conn.read_response(method).status, status)
                # The client connection carries a next request cleanly: no
                # stray body bytes were written into it.
                resp = conn.request("GET /fine HTTP/1.1\r\nHost: a\r\n\r\n")
                self.assertEqual((resp.status, resp.body), (200, b"ok"))
                self.assert_not_reused(path, method)

    def test_a_response_trailer_never_becomes_a_header(self):
        """Trailers are not passed on (SPEC); one that arrived with the head
        must not join it either: a trailer field is not one the upstream
        sent in its head (a cookie set, a cache rule) and may not be."""
        with RawConnection(self.port) as conn:
            resp = conn.request("GET /trailer HTTP/1.1\r\nHost: a\r\n\r\n")
            self.assertEqual((resp.status, resp.body), (200, b"hello"))
            names = [name.lower() for name, _ in resp.headers]
            self.assertNotIn("x-trailer", names)
            self.assertNotIn("set-cookie", names)
            self.assertEqual(resp.header("Transfer-Encoding"), "chunked")
            resp = conn.request("GET /fine HTTP/1.1\r\nHost: a\r\n\r\n")
            self.assertEqual((resp.status, resp.body), (200, b"ok"))

    def test_connection_close_from_upstream_is_not_reused(self):
        status, _, _ = request(self.port, "GET", "/conn-close")
        self.assertEqual(status, 200)
        self.assert_not_reused("/conn-close")

    def test_stale_pooled_connection_get_retried_once_post_not(self):
        request(self.port, "GET", "/stale")  # parks a connection that closes on reuse
        status, _, body = request(self.port, "GET", "/stale")
        self.assertEqual((status, body), (200, b"ok"))
        request(self.port, "GET", "/stale")
        before = self.scripted.count("/stale")
        status, headers, _ = request(self.port, "POST", "/stale", body=b"once")
        self.assertEqual(status, 502)
        self.assertEqual(self.scripted.count("/stale"), before + 1, "a POST was sent twice")

    def test_early_response_before_the_request_body_ends(self):
        body_size = 32 * 1024 * 1024
        with RawConnection(self.port, timeout=10) as conn:
            conn.send(f"POST /early HTTP/1.1\r\nHost: a\r\nContent-Length: {body_size}\r\n\r\n")

            def upload():
                with contextlib.suppress(OSError):
                    piece = b"u" * 65536
                    for _ in range(body_size // len(piece)):
                        conn.sock.sendall(piece)

            writer = threading.Thread(target=upload, daemon=True)
            writer.start()
            started = time.monotonic()
            resp = conn.read_response("POST")
            self.assertEqual((resp.status, resp.body), (413, b"too big!"), resp)
            self.assertLess(time.monotonic() - started, 5)
            self.assertEqual((resp.header("Connection") or "").lower(), "close", resp)
            self.assertTrue(conn.wait_closed(10))
            writer.join(timeout=10)


if __name__ == "__main__":
    unittest.main()

"""HTTP/2 at the frame level (RFC 9113 §§4-8, RFC 7541): what turnout
answers to each malformed request, connection errors, HPACK errors, the
floods it stops (rapid reset, SETTINGS, PING, empty DATA, CONTINUATION),
flow control in both directions with memory that stays bounded, and the
per-stream timeouts for a client that stops sending or stops reading.
python3-h2 and hand-written frames are the clients, over prior-knowledge
h2c (the same Http2Session serves h2 over TLS)."""

import hashlib
import json
import os
import socket
import time
import unittest

from h2_helpers import (COMPRESSION_ERROR, CONTINUATION, DATA, END_HEADERS, END_STREAM,
                        ENHANCE_YOUR_CALM, FLOW_CONTROL_ERROR, GOAWAY, HEADERS, INTERNAL_ERROR,
                        NO_ERROR, PING, PROTOCOL_ERROR, RST_STREAM, SETTINGS, WINDOW_UPDATE,
                        H2Client, RawH2, frame, goaways, hpack_literal, request_block,
                        stream_ended)
from harness import (MEMORY_SCALE, EchoBackend, Turnout, TurnoutTestCase, free_port, render,
                     wait_until)
from http_helpers import header_values, pattern_sha256

CONFIG = """\
workers: 1
listeners:
  - { name: h2c, address: 127.0.0.1:${port}, http2: { max_concurrent_streams: 16 } }
limits: { max_body_bytes: 64m, max_headers: 50 }
upstreams:
  a: { targets: [${a}] }
routes:
  - { name: main, match: { path_prefix: / }, upstream: a }
"""

MiB = 1024 * 1024


def start(cls, config):
    """One echo backend `a` and a turnout on `config` for the test class."""
    cls.a = cls.enterClassContext(EchoBackend("a"))
    cls.port = free_port()
    cls.turnout = cls.enterClassContext(Turnout(render(config, port=cls.port, a=cls.a.address)))
    cls.turnouts = (cls.turnout,)


class Http2ProtocolTest(TurnoutTestCase):
    @classmethod
    def setUpClass(cls):
        start(cls, CONFIG)

    stats_calls = 0

    def proxied(self):
        """Requests the backend got through turnout: its count, less the
        /__stats requests this test made itself (each counts itself)."""
        Http2ProtocolTest.stats_calls += 1
        return self.a.stats()["requests"] - Http2ProtocolTest.stats_calls

    def client(self, **kwargs):
        return H2Client(self.port, **kwargs)

    def assert_still_serving(self):
        with self.client() as client:
            self.assertEqual(client.response(client.request("/alive"))[0], 200)

    # ----------------------------------------------------- §8.2, §8.3: requests

    def assert_stream_error(self, headers, code=PROTOCOL_ERROR, **request):
        with self.client(strict=False) as client:
            stream = client.request(request.pop("path", "/x"), headers=headers, **request)
            self.assertEqual(client.reset_code(stream), code)
        self.assertEqual(self.proxied(), self.requests_before)

    def setUp(self):
        self.requests_before = self.proxied()

    def test_uppercase_field_name_is_malformed(self):
        self.assert_stream_error([("X-Upper", "1")])

    def test_connection_specific_fields_are_malformed(self):
        for name, value in [("connection", "keep-alive"), ("keep-alive", "5"),
                            ("transfer-encoding", "chunked"), ("upgrade", "websocket"),
                            ("proxy-connection", "x"), ("te", "gzip")]:
            with self.subTest(name=name):
                self.assert_stream_error([(name, value)])

    def test_te_trailers_is_allowed(self):
        with self.client() as client:
            self.assertEqual(client.response(client.request("/te", headers=[("te", "trailers")]))[0],
                             200)

    def test_pseudo_header_errors_are_malformed(self):
        cases = {
            "missing :path": request_block()[:0] + b"".join(
                hpack_literal(n, v) for n, v in
                [(":method", "GET"), (":scheme", "http"), (":authority", "h2.test")]),
            "duplicated :method": request_block((":method", "POST")),
            "pseudo after regular": b"".join(hpack_literal(n, v) for n, v in [
                (":method", "GET"), (":scheme", "http"), ("x-a", "1"), (":path", "/x")]),
            "unknown pseudo": request_block((":bogus", "1")),
            "response pseudo in a request": request_block((":status", "200")),
        }
        for name, block in cases.items():
            with self.subTest(name), RawH2(self.port) as raw:
                raw.send(frame(HEADERS, END_HEADERS | END_STREAM, 1, block))
                resets = [(kind, int.from_bytes(payload[:4], "big"))
                          for kind, _, stream, payload in raw.frames(2.0)
                          if kind == RST_STREAM and stream == 1]
                self.assertEqual(resets, [(RST_STREAM, PROTOCOL_ERROR)])
        self.assertEqual(self.proxied(), self.requests_before)

    def test_content_length_disagreeing_with_data_is_malformed(self):
        with self.client(strict=False) as client:
            stream = client.request("/cl", method="POST", headers=[("content-length", "10")],
                                    body=b"12345")
            self.assertEqual(client.reset_code(stream), PROTOCOL_ERROR)
        with self.client(strict=False) as client:
            stream = client.request("/cl", method="POST", headers=[("content-length", "3")],
                                    body=b"12345")
            self.assertEqual(client.reset_code(stream), PROTOCOL_ERROR)

    def test_a_body_over_the_limit_declared_is_413(self):
        with self.client() as client:
            stream = client.request("/big", method="POST",
                                    headers=[("content-length", str(65 * MiB))], end=False)
            status, headers, _ = client.response(stream)
            self.assertEqual((status, headers.get("turnout-error")), (413, "body_too_large"))

    def test_too_many_fields_is_431(self):
        with self.client() as client:
            fields = [(f"x-field-{i}", "v") for i in range(60)]
            status, headers, _ = client.response(client.request("/many", headers=fields))
            self.assertEqual((status, headers.get("turnout-error")), (431, "header_too_large"))

    def test_response_has_no_connection_specific_fields(self):
        with self.client() as client:
            # chunked upstream response: Transfer-Encoding must not reach the client
            status, headers, body = client.response(
                client.request("/chunk?bytes=1000&chunked=1"))
            self.assertEqual((status, len(body)), (200, 1000))
            self.assertNotIn("transfer-encoding", headers)
            self.assertNotIn("connection", headers)

    def test_post_with_body_and_no_length_reaches_upstream_whole(self):
        with self.client() as client:
            body = bytes(range(256)) * 1000
            status, _, answer = client.response(client.request("/post", method="POST",
                                                               body=body))
            self.assertEqual(status, 200)
            report = json.loads(answer)
            self.assertEqual(report["body_length"], len(body))
            self.assertEqual(report["body_sha256"], hashlib.sha256(body).hexdigest())

    # --------------------------------------------------------- §8.1: trailers

    def test_trailers_follow_a_chunked_body_upstream(self):
        with self.client() as client:
            stream = client.request("/trailers", method="POST", end=False)
            client.send_body(stream, b"t" * 1000, end=False)
            client.conn.send_headers(stream, [("x-checksum", "abc"), ("x-count", "2")],
                                     end_stream=True)
            client.flush()
            status, _, answer = client.response(stream)
        self.assertEqual(status, 200)
        report = json.loads(answer)
        self.assertEqual(report["body_length"], 1000)
        # The echo backend's parser adds trailer fields to the head it reports.
        self.assertEqual(header_values(report, "x-checksum"), ["abc"])
        self.assertEqual(header_values(report, "x-count"), ["2"])
        self.assertEqual(header_values(report, "transfer-encoding"), ["chunked"])

    def assert_trailer_refused(self, field):
        with RawH2(self.port) as raw:
            raw.send(frame(HEADERS, END_HEADERS, 1, request_block(method="POST")) +
                     frame(DATA, 0, 1, b"body") +
                     frame(HEADERS, END_HEADERS | END_STREAM, 1, hpack_literal(*field)))
            resets = [int.from_bytes(p[:4], "big") for kind, _, stream, p in raw.frames(timeout=2)
                      if kind == RST_STREAM and stream == 1]
        self.assertEqual(resets, [PROTOCOL_ERROR], field)

    def test_pseudo_header_in_trailers_is_malformed(self):
        self.assert_trailer_refused((":path", "/other"))

    def test_connection_specific_trailer_is_malformed(self):
        self.assert_trailer_refused(("transfer-encoding", "chunked"))

    # ------------------------------------------------- §§4-6: connection errors

    def test_bad_preface_closes_the_connection(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n" + frame(SETTINGS, 0, 0))
            sock.settimeout(5)
            data = b""
            while True:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
        self.assertNotIn(b"HTTP/1.1 200", data)

    def test_data_on_stream_zero_is_a_connection_error(self):
        with RawH2(self.port) as raw:
            raw.send(frame(DATA, 0, 0, b"x"))
            self.assertEqual(raw.goaway_code(), PROTOCOL_ERROR)

    def test_even_stream_id_from_client_is_a_connection_error(self):
        with RawH2(self.port) as raw:
            raw.send(frame(HEADERS, END_HEADERS | END_STREAM, 2, request_block()))
            self.assertEqual(raw.goaway_code(), PROTOCOL_ERROR)

    def test_window_over_2_31_is_a_flow_control_error(self):
        with RawH2(self.port) as raw:
            raw.send(frame(WINDOW_UPDATE, 0, 0, (0x7FFFFFFF).to_bytes(4, "big")))
            self.assertEqual(raw.goaway_code(), FLOW_CONTROL_ERROR)

    def test_frame_over_max_frame_size_is_a_connection_error(self):
        with RawH2(self.port) as raw:
            raw.send(frame(HEADERS, END_HEADERS, 1, request_block(method="POST")))
            raw.send(frame(DATA, 0, 1, b"x" * 20000))
            self.assertIn(raw.goaway_code(), (0x6, PROTOCOL_ERROR))  # FRAME_SIZE_ERROR

    def test_continuation_without_headers_is_a_connection_error(self):
        with RawH2(self.port) as raw:
            raw.send(frame(CONTINUATION, END_HEADERS, 1, request_block()))
            self.assertEqual(raw.goaway_code(), PROTOCOL_ERROR)

    def test_hpack_garbage_is_a_compression_error(self):
        with RawH2(self.port) as raw:
            # An indexed field at index 0x7f+ far past both tables.
            raw.send(frame(HEADERS, END_HEADERS | END_STREAM, 1, b"\xff\xff\xff\xff\x0f"))
            self.assertEqual(raw.goaway_code(), COMPRESSION_ERROR)

    def test_hpack_table_size_update_over_the_limit_is_a_compression_error(self):
        with RawH2(self.port) as raw:
            # Dynamic table size update to 2^21 > SETTINGS_HEADER_TABLE_SIZE (4096).
            raw.send(frame(HEADERS, END_HEADERS | END_STREAM, 1,
                           b"\x3f\xe1\xff\x7f" + request_block()))
            self.assertEqual(raw.goaway_code(), COMPRESSION_ERROR)

    def test_ping_is_answered(self):
        with RawH2(self.port) as raw:
            raw.send(frame(PING, 0, 0, b"12345678"))
            pongs = [payload for kind, flags, _, payload in raw.frames(1.0)
                     if kind == PING and flags & 1]
            self.assertEqual(pongs, [b"12345678"])

    # ------------------------------------------------------------------ floods

    def test_rapid_reset_is_stopped(self):
        with RawH2(self.port) as raw:
            block = request_block(path="/rapid")
            burst = b""
            for i in range(1200):
                stream = 1 + 2 * i
                burst += frame(HEADERS, END_HEADERS | END_STREAM, stream, block)
                burst += frame(RST_STREAM, 0, stream, (0x8).to_bytes(4, "big"))  # CANCEL
            raw.send(burst)
            self.assertEqual(raw.goaway_code(), ENHANCE_YOUR_CALM)
        self.assert_still_serving()

    def test_settings_flood_is_stopped(self):
        with RawH2(self.port) as raw:
            raw.send(frame(SETTINGS, 0, 0) * 2000)
            self.assertEqual(raw.goaway_code(), ENHANCE_YOUR_CALM)

    def test_ping_flood_is_stopped(self):
        with RawH2(self.port) as raw:
            raw.send(frame(PING, 0, 0, b"floodme!") * 2000)
            self.assertEqual(raw.goaway_code(), ENHANCE_YOUR_CALM)

    def test_empty_data_flood_is_stopped(self):
        with RawH2(self.port) as raw:
            raw.send(frame(HEADERS, END_HEADERS, 1, request_block(method="POST")))
            raw.send(frame(DATA, 0, 1) * 2000)
            self.assertEqual(raw.goaway_code(), ENHANCE_YOUR_CALM)

    def test_continuation_flood_is_stopped(self):
        with RawH2(self.port) as raw:
            raw.send(frame(HEADERS, 0, 1, request_block()))
            flood = frame(CONTINUATION, 0, 1, hpack_literal("x-a", "b")) * 2000
            raw.send(flood)
            code = raw.goaway_code()
            self.assertIsNotNone(code, "no GOAWAY after 2000 CONTINUATION frames")
        self.assertEqual(self.proxied(), self.requests_before)

    # ------------------------------------------------------------ flow control

    def test_slow_reader_stalls_the_download_without_growing_memory(self):
        size = 64 * MiB
        worker = self.turnout.worker_pids()[0]
        before = self.turnout.rss_kb(worker)
        with self.client(auto_window=False) as client:
            stream = client.request(f"/down?bytes={size}")
            # Nothing acknowledged: turnout may send one window (64 KiB), no more.
            time.sleep(0.3)
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline:
                client.pump(0.1)
            got = len(client.responses[stream]["body"])
            self.assertLessEqual(got, 65535)
            stalled_rss = self.turnout.rss_kb(worker)
            self.assertLess(stalled_rss - before, 8 * 1024, "worker grew while the client stalled")
            # Open the window: the rest arrives whole.
            client.auto_window = True
            client.conn.acknowledge_received_data(got, stream)
            client.conn.increment_flow_control_window(16 * MiB)
            client.conn.increment_flow_control_window(16 * MiB, stream)
            client.flush()
            status, _, body = client.response(stream, timeout=60)
            self.assertEqual((status, len(body)), (200, size))
            self.assertEqual(hashlib.sha256(body).hexdigest(), pattern_sha256(size))
        self.assertLess(self.turnout.rss_kb(worker) - before, 8 * 1024)

    def test_window_is_given_back_only_as_the_upstream_takes_the_body(self):
        with self.client() as client:
            stream = client.request("/up", method="POST", end=False)
            # Without a reader upstream stalling, the whole body goes through
            # in window-sized steps: turnout never grants more than it buffers.
            body = b"z" * (8 * MiB)
            client.send_body(stream, body)
            status, _, answer = client.response(stream, timeout=60)
            self.assertEqual(status, 200)
            self.assertEqual(json.loads(answer)["body_length"], len(body))
            self.assertLessEqual(client.conn.local_flow_control_window(stream), 65535)

    def test_upload_stalls_when_the_upstream_is_slow(self):
        # delay_ms holds the upstream's answer; its reads are its own. The
        # client can send no more than turnout's windows while nothing is
        # taken: turnout's memory stays bounded.
        worker = self.turnout.worker_pids()[0]
        before = self.turnout.rss_kb(worker)
        with self.client() as client:
            streams = []
            for i in range(8):
                stream = client.request(f"/slow{i}?delay_ms=300", method="POST", end=False)
                streams.append(stream)
            for stream in streams:
                client.send_body(stream, b"u" * (4 * MiB))
            for stream in streams:
                status, _, answer = client.response(stream, timeout=60)
                self.assertEqual(status, 200)
                self.assertEqual(json.loads(answer)["body_length"], 4 * MiB)
        self.assertLess(self.turnout.rss_kb(worker) - before, 8 * 1024)

    def test_many_large_streams_at_once_keep_memory_bounded(self):
        worker = self.turnout.worker_pids()[0]
        before = self.turnout.rss_kb(worker)
        size = 8 * MiB
        with self.client() as client:
            streams = [client.request(f"/many{i}?bytes={size}") for i in range(16)]
            for stream in streams:
                status, _, body = client.response(stream, timeout=120)
                self.assertEqual((status, len(body)), (200, size))
        self.assertLess(self.turnout.rss_kb(worker) - before, 16 * 1024)

    def test_graceful_stop_finishes_open_streams_after_goaway(self):
        # Frames by hand: python3-h2 takes any GOAWAY as the end of the connection.
        port = free_port()
        with Turnout(render(CONFIG, port=port, a=self.a.address)) as turnout:
            with RawH2(port) as raw:
                raw.send(frame(HEADERS, END_HEADERS | END_STREAM, 1,
                               request_block(path="/slow?delay_ms=800")))
                wait_until(lambda: self.proxied() > self.requests_before,
                           message="the slow request upstream")
                turnout.proc.send_signal(15)
                frames = raw.frames(timeout=10)
        # The notice names the largest id, the last GOAWAY the last stream taken.
        self.assertEqual(goaways(frames), [(0x7FFFFFFF, NO_ERROR), (1, NO_ERROR)])
        self.assertTrue(stream_ended(frames, 1), f"stream 1 never ended: {frames}")
        statuses = [p for kind, _, stream, p in frames if kind == HEADERS and stream == 1]
        self.assertTrue(statuses)


TIMEOUT_CONFIG = """\
workers: 1
access_log: access.log
listeners:
  - { name: h2c, address: 127.0.0.1:${port}, http2: true }
limits: { idle_timeout: 1s, send_timeout: 1s }
upstreams:
  a: { targets: [${a}] }
routes:
  - { name: main, match: { path_prefix: / }, upstream: a }
"""


class Http2StreamTimeoutTest(TurnoutTestCase):
    """A stream that stalls ends on its own (limits.idle_timeout while
    turnout waits for request body, limits.send_timeout while it waits for
    the client to take response body), freeing its upstream connection,
    while the connection's other streams go on."""

    @classmethod
    def setUpClass(cls):
        start(cls, TIMEOUT_CONFIG)

    def logged(self, path):
        """The access log line of `path`, once written."""
        log = os.path.join(self.turnout.dir, "access.log")

        def line():
            if os.path.exists(log):
                with open(log) as f:
                    for text in f:
                        entry = json.loads(text)
                        if entry["path"] == path:
                            return entry
            return None
        wait_until(lambda: line() is not None, message=f"the access log line of {path}")
        return line()

    def test_a_stream_whose_body_stops_gets_408(self):
        with H2Client(self.port) as client:
            stream = client.request("/stalled-upload", method="POST", end=False,
                                    headers=[("content-length", "100000")])
            client.send_body(stream, b"x" * 1000, end=False)
            started = time.monotonic()
            status, _, _ = client.response(stream, timeout=10)
            self.assertEqual(status, 408)
            self.assertGreater(time.monotonic() - started, 0.8)
            # The connection's other streams are served.
            self.assertEqual(client.response(client.request("/after"))[0], 200)
        entry = self.logged("/stalled-upload")
        self.assertEqual((entry["status"], entry["error"], entry["protocol"]),
                         (408, "body_timeout", "HTTP/2"))

    def test_a_stream_whose_client_stops_reading_is_reset(self):
        with H2Client(self.port, auto_window=False) as client:
            stream = client.request(f"/stalled-download?bytes={4 * MiB}")
            started = time.monotonic()
            self.assertEqual(client.reset_code(stream, timeout=10), INTERNAL_ERROR)
            self.assertGreater(time.monotonic() - started, 0.8)
            # The stalled stream took the connection's window: open it, and
            # the connection's other streams are served.
            client.conn.increment_flow_control_window(16 * MiB)
            client.auto_window = True
            client.flush()
            self.assertEqual(client.response(client.request("/after"))[0], 200)
        entry = self.logged(f"/stalled-download?bytes={4 * MiB}")
        self.assertEqual((entry["status"], entry["error"], entry["protocol"]),
                         (200, "send_timeout", "HTTP/2"))


IDLE_CONNECTIONS = 500
# An idle h2c connection holds nghttp2's state (26 KiB allocated, of which
# a small response touches about 10), the session and its socket: no read,
# write or body buffer. Measured: 16.0 KiB each; 37.4 before the read
# buffer was lent and the response HPACK table dropped; 36.2 under
# AddressSanitizer (its redzones), hence MEMORY_SCALE.
IDLE_KB_PER_CONNECTION = 22 * MEMORY_SCALE


class Http2IdleMemoryTest(TurnoutTestCase):
    @classmethod
    def setUpClass(cls):
        start(cls, CONFIG)

    def test_idle_connections_hold_no_buffers(self):
        worker = self.turnout.worker_pids()[0]
        clients = []
        try:
            # What the worker allocates once (the upstream connection, the
            # pool's first buffers) is not the idle connections' cost.
            clients.append(H2Client(self.port))
            self.assertEqual(clients[0].response(clients[0].request("/first"))[0], 200)
            before = self.turnout.rss_kb(worker)
            while len(clients) < IDLE_CONNECTIONS + 1:
                client = H2Client(self.port)
                clients.append(client)
                self.assertEqual(client.response(client.request("/idle"))[0], 200)
            per_connection = (self.turnout.rss_kb(worker) - before) / IDLE_CONNECTIONS
            self.assertLess(per_connection, IDLE_KB_PER_CONNECTION,
                            f"{per_connection:.1f} KiB per idle HTTP/2 connection")
            for client in clients[::100]:
                self.assertEqual(client.response(client.request("/again"))[0], 200)
        finally:
            for client in clients:
                client.close()


if __name__ == "__main__":
    unittest.main()

"""The proxy's HTTP behaviour (SPEC §3 route selection, §5, §7 splits),
driven through the real binary against echo backends on 127.0.0.1."""

import collections
import contextlib
import hashlib
import http.client
import json
import select
import socket
import threading
import time
import unittest

from harness import (EchoBackend, RawConnection, Turnout, TurnoutTestCase, free_port,
                     get_json, header_values, pattern_chunks, pattern_sha256, raw_request,
                     refused_port, render, request, rss_kb)

MB = 1024 * 1024
BIG = 200 * MB
RSS_GROWTH_LIMIT_KB = 16 * 1024

PROXY_CONFIG = """\
workers: 1
listeners:
  - { name: web, address: 127.0.0.1:${port} }
limits: { header_timeout: 1s }
upstreams:
  alpha: { targets: [${alpha}] }
  beta: { targets: [${beta}] }
  gamma: { targets: [${gamma}] }
  ka: { targets: [${delta}] }
  dead: { targets: [${dead}], timeouts: { connect: 1s } }
  mixed: { targets: [${dead}, ${alpha}], retries: 1, timeouts: { connect: 1s } }
  slow: { targets: [${alpha}], timeouts: { response: 500ms } }
routes:
  - { name: host-exact, match: { host: api.example.com }, upstream: beta }
  - { name: host-wild, match: { host: "*.example.com" }, upstream: gamma }
  - { name: host-wild-deep, match: { host: "*.deep.example.com" }, upstream: alpha }
  - { name: echo, match: { path_prefix: /echo/ }, upstream: alpha }
  - { name: api, match: { path_prefix: /api/ }, upstream: beta }
  - { name: api-v2, match: { path_prefix: /api/v2/ }, upstream: gamma }
  - { name: api-exact, match: { path: /api/exact }, upstream: alpha }
  - { name: m-write, match: { path_prefix: /m/, methods: [POST, PUT] }, upstream: beta }
  - { name: m-any, match: { path_prefix: /m/ }, upstream: gamma }
  - { name: env-canary, match: { path_prefix: /env/, headers: { X-Env: canary } }, upstream: gamma }
  - { name: env, match: { path_prefix: /env/ }, upstream: beta }
  - name: split
    match: { path_prefix: /split/ }
    split:
      - { upstream: alpha, weight: 90 }
      - { upstream: beta, weight: 10 }
  - { name: strip, match: { path_prefix: /strip/ }, strip_prefix: /strip, upstream: alpha }
  - name: hdr
    match: { path_prefix: /hdr/ }
    upstream: alpha
    request_headers: { set: { X-Route: hdr, X-Override: new }, remove: [X-Debug] }
    response_headers: { set: { X-Resp: "yes" }, remove: [X-Echo-Server] }
  - { name: ka, match: { path_prefix: /ka/ }, upstream: ka }
  - { name: dead, match: { path_prefix: /dead/ }, upstream: dead }
  - { name: mixed, match: { path_prefix: /mixed/ }, upstream: mixed }
  - { name: slow, match: { path_prefix: /slow/ }, upstream: slow }
"""

LIMITS_CONFIG = """\
workers: 1
listeners:
  - { name: web, address: 127.0.0.1:${port} }
limits: { header_timeout: 1s, max_body_bytes: 1m }
upstreams:
  alpha: { targets: [${alpha}] }
routes:
  - { name: all, match: { path_prefix: / }, upstream: alpha }
"""


def start_fixture(cls, template, names):
    """Starts echo backends `names` and a turnout on `template` for a test
    class; everything is stopped by class cleanup, even if setup fails."""
    stack = contextlib.ExitStack()
    cls.addClassCleanup(stack.close)
    cls.backends = {n: stack.enter_context(EchoBackend(n)) for n in names}
    cls.dead_port = stack.enter_context(refused_port())
    cls.port = free_port()
    config = render(template, port=cls.port, dead=f"127.0.0.1:{cls.dead_port}",
                    **{n: b.address for n, b in cls.backends.items()})
    cls.turnout = stack.enter_context(Turnout(config))
    cls.turnouts = (cls.turnout,)


def assert_turnout_error(test, status, headers, body, expected_status):
    test.assertEqual(status, expected_status, body[:200])
    test.assertTrue(headers.get("turnout-error"), f"no turnout-error header: {headers.items()}")
    test.assertTrue((headers.get("Content-Type") or "").startswith("text/plain"),
                    headers.get("Content-Type"))
    test.assertLess(len(body), 4096)


def send_ignoring_resets(sock, pieces):
    """Sends each piece until the peer stops reading; for a writer thread."""
    with contextlib.suppress(OSError):
        for piece in pieces:
            sock.sendall(piece)


class RssSampler:
    """Tracks the highest RSS of a turnout's workers against a baseline."""

    def __init__(self, turnout):
        self.pids = turnout.worker_pids()
        self.baseline = {p: rss_kb(p) for p in self.pids}
        self.growth = 0

    def sample(self):
        for p in self.pids:
            self.growth = max(self.growth, rss_kb(p) - self.baseline[p])


class ProxyTest(TurnoutTestCase):
    @classmethod
    def setUpClass(cls):
        start_fixture(cls, PROXY_CONFIG, ["alpha", "beta", "gamma", "delta"])

    def server_for(self, path, host=None, method="GET", headers=None):
        hdrs = dict(headers or {})
        if host:
            hdrs["Host"] = host
        body = b"x" if method in ("POST", "PUT") else None
        return get_json(self.port, path, headers=hdrs, method=method, body=body)["server"]

    # ------------------------------------------------------------ routing

    def test_route_by_exact_host(self):
        self.assertEqual(self.server_for("/echo/x", host="api.example.com"), "beta")

    def test_route_by_host_ignores_case_and_port(self):
        self.assertEqual(self.server_for("/echo/x", host="API.Example.COM"), "beta")
        self.assertEqual(self.server_for("/echo/x", host=f"api.example.com:{self.port}"), "beta")

    def test_route_by_wildcard_host(self):
        self.assertEqual(self.server_for("/echo/x", host="www.example.com"), "gamma")

    def test_longest_wildcard_wins(self):
        self.assertEqual(self.server_for("/api/x", host="a.deep.example.com"), "alpha")

    def test_any_host(self):
        self.assertEqual(self.server_for("/echo/x", host="other.org"), "alpha")
        self.assertEqual(self.server_for("/api/x", host="other.org"), "beta")

    def test_longest_prefix_wins(self):
        self.assertEqual(self.server_for("/api/v1/users"), "beta")
        self.assertEqual(self.server_for("/api/v2/users"), "gamma")
        self.assertEqual(self.server_for("/api/v2"), "beta")

    def test_exact_path_beats_prefix(self):
        self.assertEqual(self.server_for("/api/exact"), "alpha")
        self.assertEqual(self.server_for("/api/exact?q=1"), "alpha")
        self.assertEqual(self.server_for("/api/exact/more"), "beta")
        self.assertEqual(self.server_for("/api/exactly"), "beta")

    def test_route_by_method(self):
        self.assertEqual(self.server_for("/m/x", method="POST"), "beta")
        self.assertEqual(self.server_for("/m/x", method="PUT"), "beta")
        self.assertEqual(self.server_for("/m/x", method="GET"), "gamma")
        self.assertEqual(self.server_for("/m/x", method="DELETE"), "gamma")

    def test_route_by_header(self):
        self.assertEqual(self.server_for("/env/x", headers={"X-Env": "canary"}), "gamma")
        self.assertEqual(self.server_for("/env/x", headers={"X-Env": "prod"}), "beta")
        self.assertEqual(self.server_for("/env/x"), "beta")

    def test_no_route_is_404(self):
        status, headers, body = request(self.port, "GET", "/nowhere", headers={"Host": "other.org"})
        assert_turnout_error(self, status, headers, body, 404)

    def test_split_90_10(self):
        counts = collections.Counter()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            for i in range(1000):
                conn.request("GET", f"/split/{i}")
                resp = conn.getresponse()
                self.assertEqual(resp.status, 200)
                counts[json.loads(resp.read())["server"]] += 1
        finally:
            conn.close()
        self.assertEqual(counts["alpha"] + counts["beta"], 1000, counts)
        self.assertTrue(70 <= counts["beta"] <= 130, counts)

    # ------------------------------------------------------------ headers

    def test_forwarding_headers(self):
        report = get_json(self.port, "/echo/fwd", headers={
            "Host": "www.test.local", "X-Forwarded-For": "203.0.113.7"})
        xff = [p.strip() for v in header_values(report, "X-Forwarded-For") for p in v.split(",")]
        self.assertEqual(xff, ["203.0.113.7", "127.0.0.1"])
        self.assertEqual(header_values(report, "X-Forwarded-Proto"), ["http"])
        self.assertEqual(header_values(report, "X-Forwarded-Host"), ["www.test.local"])
        self.assertEqual(header_values(report, "Host"), ["www.test.local"])
        self.assertIn("1.1 turnout", ", ".join(header_values(report, "Via")))

    def test_forwarded_for_without_client_value(self):
        report = get_json(self.port, "/echo/fwd")
        self.assertEqual(header_values(report, "X-Forwarded-For"), ["127.0.0.1"])
        self.assertEqual(header_values(report, "Host"), [f"127.0.0.1:{self.port}"])

    def test_hop_by_hop_headers_not_forwarded(self):
        report = get_json(self.port, "/echo/hop", headers={
            "Connection": "keep-alive, X-Secret",
            "X-Secret": "s3cret",
            "Keep-Alive": "timeout=5",
            "Proxy-Connection": "keep-alive",
            "TE": "trailers",
            "Upgrade": "h2c",
            "X-Kept": "yes",
        })
        names = {n.lower() for n, _ in report["headers"]}
        for name in ("x-secret", "keep-alive", "proxy-connection", "te", "upgrade"):
            self.assertNotIn(name, names, report["headers"])
        for value in header_values(report, "Connection"):
            self.assertNotIn("x-secret", value.lower())
        self.assertEqual(header_values(report, "X-Kept"), ["yes"])

    def test_strip_prefix(self):
        report = get_json(self.port, "/strip/foo/bar?q=1")
        self.assertEqual(report["server"], "alpha")
        self.assertEqual(report["path"], "/foo/bar")
        self.assertEqual(report["target"], "/foo/bar?q=1")
        self.assertEqual(get_json(self.port, "/strip/")["path"], "/")

    def test_request_and_response_header_rules(self):
        status, headers, body = request(self.port, "GET", "/hdr/x", headers={
            "X-Override": "old", "X-Debug": "1", "X-Other": "kept"})
        self.assertEqual(status, 200)
        report = json.loads(body)
        self.assertEqual(header_values(report, "X-Route"), ["hdr"])
        self.assertEqual(header_values(report, "X-Override"), ["new"])
        self.assertEqual(header_values(report, "X-Debug"), [])
        self.assertEqual(header_values(report, "X-Other"), ["kept"])
        self.assertEqual(headers.get_all("X-Resp"), ["yes"])
        self.assertIsNone(headers.get("X-Echo-Server"))

    # ------------------------------------------------------------ connections

    def test_upstream_keepalive_reused(self):
        backend = self.backends["delta"]
        before = backend.stats()["connections"]
        ids = set()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            for i in range(200):
                conn.request("GET", f"/ka/{i}")
                resp = conn.getresponse()
                self.assertEqual(resp.status, 200)
                self.assertFalse(resp.will_close)
                ids.add(json.loads(resp.read())["connection_id"])
        finally:
            conn.close()
        # The second stats request is itself one more connection.
        new_connections = backend.stats()["connections"] - before - 1
        self.assertLessEqual(new_connections, 2)
        self.assertLessEqual(len(ids), 2, ids)

    def test_client_keepalive(self):
        with RawConnection(self.port) as conn:
            for i in range(5):
                resp = conn.request(f"GET /echo/k{i} HTTP/1.1\r\nHost: ka.test\r\n\r\n")
                self.assertEqual(resp.status, 200)
                self.assertNotEqual((resp.header("Connection") or "").lower(), "close")
                self.assertEqual(resp.json()["path"], f"/echo/k{i}")

    def test_http10_client(self):
        with RawConnection(self.port) as conn:
            resp = conn.request("GET /echo/old HTTP/1.0\r\nHost: old.test\r\n\r\n")
            self.assertEqual(resp.status, 200)
            self.assertIn(resp.version, ("HTTP/1.0", "HTTP/1.1"))
            self.assertEqual(resp.json()["server"], "alpha")
            self.assertEqual(resp.json()["path"], "/echo/old")
            self.assertTrue(conn.wait_closed(5), "HTTP/1.0 connection not closed")

    # ------------------------------------------------------------ streaming

    def download(self, chunked):
        sampler = RssSampler(self.turnout)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", f"/echo/big?bytes={BIG}&chunked={chunked}")
            resp = conn.getresponse()
            self.assertEqual(resp.status, 200)
            if chunked:
                self.assertIsNone(resp.getheader("Content-Length"))
            else:
                self.assertEqual(resp.getheader("Content-Length"), str(BIG))
            digest, received, next_sample = hashlib.sha256(), 0, 0
            while True:
                data = resp.read(MB)
                if not data:
                    break
                digest.update(data)
                received += len(data)
                if received >= next_sample:
                    sampler.sample()
                    next_sample += 4 * MB
            sampler.sample()
        finally:
            conn.close()
        self.assertEqual(received, BIG)
        self.assertEqual(digest.hexdigest(), pattern_sha256(BIG))
        self.assertLess(sampler.growth, RSS_GROWTH_LIMIT_KB, "worker RSS grew (KiB)")

    def warm_up(self):
        """One small transfer each way, so first-use allocations are not
        counted as growth."""
        get_json(self.port, "/echo/warm", method="POST", body=b"w" * MB)
        request(self.port, "GET", f"/echo/warm?bytes={4 * MB}")

    def test_download_200mb_content_length(self):
        self.warm_up()
        self.download(chunked=0)

    def test_download_200mb_chunked(self):
        self.warm_up()
        self.download(chunked=1)

    def upload(self, with_length):
        sampler = RssSampler(self.turnout)

        def body():
            for i, piece in enumerate(pattern_chunks(BIG)):
                if i % 64 == 0:
                    sampler.sample()
                yield piece

        headers = {"Content-Length": str(BIG)} if with_length else {}
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("PUT", "/echo/upload", body=body(), headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        sampler.sample()
        self.assertEqual(resp.status, 200, data[:200])
        report = json.loads(data)
        self.assertEqual(header_values(report, "Expect"), [])
        self.assertEqual(report["body_length"], BIG)
        self.assertEqual(report["body_sha256"], pattern_sha256(BIG))
        self.assertLess(sampler.growth, RSS_GROWTH_LIMIT_KB, "worker RSS grew (KiB)")

    def test_upload_200mb_chunked(self):
        self.warm_up()
        self.upload(with_length=False)

    def test_upload_200mb_content_length(self):
        self.warm_up()
        self.upload(with_length=True)

    # ------------------------------------------------------------ upstream failures

    def test_refused_target_is_502(self):
        status, headers, body = request(self.port, "GET", "/dead/x")
        assert_turnout_error(self, status, headers, body, 502)

    def test_retry_on_refused_target(self):
        for i in range(20):
            report = get_json(self.port, f"/mixed/{i}")
            self.assertEqual(report["server"], "alpha")

    def test_response_timeout_is_504(self):
        started = time.monotonic()
        status, headers, body = request(self.port, "GET", "/slow/x?delay_ms=3000")
        elapsed = time.monotonic() - started
        assert_turnout_error(self, status, headers, body, 504)
        self.assertLess(elapsed, 2.5)
        # The upstream is still usable afterwards.
        self.assertEqual(get_json(self.port, "/slow/after")["server"], "alpha")

    # ------------------------------------------------------------ client limits

    def test_oversized_headers_are_431(self):
        resp = raw_request(self.port, "GET /echo/big-headers HTTP/1.1\r\nHost: h.test\r\n"
                           + "X-Big: " + "a" * 20000 + "\r\n\r\n")
        self.assertEqual(resp.status, 431)
        self.assertTrue(resp.header("turnout-error"))

    def test_sigterm_stops_with_exit_0(self):
        port = free_port()
        config = render(LIMITS_CONFIG, port=port, alpha=self.backends["alpha"].address)
        with Turnout(config) as t:
            self.assertEqual(get_json(port, "/x")["server"], "alpha")
            self.assertEqual(t.stop(), 0)


class LimitsTest(TurnoutTestCase):
    @classmethod
    def setUpClass(cls):
        start_fixture(cls, LIMITS_CONFIG, ["alpha"])

    def post(self, headers, pieces):
        """Sends a request whose body may be refused part way; returns the
        response, read while a thread keeps sending."""
        conn = RawConnection(self.port, timeout=10)
        self.addCleanup(conn.close)
        writer = threading.Thread(target=send_ignoring_resets,
                                  args=(conn.sock, [headers.encode()] + list(pieces)))
        writer.start()
        try:
            return conn.read_response()
        finally:
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)
            writer.join(10)

    def test_body_at_limit_passes(self):
        report = get_json(self.port, "/at-limit", method="POST", body=b"b" * MB)
        self.assertEqual(report["body_length"], MB)

    def test_body_over_limit_with_content_length_is_413(self):
        size = MB + 1
        resp = self.post(f"POST /x HTTP/1.1\r\nHost: l.test\r\nContent-Length: {size}\r\n\r\n",
                         pattern_chunks(size))
        self.assertEqual(resp.status, 413)
        self.assertTrue(resp.header("turnout-error"))

    def test_body_over_limit_chunked_is_413(self):
        pieces = (b"%x\r\n%s\r\n" % (len(p), p) for p in pattern_chunks(2 * MB))
        resp = self.post("POST /x HTTP/1.1\r\nHost: l.test\r\nTransfer-Encoding: chunked\r\n\r\n",
                         list(pieces) + [b"0\r\n\r\n"])
        self.assertEqual(resp.status, 413)
        self.assertTrue(resp.header("turnout-error"))

    def test_stalled_headers_are_408_and_closed(self):
        with RawConnection(self.port, timeout=5) as conn:
            started = time.monotonic()
            conn.send("GET /x HTTP/1.1\r\nHost: slow.test\r\nX-Part")
            resp = conn.read_response()
            elapsed = time.monotonic() - started
            self.assertEqual(resp.status, 408)
            self.assertTrue(resp.header("turnout-error"))
            self.assertTrue(0.8 <= elapsed < 4, elapsed)
            self.assertTrue(conn.wait_closed(3), "connection left open after 408")

    def test_header_timeout_is_absolute(self):
        """A client dripping a header byte every 200 ms is still cut off."""
        with RawConnection(self.port, timeout=5) as conn:
            started = time.monotonic()
            conn.send("GET /x HTTP/1.1\r\nHost: drip.test\r\n")
            drip = iter("X-Drip: " + "d" * 100)
            while time.monotonic() - started < 5:
                readable, _, _ = select.select([conn.sock], [], [], 0.2)
                if readable:
                    break
                with contextlib.suppress(StopIteration, OSError):
                    conn.send(next(drip))
            resp = conn.read_response()
            self.assertEqual(resp.status, 408)
            self.assertLess(time.monotonic() - started, 3)


if __name__ == "__main__":
    unittest.main()

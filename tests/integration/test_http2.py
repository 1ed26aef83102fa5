"""HTTP/2 for clients (docs/SPEC.md extensions, `listeners[].http2`): h2 by
ALPN on TLS listeners, prior-knowledge h2c on plain ones, every stream
proxied like an HTTP/1.1 request to HTTP/1.1 upstreams. Real clients (curl,
nghttp from Debian's nghttp2-client) and python3-h2 for what a test must
control frame by frame."""

import collections
import json
import os
import subprocess
import tempfile
import unittest

from admin_client import Admin
from h2_helpers import (END_HEADERS, END_STREAM, GOAWAY, HEADERS, NO_ERROR, H2Client, RawH2, frame,
                        goaways, request_block, stream_ended)
from harness import (EchoBackend, Turnout, TurnoutTestCase, free_port, render, wait_until)
from http_helpers import header_values, pattern_sha256
from tls_helpers import Pki

CONFIG = """\
workers: 1
access_log: access.log
listeners:
  - { name: h2c, address: 127.0.0.1:${h2c}, http2: true }
  - { name: plain, address: 127.0.0.1:${plain} }
  - name: secure
    address: 127.0.0.1:${secure}
    http2: { max_concurrent_streams: 64 }
    tls: { certificates: [{ cert: ${dir}/h2.pem, key: ${dir}/h2.key }] }
  - name: secure11
    address: 127.0.0.1:${secure11}
    tls: { certificates: [{ cert: ${dir}/h2.pem, key: ${dir}/h2.key }] }
upstreams:
  a: { targets: [${a}] }
  b: { targets: [${b}] }
routes:
  - name: split
    match: { path_prefix: /split }
    split: [ { upstream: a, weight: 3 }, { upstream: b, weight: 1 } ]
  - name: main
    match: { path_prefix: /app }
    upstream: a
    request_headers: { set: { x-route: main } }
"""


def curl(*args, timeout=60):
    proc = subprocess.run(["curl", "-sS", "--max-time", "30", *args], capture_output=True,
                          timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr.decode(errors="replace")


class Http2Test(TurnoutTestCase):
    @classmethod
    def setUpClass(cls):
        certs = cls.enterClassContext(tempfile.TemporaryDirectory(prefix="turnout-h2-certs-"))
        cls.pki = Pki(certs)
        cls.pki.leaf("h2", dns=["h2.test"])
        cls.a = cls.enterClassContext(EchoBackend("a"))
        cls.b = cls.enterClassContext(EchoBackend("b"))
        cls.h2c, cls.plain = free_port(), free_port()
        cls.secure, cls.secure11 = free_port(), free_port()
        cls.turnout = cls.enterClassContext(Turnout(render(
            CONFIG, h2c=cls.h2c, plain=cls.plain, secure=cls.secure, secure11=cls.secure11,
            dir=certs, a=cls.a.address, b=cls.b.address)))
        cls.turnouts = (cls.turnout,)

    def https(self, port, path, *args):
        return curl("--cacert", self.pki.ca, "--resolve", f"h2.test:{port}:127.0.0.1",
                    *args, f"https://h2.test:{port}{path}")

    def access_lines(self):
        path = os.path.join(self.turnout.dir, "access.log")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def test_curl_negotiates_h2_by_alpn_and_is_proxied(self):
        code, out, err = self.https(self.secure, "/app/x?q=1", "--http2", "-w",
                                    "\n%{http_version} %{http_code}")
        self.assertEqual(code, 0, err)
        body, _, trailer = out.rpartition(b"\n")
        self.assertEqual(trailer, b"2 200")
        report = json.loads(body)
        self.assertEqual(report["server"], "a")
        self.assertEqual(report["target"], "/app/x?q=1")
        self.assertEqual(header_values(report, "host"), [f"h2.test:{self.secure}"])
        self.assertEqual(header_values(report, "x-forwarded-proto"), ["https"])
        self.assertEqual(header_values(report, "x-forwarded-for"), ["127.0.0.1"])
        self.assertEqual(header_values(report, "x-route"), ["main"])

    def test_curl_upload_and_download_over_h2(self):
        with tempfile.NamedTemporaryFile() as upload:
            upload.write(os.urandom(3 * 1024 * 1024 + 17))
            upload.flush()
            code, out, err = self.https(self.secure, "/app/up", "--http2", "--data-binary",
                                        f"@{upload.name}")
            self.assertEqual(code, 0, err)
            self.assertEqual(json.loads(out)["body_length"], 3 * 1024 * 1024 + 17)
        size = 5 * 1024 * 1024 + 3
        code, out, err = self.https(self.secure, f"/app/big?bytes={size}&chunked=1", "--http2")
        self.assertEqual(code, 0, err)
        self.assertEqual(len(out), size)
        import hashlib
        self.assertEqual(hashlib.sha256(out).hexdigest(), pattern_sha256(size))

    def test_tls_listener_without_http2_stays_on_http11(self):
        code, out, err = self.https(self.secure11, "/app/x", "--http2", "-o", "/dev/null", "-w",
                                    "%{http_version}")
        self.assertEqual((code, out), (0, b"1.1"), err)

    def test_prior_knowledge_h2c_on_a_plain_listener(self):
        code, out, err = curl("--http2-prior-knowledge", "-o", "/dev/null", "-w",
                              "%{http_version} %{http_code}", f"http://127.0.0.1:{self.h2c}/app/c")
        self.assertEqual((code, out), (0, b"2 200"), err)
        # HTTP/1.1 still works on the same listener.
        code, out, err = curl("-o", "/dev/null", "-w", "%{http_version} %{http_code}",
                              f"http://127.0.0.1:{self.h2c}/app/c")
        self.assertEqual((code, out), (0, b"1.1 200"), err)

    def test_plain_listener_without_http2_refuses_the_preface(self):
        code, out, err = curl("--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_code}",
                              f"http://127.0.0.1:{self.plain}/app/c")
        self.assertNotEqual((code, out), (0, b"200"))

    def test_nghttp_many_streams_on_one_connection(self):
        urls = [f"https://127.0.0.1:{self.secure}/app/n{i}" for i in range(20)]
        proc = subprocess.run(["nghttp", "-n", "-s", "-m", "1", *urls], capture_output=True,
                              text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr + proc.stdout)
        # -s prints one line per stream with its status.
        self.assertEqual(proc.stdout.count(" 200 "), 20, proc.stdout)

    def test_access_log_names_the_protocol(self):
        self.https(self.secure, "/app/logged-h2", "--http2")
        curl(f"http://127.0.0.1:{self.plain}/app/logged-h1")
        wait_until(lambda: {"/app/logged-h2", "/app/logged-h1"} <=
                   {line["path"] for line in self.access_lines()}, message="two log lines")
        by_path = {line["path"]: line for line in self.access_lines()}
        self.assertEqual(by_path["/app/logged-h2"]["protocol"], "HTTP/2")
        self.assertEqual(by_path["/app/logged-h2"]["route"], "main")
        self.assertEqual(by_path["/app/logged-h1"]["protocol"], "HTTP/1.1")

    def test_no_route_is_a_404_stream(self):
        with H2Client(self.secure, tls=True) as client:
            status, headers, _ = client.response(client.request("/nowhere"))
            self.assertEqual(status, 404)
            self.assertEqual(headers.get("turnout-error"), "no_route")

    def test_cookie_crumbs_joined_and_authority_becomes_host(self):
        with H2Client(self.h2c) as client:
            stream = client.request("/app/cookies", authority="crumbs.test",
                                    headers=[("cookie", "a=1"), ("cookie", "b=2")])
            status, _, body = client.response(stream)
            self.assertEqual(status, 200)
            report = json.loads(body)
            self.assertEqual(header_values(report, "cookie"), ["a=1; b=2"])
            self.assertEqual(header_values(report, "host"), ["crumbs.test"])

    def test_concurrent_streams_split_by_weight(self):
        counts = collections.Counter()
        with H2Client(self.secure, tls=True) as client:
            for _ in range(4):  # 4 rounds of 50 concurrent streams (the limit is 64)
                streams = [client.request(f"/split/{i}") for i in range(50)]
                for stream in streams:
                    status, _, body = client.response(stream)
                    self.assertEqual(status, 200)
                    counts[json.loads(body)["server"]] += 1
        self.assertEqual(sum(counts.values()), 200)
        self.assertAlmostEqual(counts["a"] / 200, 0.75, delta=0.1, msg=str(counts))

    def test_more_streams_than_allowed_are_refused_not_queued(self):
        with H2Client(self.secure, tls=True) as client:
            client.wait(lambda: client.conn.remote_settings.max_concurrent_streams == 64,
                        message="turnout's SETTINGS")
            self.assertEqual(client.conn.remote_settings.initial_window_size, 65535)


RELOAD_CONFIG = """\
workers: 1
listeners:
  - name: renewed
    address: 127.0.0.1:${renewed}
    http2: true
    tls: { certificates: [{ cert: ${dir}/renewed.pem, key: ${dir}/renewed.key }] }
  - name: kept
    address: 127.0.0.1:${kept}
    http2: true
    tls: { certificates: [{ cert: ${dir}/kept.pem, key: ${dir}/kept.key }] }
upstreams:
  a: { targets: [${a}] }
routes:
  - { name: all, match: { path_prefix: / }, upstream: a }
"""


class Http2CertificateReloadTest(TurnoutTestCase):
    """A reload that changes a listener's certificate sends its HTTP/2
    connections GOAWAY (a notice, then the last stream id), so their clients
    come back under the new certificate; open streams finish. Connections of
    listeners whose certificates stay are left alone."""

    def test_changed_certificate_sends_goaway_and_open_streams_finish(self):
        with tempfile.TemporaryDirectory(prefix="turnout-h2-reload-") as certs, \
                EchoBackend("a") as a:
            pki = Pki(certs)
            pki.leaf("renewed", dns=["h2.test"])
            pki.leaf("kept", dns=["h2.test"])
            renewed, kept = free_port(), free_port()
            with Turnout(render(RELOAD_CONFIG, renewed=renewed, kept=kept, dir=certs,
                                a=a.address)) as turnout:
                self.turnouts = (turnout,)
                with RawH2(renewed, tls=True) as on_renewed, RawH2(kept, tls=True) as on_kept:
                    on_renewed.send(frame(HEADERS, END_HEADERS | END_STREAM, 1,
                                          request_block(path="/slow?delay_ms=1500")))
                    stats_calls = []

                    def proxied():  # each /__stats request counts itself
                        stats_calls.append(1)
                        return a.stats()["requests"] - len(stats_calls)
                    wait_until(lambda: proxied() == 1, message="the slow request upstream")
                    cert, key = pki.leaf("renewed-2", dns=["h2.test"])
                    os.replace(cert, os.path.join(certs, "renewed.pem"))
                    os.replace(key, os.path.join(certs, "renewed.key"))
                    reload = Admin(turnout).cli("reload")
                    self.assertEqual(reload.returncode, 0, reload.stderr)
                    frames = on_renewed.frames(timeout=10)
                    untouched = on_kept.frames(timeout=0.5)
        self.assertEqual(goaways(frames), [(0x7FFFFFFF, NO_ERROR), (1, NO_ERROR)])
        self.assertTrue(stream_ended(frames, 1), f"stream 1 never ended: {frames}")
        self.assertNotIn(GOAWAY, [kind for kind, _, _, _ in untouched])


if __name__ == "__main__":
    unittest.main()

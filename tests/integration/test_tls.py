"""TLS termination (SPEC §3 listener `tls`, §5): certificates chosen by SNI,
TLS versions, ALPN, session resumption across workers, certificates renewed
by a reload, broken files refused. Certificates are made at test time with
the openssl command line; curl, `openssl s_client` and Python's ssl are the
clients."""

import json
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import time

from admin_client import Admin
from harness import (BackendsTestCase, EchoBackend, RawConnection, Turnout, TurnoutTestCase,
                     free_port, render, turnout_bin, wait_until)
from tls_helpers import (HttpsConnection, Pki, client_context, file_fingerprint, s_client,
                         served_fingerprint, tls_connect)

CONFIG = """\
workers: 2
listeners:
  - { name: web, address: 127.0.0.1:${web} }
  - name: websecure
    address: 127.0.0.1:${secure}
    tls:
      certificates:
        - { cert: ${dir}/alpha.pem, key: ${dir}/alpha.key }
        - { cert: ${dir}/beta.pem, key: ${dir}/beta.key }
        - { cert: ${dir}/wild.pem, key: ${dir}/wild.key }
  - name: strict
    address: 127.0.0.1:${strict}
    tls:
      certificates: [{ cert: ${dir}/alpha.pem, key: ${dir}/alpha.key }]
      min_version: "1.3"
limits: { header_timeout: 1s }
upstreams:
  echo: { targets: [${echo}] }
routes:
  - { name: all, match: { path_prefix: / }, upstream: echo }
"""


def make_certificates(directory):
    pki = Pki(directory)
    pki.leaf("alpha", dns=["alpha.test"])
    pki.leaf("beta", dns=["beta.test", "www.beta.test"])
    pki.leaf("wild", dns=["*.wild.test"])
    return pki


def curl(port, name, ca, path="/"):
    """curl verifying the certificate against `ca` and `name`; (exit status, output)."""
    proc = subprocess.run(
        ["curl", "-sS", "--max-time", "10", "--cacert", ca, "--resolve", f"{name}:{port}:127.0.0.1",
         "-o", "/dev/null", "-w", "%{http_code}", f"https://{name}:{port}{path}"],
        capture_output=True, text=True, timeout=20)
    return proc.returncode, proc.stdout + proc.stderr


def subject_of(output):
    for line in output.splitlines():
        if line.startswith("subject="):
            return line.split("CN = ", 1)[-1].strip()
    return None


class TlsTerminationTest(TurnoutTestCase):
    @classmethod
    def setUpClass(cls):
        certs = cls.enterClassContext(tempfile.TemporaryDirectory(prefix="turnout-certs-"))
        cls.pki = make_certificates(certs)
        echo = cls.enterClassContext(EchoBackend("echo"))
        cls.web, cls.secure, cls.strict = free_port(), free_port(), free_port()
        cls.turnout = cls.enterClassContext(Turnout(render(
            CONFIG, web=cls.web, secure=cls.secure, strict=cls.strict, dir=certs,
            echo=echo.address)))
        cls.turnouts = (cls.turnout,)

    def test_curl_verifies_the_certificate_each_name_gets(self):
        for name in ("alpha.test", "beta.test", "www.beta.test", "shop.wild.test"):
            code, output = curl(self.secure, name, self.pki.ca)
            self.assertEqual((code, output), (0, "200"), name)
        # The default certificate does not name these: verification must fail.
        for name in ("unknown.test", "deep.shop.wild.test"):
            code, output = curl(self.secure, name, self.pki.ca)
            self.assertEqual(code, 60, f"{name}: {output}")

    def test_s_client_gets_the_sni_certificate_and_the_default_without_sni(self):
        for args, expected in ((["-servername", "beta.test"], "beta.test"),
                               (["-servername", "x.wild.test"], "*.wild.test"),
                               (["-servername", "unknown.test"], "alpha.test"),
                               (["-noservername"], "alpha.test")):
            code, output = s_client(self.secure, *args)
            self.assertEqual(code, 0, output)
            self.assertEqual(subject_of(output), expected, args)

    def test_tls_1_1_is_refused_and_1_2_and_1_3_served(self):
        # SECLEVEL=0 lets the client offer TLS 1.1 at all; turnout must still refuse it.
        code, output = s_client(self.secure, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")
        self.assertNotEqual(code, 0, output)
        self.assertIn("alert protocol version", output)
        for flag, version in (("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")):
            code, output = s_client(self.secure, flag)
            self.assertEqual(code, 0, output)
            self.assertIn(f"New, {version}, Cipher", output)

    def test_min_version_1_3_refuses_tls_1_2(self):
        code, output = s_client(self.strict, "-tls1_2")
        self.assertNotEqual(code, 0, output)
        code, output = s_client(self.strict, "-tls1_3")
        self.assertEqual(code, 0, output)

    def test_alpn_negotiates_http_1_1_only(self):
        code, output = s_client(self.secure, "-alpn", "h2,http/1.1")
        self.assertEqual(code, 0, output)
        self.assertIn("ALPN protocol: http/1.1", output)
        code, output = s_client(self.secure, "-alpn", "h2")
        self.assertNotEqual(code, 0, output)

    def test_forwarded_proto_is_https_on_tls_listeners(self):
        conn = HttpsConnection(self.secure, "alpha.test")
        try:
            status, _, body = conn.get("/proto")
        finally:
            conn.close()
        self.assertEqual(status, 200)
        report = json.loads(body)
        self.assertIn("https", [v for n, v in report["headers"] if n == "X-Forwarded-Proto"])
        plain = RawConnection(self.web)
        try:
            response = plain.request("GET /proto HTTP/1.1\r\nHost: x\r\n\r\n")
        finally:
            plain.close()
        self.assertIn("http", [v for n, v in response.json()["headers"] if n == "X-Forwarded-Proto"])

    def test_keep_alive_and_pipelined_requests_over_tls(self):
        sock = tls_connect(self.secure, "alpha.test")
        conn = RawConnection(None, sock=sock)
        try:
            # Two requests in one TLS record: the second waits, decrypted,
            # inside the TLS layer while the first is answered.
            conn.send("GET /one HTTP/1.1\r\nHost: a\r\n\r\nGET /two HTTP/1.1\r\nHost: a\r\n\r\n")
            first, second = conn.read_response(), conn.read_response()
            third = conn.request("GET /three HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            self.assertTrue(conn.wait_closed())
        finally:
            conn.close()
        self.assertEqual([r.json()["target"] for r in (first, second, third)],
                         ["/one", "/two", "/three"])

    def test_sessions_resume_on_any_worker(self):
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            context = client_context(minimum=version, maximum=version)
            conn = HttpsConnection(self.secure, "alpha.test", context=context)
            conn.get("/first")  # TLS 1.3 tickets arrive after the handshake
            session = conn.sock.session
            conn.close()
            reused = []
            for _ in range(8):  # two workers: connections land on both
                with tls_connect(self.secure, "alpha.test", context, session) as sock:
                    reused.append(sock.session_reused)
            self.assertEqual(reused, [True] * 8, version)

    def test_failed_handshake_is_logged_with_peer_and_worker_keeps_serving(self):
        with RawConnection(self.secure) as conn:
            conn.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertTrue(conn.wait_closed())
        wait_until(lambda: "TLS handshake failed" in self.turnout.log_text(), timeout=5)
        line = [l for l in self.turnout.log_text().splitlines() if "TLS handshake failed" in l][0]
        self.assertIn("peer=127.0.0.1", line)
        self.assertIn("listener=websecure", line)
        self.assertEqual(curl(self.secure, "alpha.test", self.pki.ca), (0, "200"))

    def test_slow_header_over_tls_gets_408(self):
        sock = tls_connect(self.secure, "alpha.test")
        with RawConnection(None, sock=sock) as conn:
            conn.send("GET /slow HTTP/1.1\r\nHost: a\r\n")
            response = conn.read_response()
            self.assertEqual(response.status, 408)
            self.assertTrue(conn.wait_closed())

    def test_silent_client_is_cut_off_at_header_timeout(self):
        started = time.monotonic()
        with RawConnection(self.secure) as conn:
            self.assertTrue(conn.wait_closed(timeout=5))
        self.assertGreater(time.monotonic() - started, 0.8)


RELOAD_CONFIG = """\
workers: 1
listeners:
  - name: websecure
    address: 127.0.0.1:${secure}
    tls: { certificates: [{ cert: ${dir}/alpha.pem, key: ${dir}/alpha.key }] }
upstreams:
  echo: { targets: [${echo}] }
routes:
  - { name: all, match: { path_prefix: / }, upstream: echo }
"""


class TlsReloadTest(BackendsTestCase):
    backend_names = ("echo",)

    def setUp(self):
        self._certs = tempfile.TemporaryDirectory(prefix="turnout-certs-")
        self.addCleanup(self._certs.cleanup)
        self.dir = self._certs.name
        self.pki = Pki(self.dir)
        self.pki.leaf("alpha", dns=["alpha.test"])
        self.secure = free_port()
        self.config = render(RELOAD_CONFIG, secure=self.secure, dir=self.dir, echo=self.echo.address)

    def renew(self):
        """A new certificate and key for alpha.test, moved over the old files."""
        cert, key = self.pki.leaf("alpha-renewed", dns=["alpha.test"])
        os.replace(cert, os.path.join(self.dir, "alpha.pem"))
        os.replace(key, os.path.join(self.dir, "alpha.key"))
        return file_fingerprint(os.path.join(self.dir, "alpha.pem"))

    def test_renewed_certificate_is_served_after_reload_and_open_connections_keep_working(self):
        with Turnout(self.config) as t:
            self.turnouts = (t,)
            admin = Admin(t)
            old = served_fingerprint(self.secure, "alpha.test")
            self.assertEqual(old, file_fingerprint(os.path.join(self.dir, "alpha.pem")))
            conn = HttpsConnection(self.secure, "alpha.test")
            self.addCleanup(conn.close)
            self.assertEqual(conn.get("/before")[0], 200)
            new = self.renew()
            reload = admin.cli("reload")  # the config text is the same
            self.assertEqual(reload.returncode, 0, reload.stderr)
            self.assertEqual(served_fingerprint(self.secure, "alpha.test"), new)
            self.assertNotEqual(new, old)
            self.assertEqual(conn.get("/after")[0], 200)
            self.assertEqual(conn.peer_fingerprint(), old)

    def test_broken_certificate_fails_the_apply_and_the_old_one_stays(self):
        with Turnout(self.config) as t:
            self.turnouts = (t,)
            admin = Admin(t)
            old = served_fingerprint(self.secure, "alpha.test")
            version = admin.version()
            cert_path = os.path.join(self.dir, "alpha.pem")
            shutil.copy(cert_path, cert_path + ".good")
            with open(cert_path, "w") as f:
                f.write("-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n")
            response = admin.put_config(self.config)
            self.assertEqual(response.status, 400, response)
            self.assertIn(cert_path, response.json()["error"])
            reload = admin.cli("reload")
            self.assertEqual(reload.returncode, 1)
            self.assertIn(cert_path, reload.stderr)
            self.assertEqual(admin.version(), version)
            self.assertEqual(served_fingerprint(self.secure, "alpha.test"), old)
            os.replace(cert_path + ".good", cert_path)
            self.assertEqual(admin.put_config(self.config).status, 200)

    def test_a_replaced_worker_serves_what_the_master_read_not_the_disk(self):
        with Turnout(self.config) as t:
            self.turnouts = (t,)
            admin = Admin(t)
            served = served_fingerprint(self.secure, "alpha.test")
            self.renew()  # on disk only: no reload
            victim = admin.status()["workers"][0]
            os.kill(victim["pid"], signal.SIGKILL)
            wait_until(lambda: any(w["pid"] != victim["pid"] and w["state"] == "ready"
                                   for w in admin.status()["workers"]), timeout=10)
            self.assertEqual(served_fingerprint(self.secure, "alpha.test"), served)

    def test_validate_names_a_certificate_that_does_not_load(self):
        path = os.path.join(self.dir, "turnout.yaml")
        with open(path, "w") as f:
            f.write(self.config)
        good = subprocess.run([turnout_bin(), "validate", "-c", path], capture_output=True,
                              text=True, timeout=30)
        self.assertEqual(good.returncode, 0, good.stderr)
        os.remove(os.path.join(self.dir, "alpha.key"))
        bad = subprocess.run([turnout_bin(), "validate", "-c", path], capture_output=True,
                             text=True, timeout=30)
        self.assertEqual(bad.returncode, 1)
        self.assertIn(os.path.join(self.dir, "alpha.key"), bad.stderr)
        self.assertIn("No such file", bad.stderr)

"""TLS from turnout to its targets (SPEC §3 upstream `tls`): the target's
certificate verified against `ca` and a name (`sni`, else the target's IP),
SNI sent, `verify: false` skipping the check, pooled TLS connections
reused, health checks over TLS. The target is a Python HTTPS server whose
certificate a CA made at test time signed."""

import json
import tempfile

from admin_client import Admin
from harness import RawConnection, Turnout, TurnoutTestCase, free_port, render, request, wait_until
from tls_helpers import HttpsEchoBackend, Pki

CONFIG = """\
workers: 1
listeners:
  - { name: web, address: 127.0.0.1:${port} }
upstreams:
  by-name: { targets: [${target}], tls: { ca: ${ca}, sni: upstream.internal } }
  by-ip: { targets: [${target}], tls: { ca: ${ca} } }
  wrong-ca: { targets: [${target}], tls: { ca: ${other_ca}, sni: upstream.internal }, retries: 0 }
  wrong-name: { targets: [${target}], tls: { ca: ${ca}, sni: elsewhere.internal }, retries: 0 }
  unverified: { targets: [${target}], tls: { verify: false, sni: anything.internal } }
  checked:
    targets: [${checked}]
    tls: { ca: ${ca}, sni: upstream.internal }
    health_check: { path: /healthz, interval: 100ms, timeout: 1s, healthy_after: 1, unhealthy_after: 1 }
  checked-wrong:
    targets: [${checked}]
    tls: { ca: ${other_ca}, sni: upstream.internal }
    health_check: { path: /healthz, interval: 100ms, timeout: 1s, healthy_after: 1, unhealthy_after: 1 }
routes:
  - { name: by-name, match: { path_prefix: /by-name/ }, upstream: by-name }
  - { name: by-ip, match: { path_prefix: /by-ip/ }, upstream: by-ip }
  - { name: wrong-ca, match: { path_prefix: /wrong-ca/ }, upstream: wrong-ca }
  - { name: wrong-name, match: { path_prefix: /wrong-name/ }, upstream: wrong-name }
  - { name: unverified, match: { path_prefix: /unverified/ }, upstream: unverified }
"""


class UpstreamTlsTest(TurnoutTestCase):
    @classmethod
    def setUpClass(cls):
        certs = cls.enterClassContext(tempfile.TemporaryDirectory(prefix="turnout-certs-"))
        pki = Pki(certs)
        other = Pki(certs, ca_name="other-ca")
        cert, key = pki.leaf("upstream", dns=["upstream.internal"], ips=["127.0.0.1"])
        cls.backend = cls.enterClassContext(HttpsEchoBackend(cert, key))
        # Health checks connect every 100 ms: a backend of their own keeps
        # them out of the connection counts of the other tests.
        cls.checked = cls.enterClassContext(HttpsEchoBackend(cert, key, name="checked"))
        cls.port = free_port()
        cls.turnout = cls.enterClassContext(Turnout(render(
            CONFIG, port=cls.port, target=cls.backend.address, checked=cls.checked.address,
            ca=pki.ca, other_ca=other.ca)))
        cls.turnouts = (cls.turnout,)

    def get(self, path):
        status, headers, body = request(self.port, "GET", path)
        return status, headers.get("turnout-error"), body

    def test_verified_by_sni_name_and_the_name_is_sent(self):
        status, _, body = self.get("/by-name/x")
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["server_name"], "upstream.internal")

    def test_verified_by_the_targets_ip_without_sni(self):
        status, _, body = self.get("/by-ip/x")
        self.assertEqual(status, 200, body)
        self.assertIsNone(json.loads(body)["server_name"])

    def test_wrong_ca_and_wrong_name_fail_with_502(self):
        for path in ("/wrong-ca/x", "/wrong-name/x"):
            status, error, _ = self.get(path)
            self.assertEqual((status, error), (502, "upstream_tls_failed"), path)
        log = self.turnout.log_text()
        self.assertIn("certificate verify failed", log)
        self.assertIn("hostname mismatch", log)

    def test_verify_false_accepts_any_certificate(self):
        status, _, body = self.get("/unverified/x")
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["server_name"], "anything.internal")

    def test_pooled_tls_connections_are_reused(self):
        self.get("/by-name/warm")
        before = self.backend.connections
        with RawConnection(self.port) as conn:
            for i in range(5):
                response = conn.request(f"GET /by-name/{i} HTTP/1.1\r\nHost: x\r\n\r\n")
                self.assertEqual(response.status, 200)
        for i in range(5):
            self.assertEqual(self.get(f"/by-name/fresh-client-{i}")[0], 200)
        self.assertEqual(self.backend.connections, before)

    def test_health_checks_speak_tls_and_verify(self):
        admin = Admin(self.turnout)

        def health(upstream):
            for entry in admin.status()["upstreams"]:
                if entry["name"] == upstream:
                    return [target["health"] for target in entry["targets"]]
            return None

        wait_until(lambda: health("checked-wrong") == ["unhealthy"], timeout=10)
        wait_until(lambda: ("/healthz", "upstream.internal") in self.checked.seen, timeout=10)
        self.assertEqual(health("checked"), ["healthy"])

"""WebSocket through turnout (SPEC §5): an upgrade request keeps Upgrade
and Connection on its way to the upstream, the 101 comes back, and bytes
then flow both ways until either side closes or the tunnel sits idle past
idle_timeout — on plain and TLS listeners alike. Other Upgrade values are
dropped. The client and the echo backend speak RFC 6455 by hand."""

import socket
import tempfile
import time

from harness import (EchoBackend, RawConnection, Turnout, TurnoutTestCase, free_port,
                     header_values, render)
from tls_helpers import Pki, tls_connect
from websocket_helpers import (BINARY, CLOSE, TEXT, WebSocketClient, WebSocketEchoBackend,
                               accept_key)

CONFIG = """\
workers: 1
listeners:
  - { name: web, address: 127.0.0.1:${web} }
  - name: websecure
    address: 127.0.0.1:${secure}
    tls: { certificates: [{ cert: ${cert}, key: ${key} }] }
limits: { idle_timeout: 1s }
upstreams:
  ws: { targets: [${ws}] }
  echo: { targets: [${echo}] }
routes:
  - { name: ws, match: { path_prefix: /ws/ }, upstream: ws }
  - { name: echo, match: { path_prefix: / }, upstream: echo }
"""


class WebSocketTest(TurnoutTestCase):
    @classmethod
    def setUpClass(cls):
        certs = cls.enterClassContext(tempfile.TemporaryDirectory(prefix="turnout-certs-"))
        cert, key = Pki(certs).leaf("ws", dns=["ws.test"])
        echo = cls.enterClassContext(EchoBackend("echo"))
        cls.ws = cls.enterClassContext(WebSocketEchoBackend())
        cls.web, cls.secure = free_port(), free_port()
        cls.turnout = cls.enterClassContext(Turnout(render(
            CONFIG, web=cls.web, secure=cls.secure, cert=cert, key=key, ws=cls.ws.address,
            echo=echo.address)))
        cls.turnouts = (cls.turnout,)

    def connect(self, tls):
        if tls:
            return tls_connect(self.secure, "ws.test")
        return socket.create_connection(("127.0.0.1", self.web), timeout=5)

    def exchange_both_ways(self, tls):
        with self.connect(tls) as sock:
            client = WebSocketClient(sock)
            status, headers = client.handshake("/ws/greet")
            self.assertIn(" 101 ", status)
            self.assertEqual(headers["upgrade"].lower(), "websocket")
            self.assertEqual(headers["connection"].lower(), "upgrade")
            self.assertEqual(headers["sec-websocket-accept"], accept_key(client.key))
            # Sent by the upstream in the same write as its 101.
            self.assertEqual(client.receive(), (TEXT, b"hello from upstream"))
            for message in (b"ping", "über".encode()):
                client.send(message)
                self.assertEqual(client.receive(), (TEXT, message))
            large = bytes(range(256)) * 1024  # 256 KiB: many reads and TLS records
            client.send(large, BINARY)
            self.assertEqual(client.receive(), (BINARY, large))
            self.assertEqual(client.close()[0], CLOSE)
            self.assertEqual(sock.recv(1), b"")  # the upstream closed, so did turnout
        _, seen = self.ws.requests[-1]
        self.assertEqual(seen["upgrade"], "websocket")
        self.assertEqual(seen["connection"], "Upgrade")
        self.assertEqual(seen["x-forwarded-proto"], "https" if tls else "http")

    def test_messages_flow_both_ways_on_a_plain_listener(self):
        self.exchange_both_ways(tls=False)

    def test_messages_flow_both_ways_on_a_tls_listener(self):
        self.exchange_both_ways(tls=True)

    def test_idle_tunnel_is_closed_after_idle_timeout(self):
        with self.connect(tls=False) as sock:
            client = WebSocketClient(sock)
            self.assertIn(" 101 ", client.handshake("/ws/idle")[0])
            client.send(b"still here")
            self.assertEqual(client.receive(), (TEXT, b"still here"))
            started = time.monotonic()
            sock.settimeout(5)
            self.assertEqual(sock.recv(1), b"")
            self.assertGreater(time.monotonic() - started, 0.8)

    def test_refused_upgrade_is_an_ordinary_response(self):
        with self.connect(tls=False) as sock:
            conn = RawConnection(None, sock=sock)
            conn.send("GET /ws/refuse HTTP/1.1\r\nHost: ws.test\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Key: a2V5a2V5a2V5a2V5a2V5aw==\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n")
            response = conn.read_response()
        self.assertEqual((response.status, response.body), (403, b"no way"))

    def test_other_upgrades_are_not_forwarded(self):
        with RawConnection(self.web) as conn:
            response = conn.request(
                "GET /plain HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\n"
                "Connection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n")
        self.assertEqual(response.status, 200)
        report = response.json()
        for name in ("Upgrade", "HTTP2-Settings", "Connection"):
            self.assertEqual(header_values(report, name), [], name)

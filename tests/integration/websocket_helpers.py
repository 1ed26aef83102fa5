"""WebSocket for the integration tests, written out by hand (RFC 6455): a
client that does the opening handshake and frames messages over any socket
(plain or TLS), and an echo backend that answers the upgrade with 101 and
sends every message back. The backend runs in threads of the test process
and is stopped by the test (a `with` block)."""

import base64
import hashlib
import os
import socketserver
import struct

from thread_backend import ThreadBackend, ThreadingServer

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

TEXT = 0x1
BINARY = 0x2
CLOSE = 0x8


def accept_key(key):
    return base64.b64encode(hashlib.sha1(key.encode() + _GUID).digest()).decode()


def _read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed mid-frame")
        data += chunk
    return data


def read_frame(sock):
    """(opcode, payload) of one whole frame, unmasking if masked."""
    first, second = _read_exact(sock, 2)
    opcode = first & 0x0F
    size = second & 0x7F
    if size == 126:
        size = struct.unpack("!H", _read_exact(sock, 2))[0]
    elif size == 127:
        size = struct.unpack("!Q", _read_exact(sock, 8))[0]
    mask = _read_exact(sock, 4) if second & 0x80 else None
    payload = _read_exact(sock, size)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return opcode, payload


def encode_frame(opcode, payload, masked):
    header = bytes([0x80 | opcode])
    size = len(payload)
    mask_bit = 0x80 if masked else 0
    if size < 126:
        header += bytes([mask_bit | size])
    elif size < 1 << 16:
        header += bytes([mask_bit | 126]) + struct.pack("!H", size)
    else:
        header += bytes([mask_bit | 127]) + struct.pack("!Q", size)
    if not masked:
        return header + payload
    mask = os.urandom(4)
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def read_head(sock, limit=65536):
    """The bytes of an HTTP head up to and including the blank line; what
    follows it stays unread in the socket."""
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        byte = sock.recv(1)
        if not byte:
            raise ConnectionError(f"closed after {head!r}")
        head += byte
        if len(head) > limit:
            raise ValueError("head too long")
    return head


def parse_head(head):
    """(status or method line, {lower-case name: value})."""
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return lines[0], headers


class WebSocketClient:
    """One WebSocket over `sock`: handshake() first, then send()/receive()."""

    def __init__(self, sock):
        self.sock = sock

    def handshake(self, path="/chat", host="ws.test", extra=""):
        """Sends the upgrade request; returns (status line, headers) of the answer."""
        self.key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {self.key}\r\n"
                           f"Sec-WebSocket-Version: 13\r\n{extra}\r\n").encode())
        return parse_head(read_head(self.sock))

    def send(self, payload, opcode=TEXT):
        self.sock.sendall(encode_frame(opcode, payload, masked=True))

    def receive(self):
        return read_frame(self.sock)

    def close(self):
        """The closing handshake: our close frame, theirs back."""
        self.send(struct.pack("!H", 1000), CLOSE)
        return self.receive()


class _EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        sock.settimeout(30)
        try:
            start, headers = parse_head(read_head(sock))
            self.server.requests.append((start, headers))
            if headers.get("upgrade", "").lower() != "websocket":
                sock.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                return
            if "/refuse" in start:
                sock.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 6\r\n\r\nno way")
                return
            answer = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                      b"Connection: Upgrade\r\nSec-WebSocket-Accept: " +
                      accept_key(headers["sec-websocket-key"]).encode() + b"\r\n\r\n")
            if "/greet" in start:
                # In the same write as the 101: bytes right behind the head.
                answer += encode_frame(TEXT, b"hello from upstream", masked=False)
            sock.sendall(answer)
            while True:
                opcode, payload = read_frame(sock)
                sock.sendall(encode_frame(opcode, payload, masked=False))
                if opcode == CLOSE:
                    return
        except (ConnectionError, OSError, ValueError):
            return


class WebSocketEchoBackend(ThreadBackend):
    """Answers a WebSocket upgrade with 101 and echoes every frame (a close
    frame too, then closes). /greet sends a message right behind the 101;
    /refuse answers 403. `.requests`: (request line, headers) of each."""

    def __init__(self):
        server = ThreadingServer(("127.0.0.1", 0), _EchoHandler)
        server.requests = []
        super().__init__(server)

    @property
    def requests(self):
        return self.server.requests

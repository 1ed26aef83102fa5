"""An HTTP/2 client for protocol-level tests, on python3-h2 (Debian's
package). ctest may run a Python of its own (pyenv) that does not see
Debian's dist-packages: they are added to the path as a fallback, h2 and its
dependencies being pure Python."""

import socket
import ssl
import struct
import sys
import time

try:
    import h2.config
    import h2.connection
    import h2.events
    import h2.settings
except ImportError:
    sys.path.append("/usr/lib/python3/dist-packages")
    import h2.config
    import h2.connection
    import h2.events
    import h2.settings

PROTOCOL_ERROR = 0x1
INTERNAL_ERROR = 0x2
FLOW_CONTROL_ERROR = 0x3
COMPRESSION_ERROR = 0x9
ENHANCE_YOUR_CALM = 0xB
NO_ERROR = 0x0
REFUSED_STREAM = 0x7

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def frame(kind, flags, stream_id, payload=b""):
    """One raw frame: RFC 9113 §4.1's 9-byte header, then the payload."""
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + \
        struct.pack(">I", stream_id & 0x7FFFFFFF) + payload


DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = \
    0x0, 0x1, 0x3, 0x4, 0x6, 0x7, 0x8, 0x9
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1


def hpack_literal(name, value):
    """A literal header field without indexing, new name (RFC 7541 §6.2.2),
    lengths under 127: what a client writes for fields a library refuses."""
    name, value = name.encode(), value.encode()
    return bytes([0x00, len(name)]) + name + bytes([len(value)]) + value


def request_block(*extra, method="GET", path="/x"):
    """A request's header block of literal fields, for hand-written HEADERS."""
    fields = [(":method", method), (":scheme", "http"), (":path", path),
              (":authority", "h2.test"), *extra]
    return b"".join(hpack_literal(n, v) for n, v in fields)


def goaways(frames):
    """(last stream id, error code) of each GOAWAY among RawH2.frames()."""
    return [(int.from_bytes(p[:4], "big"), int.from_bytes(p[4:8], "big"))
            for kind, _, _, p in frames if kind == GOAWAY]


def stream_ended(frames, stream_id):
    """Whether turnout ended `stream_id` (END_STREAM on its HEADERS or DATA)."""
    return any(stream == stream_id and kind in (HEADERS, DATA) and flags & END_STREAM
               for kind, flags, stream, _ in frames)


class H2Client:
    """One HTTP/2 connection to turnout. `strict=False` lets the test send
    what a correct client never would (uppercase names, connection headers).
    `auto_window=False` leaves received data unacknowledged, so turnout's
    sending stalls on flow control."""

    def __init__(self, port, tls=False, strict=True, auto_window=True, settings=None,
                 timeout=10.0):
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if tls:
            context = ssl._create_unverified_context()
            context.set_alpn_protocols(["h2", "http/1.1"])
            raw = context.wrap_socket(raw, server_hostname="localhost")
            assert raw.selected_alpn_protocol() == "h2", raw.selected_alpn_protocol()
        self.sock = raw
        self.auto_window = auto_window
        config = h2.config.H2Configuration(
            client_side=True, header_encoding="utf-8", validate_outbound_headers=strict,
            normalize_outbound_headers=strict, validate_inbound_headers=True)
        self.conn = h2.connection.H2Connection(config=config)
        self.conn.initiate_connection()
        if settings:
            self.conn.update_settings(settings)
        self.flush()
        self.closed = False
        self.terminated = None  # the GOAWAY's error code, once one came
        self.responses = {}     # stream id -> {"headers", "body", "ended", "reset"}

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def send_raw(self, data):
        self.sock.sendall(data)

    def _stream(self, stream_id):
        return self.responses.setdefault(
            stream_id, {"headers": None, "body": bytearray(), "ended": False, "reset": None,
                        "informational": []})

    def pump(self, timeout=5.0):
        """Reads what turnout sent within `timeout`; False once it closed."""
        if self.closed:
            return False
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return True
        except (ConnectionResetError, ssl.SSLError, OSError):
            data = b""
        if not data:
            self.closed = True
            return False
        for event in self.conn.receive_data(data):
            self._on_event(event)
        try:
            self.flush()
        except OSError:
            self.closed = True
        return True

    def _on_event(self, event):
        if isinstance(event, h2.events.ResponseReceived):
            self._stream(event.stream_id)["headers"] = dict(event.headers)
        elif isinstance(event, h2.events.InformationalResponseReceived):
            self._stream(event.stream_id)["informational"].append(dict(event.headers))
        elif isinstance(event, h2.events.DataReceived):
            self._stream(event.stream_id)["body"] += event.data
            if self.auto_window:
                self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded):
            self._stream(event.stream_id)["ended"] = True
        elif isinstance(event, h2.events.StreamReset):
            self._stream(event.stream_id)["reset"] = event.error_code
        elif isinstance(event, h2.events.ConnectionTerminated):
            self.terminated = event.error_code

    def wait(self, predicate, timeout=10.0, message="condition"):
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for {message}")
            if not self.pump(min(remaining, 0.5)) and not predicate():
                raise AssertionError(f"connection closed while waiting for {message}")

    def request(self, path, method="GET", headers=(), body=None, authority="h2.test",
                end=True):
        stream_id = self.conn.get_next_available_stream_id()
        fields = [(":method", method), (":path", path), (":scheme", "https"),
                  (":authority", authority)] + list(headers)
        self.conn.send_headers(stream_id, fields, end_stream=end and body is None)
        self._stream(stream_id)
        if body is not None:
            self.send_body(stream_id, body, end=end)
        self.flush()
        return stream_id

    def send_body(self, stream_id, body, end=True):
        """Sends `body` as flow control allows, reading turnout's window updates."""
        view = memoryview(body)
        while view:
            window = min(self.conn.local_flow_control_window(stream_id),
                         self.conn.max_outbound_frame_size)
            if window <= 0:
                self.flush()
                if not self.pump(5.0):
                    raise AssertionError("connection closed while sending a body")
                continue
            self.conn.send_data(stream_id, bytes(view[:window]))
            view = view[window:]
        if end:
            self.conn.end_stream(stream_id)
        self.flush()

    def response(self, stream_id, timeout=10.0):
        """(status, headers, body) once the stream ended; AssertionError if reset."""
        state = self._stream(stream_id)
        self.wait(lambda: state["ended"] or state["reset"] is not None, timeout,
                  f"stream {stream_id} to end")
        if not state["ended"]:
            raise AssertionError(f"stream {stream_id} reset with {state['reset']}")
        return int(state["headers"][":status"]), state["headers"], bytes(state["body"])

    def reset_code(self, stream_id, timeout=10.0):
        """The RST_STREAM error code turnout ends the stream with."""
        state = self._stream(stream_id)
        self.wait(lambda: state["reset"] is not None or self.terminated is not None, timeout,
                  f"stream {stream_id} to be reset")
        return state["reset"]

    def goaway_code(self, timeout=10.0):
        """The error code of the GOAWAY turnout ends the connection with."""
        deadline = time.monotonic() + timeout
        while self.terminated is None and time.monotonic() < deadline:
            if not self.pump(0.5):
                break
        return self.terminated


class RawH2:
    """Frames written by hand, for what no client library will send:
    broken header blocks, floods. Reads frames back without interpreting."""

    def __init__(self, port, timeout=10.0, tls=False):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if tls:
            context = ssl._create_unverified_context()
            context.set_alpn_protocols(["h2"])
            self.sock = context.wrap_socket(self.sock, server_hostname="localhost")
        self.sock.sendall(PREFACE + frame(SETTINGS, 0, 0))
        self.buffer = b""

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            return False  # turnout already closed: what it sent is still readable

    def frames(self, timeout=10.0):
        """Every frame turnout sends until it closes or `timeout`: (type, flags, stream, payload)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                break
            except OSError:
                break
            if not data:
                break
            self.buffer += data
        out, rest = [], self.buffer
        while len(rest) >= 9:
            length = int.from_bytes(rest[:3], "big")
            if len(rest) < 9 + length:
                break
            out.append((rest[3], rest[4], int.from_bytes(rest[5:9], "big") & 0x7FFFFFFF,
                        rest[9:9 + length]))
            rest = rest[9 + length:]
        return out

    def goaway_code(self, timeout=10.0):
        for kind, _, _, payload in self.frames(timeout):
            if kind == GOAWAY:
                return int.from_bytes(payload[4:8], "big")
        return None

"""A backend that misbehaves on purpose: each request is answered with the
exact bytes (or the exact rudeness) its path is mapped to, so tests can see
what turnout does with broken framing, early answers and closes.

Runs a thread per connection on 127.0.0.1, port chosen by the kernel."""

import contextlib
import socket
import struct
import threading


class Reply:
    """What the backend does with one request.

    raw: the bytes it sends back (None: nothing).
    close: close the connection afterwards.
    early: answer right after the request head, without reading the body.
    reset: close with a reset instead of answering.
    silent: never answer; keep the connection open until the backend stops.
    close_on_reuse: answer the first request on a connection; close the
    connection, unanswered, when a second one arrives on it."""

    def __init__(self, raw=None, close=False, early=False, reset=False, silent=False,
                 close_on_reuse=False):
        self.raw = raw.encode("latin-1") if isinstance(raw, str) else raw
        self.close = close
        self.early = early
        self.reset = reset
        self.silent = silent
        self.close_on_reuse = close_on_reuse


OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


class ScriptedBackend:
    def __init__(self, replies):
        self.replies = replies  # path -> Reply
        self.connections = 0
        self.requests = []  # (method, path, connection number) in arrival order
        self.heads = []  # each request's head, its bytes up to CRLF CRLF, in arrival order
        self.received = {}  # connection number -> every byte read from it
        self.closed = set()  # connection numbers the peer closed (or reset)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads = []
        self._open = []

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def count(self, path):
        with self._lock:
            return sum(1 for _, p, _ in self.requests if p == path)

    def bytes_received(self, connection):
        with self._lock:
            return bytes(self.received.get(connection, b""))

    def later_on_same_connection(self, path):
        """Requests that came after the last `path` request on its connection."""
        with self._lock:
            last = max(i for i, (_, p, _) in enumerate(self.requests) if p == path)
            connection = self.requests[last][2]
            return [r for r in self.requests[last + 1:] if r[2] == connection]

    def __enter__(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self._start(self._accept_loop)
        return self

    def __exit__(self, *exc):
        self._stopping.set()
        for sock in list(self._open):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=5)
        self.listener.close()
        return False

    def _start(self, target, *args):
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self):
        while not self._stopping.is_set():
            try:
                sock, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
                number = self.connections
            self._open.append(sock)
            self._start(self._serve, sock, number)

    def _recv(self, sock, number):
        """The next bytes from the peer, recorded; b"" once it closed."""
        try:
            data = sock.recv(65536)
        except ConnectionResetError:
            data = b""
        with self._lock:
            self.received.setdefault(number, bytearray()).extend(data)
            if not data:
                self.closed.add(number)
        return data

    def _serve(self, sock, number):
        sock.settimeout(10)
        buf = b""
        served = 0
        try:
            while not self._stopping.is_set():
                while b"\r\n\r\n" not in buf:
                    data = self._recv(sock, number)
                    if not data:
                        return
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                method, path = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")[:2]
                with self._lock:
                    self.requests.append((method, path, number))
                    self.heads.append(head + b"\r\n\r\n")
                reply = self.replies.get(path.split("?")[0], Reply(OK))
                served += 1
                if reply.close_on_reuse and served > 1:
                    return
                if not reply.early:
                    buf = self._read_body(sock, number, head, buf)
                if reply.reset:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return
                if reply.silent:
                    self._stopping.wait(30)
                    return
                if reply.raw:
                    sock.sendall(reply.raw)
                if reply.close or reply.early:
                    return
        except OSError:
            return
        finally:
            with contextlib.suppress(OSError):
                sock.close()

    def _read_body(self, sock, number, head, buf):
        """Reads a Content-Length or chunked body; returns what follows it."""
        length = 0
        chunked = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
            if name.strip().lower() == b"transfer-encoding":
                chunked = value.strip().lower().endswith(b"chunked")
        if chunked:
            return self._read_chunked(sock, number, buf)
        while len(buf) < length:
            data = self._recv(sock, number)
            if not data:
                return b""
            buf += data
        return buf[length:]

    def _read_chunked(self, sock, number, buf):
        """Reads chunks up to the last chunk and the empty line after the
        trailers; returns what follows, b"" if the peer closed first."""
        at = 0
        while True:
            while buf.find(b"\r\n", at) < 0:
                data = self._recv(sock, number)
                if not data:
                    return b""
                buf += data
            line_end = buf.find(b"\r\n", at)
            size = int(buf[at:line_end].split(b";")[0], 16)
            if size == 0:
                # The CRLF that ends "0" starts the empty line when there
                # are no trailers.
                while (end := buf.find(b"\r\n\r\n", line_end)) < 0:
                    data = self._recv(sock, number)
                    if not data:
                        return b""
                    buf += data
                return buf[end + 4:]
            at = line_end + 2 + size + 2
            while len(buf) < at:
                data = self._recv(sock, number)
                if not data:
                    return b""
                buf += data

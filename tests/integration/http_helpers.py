"""HTTP clients for the integration tests: one-shot requests with
http.client, a raw socket client for exact bytes, and the echo backend's
body pattern. Every read has a timeout."""

import hashlib
import http.client
import json
import re
import socket
import time


# ---------------------------------------------------------------- clients

def request(port, method, path, headers=None, body=None, timeout=10.0):
    """One request on a fresh http.client connection.

    Returns (status, headers as http.client.HTTPMessage, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


def get_json(port, path, headers=None, method="GET", body=None):
    """A request that must get a 200 with a JSON body; returns the JSON."""
    status, hdrs, data = request(port, method, path, headers=headers, body=body)
    if status != 200:
        raise AssertionError(f"{method} {path}: {status} {hdrs.get('turnout-error')} {data[:200]!r}")
    return json.loads(data)


def header_values(report, name):
    """All values of header `name` (any case) in an echo backend report."""
    return [v for n, v in report["headers"] if n.lower() == name.lower()]


class RawResponse:
    def __init__(self, version, status, reason, headers, body):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers  # [(name, value)] in received order
        self.body = body

    def header(self, name, default=None):
        for n, v in self.headers:
            if n.lower() == name.lower():
                return v
        return default

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"RawResponse({self.version} {self.status} {self.reason}, {self.headers}, {self.body[:100]!r})"


class RawConnection:
    """A socket for sending exact bytes and reading responses back.

    Reads are bounded by `timeout` seconds each (socket.timeout on expiry)."""

    def __init__(self, port, host="127.0.0.1", timeout=5.0, sock=None):
        """sock: an already connected socket (a TLS one, say) to use instead."""
        self.sock = sock or socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed by peer")
        self.buf += chunk

    def _read_line(self, limit=1 << 20):
        while b"\r\n" not in self.buf:
            if len(self.buf) > limit:
                raise ValueError("line too long")
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _read_to_close(self):
        while True:
            try:
                self._fill()
            except ConnectionError:
                break
        data, self.buf = self.buf, b""
        return data

    def read_response(self, method="GET"):
        """Reads one response; the body is framed by Content-Length, chunked,
        or the connection closing. 1xx responses are skipped."""
        while True:
            status_line = self._read_line().decode("latin-1")
            match = re.match(r"(HTTP/\d\.\d) (\d{3})(?: (.*))?$", status_line)
            if not match:
                raise ValueError(f"bad status line {status_line!r}")
            headers = []
            while True:
                line = self._read_line().decode("latin-1")
                if not line:
                    break
                name, _, value = line.partition(":")
                headers.append((name, value.strip()))
            status = int(match.group(2))
            if not 100 <= status < 200 or status == 101:
                break
        resp = RawResponse(match.group(1), status, match.group(3) or "", headers, b"")
        te = (resp.header("Transfer-Encoding") or "").lower()
        if method == "HEAD" or status in (204, 304) or status == 101:
            return resp
        if "chunked" in te:
            resp.body = self._read_chunked()
        elif resp.header("Content-Length") is not None:
            resp.body = self._read_exact(int(resp.header("Content-Length")))
        else:
            resp.body = self._read_to_close()
        return resp

    def _read_chunked(self):
        body = b""
        while True:
            size = int(self._read_line().split(b";")[0].strip(), 16)
            if size == 0:
                while self._read_line():  # trailers
                    pass
                return body
            body += self._read_exact(size)
            self._read_line()

    def request(self, data, method="GET"):
        self.send(data)
        return self.read_response(method)

    def wait_closed(self, timeout=5.0):
        """True when the peer closes (EOF or reset) within `timeout` seconds;
        bytes that arrive first are discarded."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                if not self.sock.recv(65536):
                    return True
            except socket.timeout:
                return False
            except (ConnectionResetError, BrokenPipeError):
                return True

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def raw_request(port, data, method="GET", timeout=5.0):
    """Sends `data` on a fresh connection and reads one response."""
    with RawConnection(port, timeout=timeout) as conn:
        return conn.request(data, method)


# ---------------------------------------------------------------- bodies

_PATTERN = bytes(ord("a") + i % 26 for i in range(26 * 2521))  # 65,546 bytes


def pattern_chunks(total, chunk=len(_PATTERN)):
    """The echo backend's byte pattern (byte i = 'a' + i % 26), `total` bytes,
    in pieces whose size is a multiple of 26 (so every piece starts with 'a')."""
    assert chunk % 26 == 0 and chunk <= len(_PATTERN)
    piece = _PATTERN[:chunk]
    sent = 0
    while sent < total:
        n = min(chunk, total - sent)
        yield piece[:n]
        sent += n


_hash_cache = {}


def pattern_sha256(total):
    """SHA-256 hex of the first `total` pattern bytes."""
    if total not in _hash_cache:
        h = hashlib.sha256()
        for piece in pattern_chunks(total):
            h.update(piece)
        _hash_cache[total] = h.hexdigest()
    return _hash_cache[total]

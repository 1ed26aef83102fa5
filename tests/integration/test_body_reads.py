"""How large the reads are that move a body through a worker (issue 16).

Download: Beast's own body read goes through the upstream attempt's read
buffer, which holds 512 bytes while it has held only heads: a download took
two recvfrom and two sendmsg per KiB and ran at 45 MB/s where the backend
alone gives 560. The body is now read straight into the 64 KiB body buffer
and parsed where it landed (UpstreamAttempt::read_body_in_place).

Upload: the request's input buffer starts at 1 KiB, as nginx's does, so the
pages a burst of requests touches stay few. Once it is empty, a body is
read straight into the body buffer, 64 KiB at a time, and parsed where it
landed (ClientSession::read_body_in_place): not read into the input 16 KiB
at a time and copied from there. What such a read brings beyond the body
(a pipelined request) or cuts short (a chunk size line) goes back to the
input.

Counted with strace -c on the worker; every byte is checked."""

import hashlib
import http.client
import json
import os
import socket
import time
import unittest

from harness import EchoBackend, Turnout, TurnoutTestCase, count_syscalls, free_port, render
from http_helpers import RawConnection, pattern_chunks, pattern_sha256

CONFIG = """\
workers: 1
listeners:
  - { name: web, address: 127.0.0.1:${port} }
upstreams:
  echo: { targets: [${echo}] }
routes:
  - { name: all, upstream: echo }
"""

MB = 1024 * 1024
BODY = 16 * MB
# At least this many body bytes a read on average. Downloads: the old code
# took 512 a read. Uploads: reads into the 16 KiB-a-read input took 1,061
# for 16 MiB (16 KiB each); straight into the body buffer 267-357 under
# strace (47-63 KiB each).
MIN_DOWNLOAD_BYTES_PER_READ = 8 * 1024
MIN_UPLOAD_BYTES_PER_READ = 32 * 1024


class BodyReadsTest(TurnoutTestCase):
    @classmethod
    def setUpClass(cls):
        cls.echo = EchoBackend("echo").__enter__()
        cls.addClassCleanup(cls.echo.stop)
        cls.port = free_port()
        cls.turnout = Turnout(render(CONFIG, port=cls.port, echo=cls.echo.address)).__enter__()
        cls.addClassCleanup(cls.turnout.stop)
        cls.turnouts = (cls.turnout,)
        cls.worker = cls.turnout.worker_pids()[0]

    def download(self, query):
        """Downloads BODY bytes with `query`; checks every byte."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request("GET", f"/big?bytes={BODY}&{query}")
            response = conn.getresponse()
            self.assertEqual(response.status, 200)
            digest, received = hashlib.sha256(), 0
            while data := response.read(MB):
                digest.update(data)
                received += len(data)
        finally:
            conn.close()
        self.assertEqual(received, BODY)
        self.assertEqual(digest.hexdigest(), pattern_sha256(BODY))

    def upload(self):
        """Uploads BODY bytes with a Content-Length; the backend reports what came."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request("PUT", "/upload", body=pattern_chunks(BODY), headers={"Content-Length": str(BODY)})
            response = conn.getresponse()
            self.assertEqual(response.status, 200)
            report = json.loads(response.read())
        finally:
            conn.close()
        self.assertEqual(report["body_length"], BODY)
        self.assertEqual(report["body_sha256"], pattern_sha256(BODY))

    def assert_reads_large(self, transfer, min_bytes_per_read=MIN_DOWNLOAD_BYTES_PER_READ):
        counts = count_syscalls(self.worker, "recvfrom", transfer, os.path.join(self.turnout.dir, "reads.strace"))
        reads = counts.get("recvfrom", (0, 0))[0]
        self.assertGreater(reads, 0, "strace counted no read")
        self.assertLessEqual(reads, BODY // min_bytes_per_read,
                             f"{reads} reads for {BODY} bytes ({BODY // reads} bytes a read)")

    def test_a_downloaded_body_with_a_length_is_read_in_large_pieces(self):
        self.assert_reads_large(lambda: self.download("chunked=0"))

    def test_a_downloaded_chunked_body_is_read_in_large_pieces(self):
        self.assert_reads_large(lambda: self.download("chunked=1"))

    def test_a_chunked_body_arriving_in_pauses_comes_through_whole(self):
        # Pauses between the backend's 64 KiB chunks: reads end inside a
        # chunk's data or its size line, whose rest waits for the next read.
        self.download("chunked=1&drip_ms=1")

    def test_an_uploaded_body_is_read_in_large_pieces(self):
        self.assert_reads_large(self.upload, MIN_UPLOAD_BYTES_PER_READ)

    def assert_upload_reported(self, response, length):
        self.assertEqual(response.status, 200)
        report = response.json()
        self.assertEqual((report["body_length"], report["body_sha256"]), (length, pattern_sha256(length)))

    def test_requests_pipelined_behind_a_body_are_served(self):
        """The read that ends a body can bring the next request with it."""
        length = 200_000
        body = b"".join(pattern_chunks(length))
        chunked = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece)
                           for piece in pattern_chunks(length, 26 * 1000)) + b"0\r\n\r\n"
        for name, framing, payload in (("length", f"Content-Length: {length}", body),
                                       ("chunked", "Transfer-Encoding: chunked", chunked)):
            with self.subTest(name), RawConnection(self.port, timeout=30) as conn:
                conn.send(f"PUT /upload HTTP/1.1\r\nHost: a\r\n{framing}\r\n\r\n".encode() + payload +
                          b"GET /after HTTP/1.1\r\nHost: a\r\n\r\n")
                self.assert_upload_reported(conn.read_response(), length)
                self.assertEqual(conn.read_response().json()["target"], "/after")

    def test_a_chunked_upload_cut_inside_its_size_lines_comes_through_whole(self):
        """Each send ends after the first digit of a chunk size line; the
        pauses between them (not waits for anything) let the worker read
        each on its own, so its reads end there."""
        length = 26 * 300 * 20
        pieces = [b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pattern_chunks(length, 26 * 300)]
        pieces.append(b"0\r\n\r\n")
        data = b"".join(pieces)
        cuts, at = [], 0
        for piece in pieces:
            cuts.append(at + 1)
            at += len(piece)
        bounds = [0, *cuts, len(data)]
        with RawConnection(self.port, timeout=30) as conn:
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.send("PUT /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
            for start, end in zip(bounds, bounds[1:]):
                conn.send(data[start:end])
                time.sleep(0.002)
            self.assert_upload_reported(conn.read_response(), length)


if __name__ == "__main__":
    unittest.main()

"""How large the reads are that move a body through a worker (issue 16).

Download: Beast's own body read goes through the upstream attempt's read
buffer, which holds 512 bytes while it has held only heads: a download took
two recvfrom and two sendmsg per KiB and ran at 45 MB/s where the backend
alone gives 560. The body is now read straight into the 64 KiB body buffer
and parsed where it landed (UpstreamAttempt::read_body_in_place).

Upload: the request's input buffer starts at 1 KiB, as nginx's does, so the
pages a burst of requests touches stay few; a body is read into it
RequestState::body_read_size (16 KiB) at a time, not 1 KiB.

Counted with strace -c on the worker; every byte is checked."""

import hashlib
import http.client
import json
import os
import unittest

from harness import EchoBackend, Turnout, TurnoutTestCase, count_syscalls, free_port, render
from http_helpers import pattern_chunks, pattern_sha256

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
# At least this many body bytes a read on average (the old downloads took
# 512 a read; 1 KiB reads of an upload would take 1,024).
MIN_BYTES_PER_READ = 8 * 1024


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

    def assert_reads_large(self, transfer):
        counts = count_syscalls(self.worker, "recvfrom", transfer, os.path.join(self.turnout.dir, "reads.strace"))
        reads = counts.get("recvfrom", (0, 0))[0]
        self.assertGreater(reads, 0, "strace counted no read")
        self.assertLessEqual(reads, BODY // MIN_BYTES_PER_READ,
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
        self.assert_reads_large(self.upload)


if __name__ == "__main__":
    unittest.main()

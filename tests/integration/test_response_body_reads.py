"""How a worker reads a large response body from its upstream (issue 16).
Beast's own body read goes through the attempt's read buffer, which holds
512 bytes while it has held only heads: a download took two recvfrom and two
sendmsg per KiB, and ran at 45 MB/s where the backend alone gives 560. The
body is now read straight into the 64 KiB body buffer and parsed where it
landed (UpstreamAttempt::read_body_in_place), so a read takes what the socket
holds, up to 64 KiB. Counted with strace -c on the worker; every byte is
checked against the backend's pattern."""

import hashlib
import http.client
import os
import subprocess
import unittest

from harness import EchoBackend, Turnout, TurnoutTestCase, free_port, render, tracer_pid, wait_until
from http_helpers import pattern_sha256

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
# At least this many body bytes a read on average (the old reads took 512).
MIN_BYTES_PER_READ = 8 * 1024


def _recvfrom_calls(path):
    with open(path) as f:
        for line in f:
            fields = line.split()
            if fields and fields[-1] == "recvfrom":
                return int(fields[3])
    return 0


class ResponseBodyReadsTest(TurnoutTestCase):
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
        """Downloads BODY bytes with `query`; returns (received, sha256 hex)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request("GET", f"/big?bytes={BODY}&{query}")
            response = conn.getresponse()
            self.assertEqual(response.status, 200)
            digest, received = hashlib.sha256(), 0
            while data := response.read(MB):
                digest.update(data)
                received += len(data)
            return received, digest.hexdigest()
        finally:
            conn.close()

    def traced_download(self, query):
        summary = os.path.join(self.turnout.dir, "reads.strace")
        tracer = subprocess.Popen(["strace", "-c", "-qq", "-e", "trace=recvfrom", "-o", summary,
                                   "-p", str(self.worker)])
        try:
            wait_until(lambda: tracer_pid(self.worker) == tracer.pid, timeout=10,
                       message="strace did not attach to the worker")
            received, digest = self.download(query)
        finally:
            tracer.terminate()
            tracer.wait(timeout=10)
        self.assertEqual(received, BODY)
        self.assertEqual(digest, pattern_sha256(BODY))
        return _recvfrom_calls(summary)

    def check_reads(self, query):
        reads = self.traced_download(query)
        self.assertGreater(reads, 0, "strace counted no read")
        self.assertLessEqual(reads, BODY // MIN_BYTES_PER_READ,
                             f"{reads} reads for {BODY} bytes ({BODY // reads} bytes a read)")

    def test_a_body_with_a_length_is_read_in_large_pieces(self):
        self.check_reads("chunked=0")

    def test_a_chunked_body_is_read_in_large_pieces(self):
        self.check_reads("chunked=1")

    def test_a_chunked_body_arriving_in_pauses_comes_through_whole(self):
        # Pauses between the backend's 64 KiB chunks: reads end inside a
        # chunk's data or its size line, whose rest waits for the next read.
        received, digest = self.download("chunked=1&drip_ms=1")
        self.assertEqual(received, BODY)
        self.assertEqual(digest, pattern_sha256(BODY))


if __name__ == "__main__":
    unittest.main()

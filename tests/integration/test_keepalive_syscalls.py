"""System calls a keep-alive request costs a worker (issue 16): a plain
HTTP/1.1 request proxied on a kept connection to a kept upstream connection
makes two reads and two writes, as nginx's does, and no epoll_ctl: the idle
wait between requests and the upstream response's read start without a
system call once a read emptied their socket (server/socket_readiness.hpp).
With asio's own async_wait the worker re-armed the client's socket with
epoll_ctl for every request, and a read started on an empty socket first
failed a recv with EAGAIN. A response of a few kB comes in the head's
read, as nginx's does. Counted with strace -c on the worker."""

import os
import unittest

from harness import EchoBackend, RawConnection, Turnout, TurnoutTestCase, count_syscalls, free_port, render

CONFIG = """\
workers: 1
listeners:
  - { name: web, address: 127.0.0.1:${port} }
upstreams:
  echo: { targets: [${echo}] }
routes:
  - { name: all, upstream: echo }
"""

REQUESTS = 200
TRACED = "epoll_ctl,recvfrom,recvmsg,read,sendmsg,sendto,write,writev"


class KeepAliveSyscallsTest(TurnoutTestCase):
    def syscalls_of_requests(self, path):
        """strace -c's counts on the worker over REQUESTS keep-alive GETs of `path`."""
        with EchoBackend("echo") as echo:
            port = free_port()
            with Turnout(render(CONFIG, port=port, echo=echo.address)) as turnout:
                self.turnouts = (turnout,)
                worker = turnout.worker_pids()[0]
                with RawConnection(port, timeout=10) as conn:
                    request = f"GET {path} HTTP/1.1\r\nHost: a\r\n\r\n"

                    def make_requests(count):
                        for _ in range(count):
                            conn.send(request)
                            self.assertEqual(conn.read_response().status, 200)

                    make_requests(5)  # the upstream connection is opened and kept before counting
                    return count_syscalls(worker, TRACED, lambda: make_requests(REQUESTS),
                                          os.path.join(turnout.dir, "syscalls.strace"))

    def assert_two_reads_two_writes(self, counts):
        described = ", ".join(f"{name} {calls} ({errors} failed)" for name, (calls, errors) in counts.items())
        reads = sum(counts.get(name, (0, 0))[0] for name in ("recvfrom", "recvmsg", "read"))
        writes = sum(counts.get(name, (0, 0))[0] for name in ("sendmsg", "sendto", "write", "writev"))
        message = f"{REQUESTS} keep-alive requests made: {described}"
        self.assertLessEqual(reads, REQUESTS * 2 + REQUESTS / 20, message)
        self.assertLessEqual(writes, REQUESTS * 2 + REQUESTS / 20, message)
        return message

    def test_a_keepalive_request_makes_two_reads_two_writes_and_no_epoll_ctl(self):
        counts = self.syscalls_of_requests("/syscalls")
        message = self.assert_two_reads_two_writes(counts)
        failed_reads = sum(counts.get(name, (0, 0))[1] for name in ("recvfrom", "recvmsg", "read"))
        self.assertLess(counts.get("epoll_ctl", (0, 0))[0], REQUESTS / 20, message)
        self.assertLess(failed_reads, REQUESTS / 20, message)

    def test_a_response_of_a_few_kb_comes_in_one_read_and_goes_out_in_one_write(self):
        # Once a response of the upstream filled the head's 512-byte read
        # (the warm-up's first), the read takes a page, as nginx's
        # proxy_buffer_size: a 3,000-byte body comes with its head, where
        # 512-byte reads took two reads upstream and two writes to the client.
        self.assert_two_reads_two_writes(self.syscalls_of_requests("/few-kb?bytes=3000"))


if __name__ == "__main__":
    unittest.main()

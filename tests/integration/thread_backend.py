"""Backends written in Python, served by threads of the test process for
the length of a `with` block: the base of the HTTPS and WebSocket test
backends."""

import socketserver
import threading


class ThreadingServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    """One thread per connection; the threads never keep the test alive."""

    daemon_threads = True
    allow_reuse_address = True


class ThreadBackend:
    """Serves `server` (bound to 127.0.0.1, port 0) from a thread while in a
    `with` block; on leaving it stops accepting and closes the listening
    socket."""

    def __init__(self, server):
        self.server = server
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self):
        return self.server.server_address[1]

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
        return False

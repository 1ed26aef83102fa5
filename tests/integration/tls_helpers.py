"""TLS for the integration tests: certificates made at test time with the
openssl command line (a CA and leaves signed by it), `openssl s_client` as a
real client, Python ssl clients, and an HTTPS echo backend that reports what
it received and how many connections it accepted.

Every server here runs in a thread of the test process and is stopped by the
test (a `with` block); every read has a timeout."""

import hashlib
import http.client
import json
import os
import socket
import ssl
import subprocess
from http.server import BaseHTTPRequestHandler

from thread_backend import ThreadBackend, ThreadingServer

# ---------------------------------------------------------------- certificates


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=30)


class Pki:
    """A CA in `directory`, and leaf certificates it signs on demand.

    ca.pem / ca.key; leaf(name, dns=[...], ips=[...]) writes NAME.pem and
    NAME.key and returns their paths."""

    def __init__(self, directory, ca_name="ca"):
        self.dir = directory
        self.ca_name = ca_name
        self.ca = os.path.join(directory, f"{ca_name}.pem")
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-nodes", "-keyout", f"{ca_name}.key", "-out", f"{ca_name}.pem", "-days", "2",
                 "-subj", f"/CN=turnout test {ca_name}", cwd=directory)

    def leaf(self, name, dns=(), ips=(), common_name=None, usage="serverAuth"):
        """usage: extendedKeyUsage, e.g. "clientAuth" for a client certificate."""
        alt = [f"DNS:{d}" for d in dns] + [f"IP:{i}" for i in ips]
        extensions = ["basicConstraints=CA:FALSE", "keyUsage=digitalSignature",
                      f"extendedKeyUsage={usage}", "subjectKeyIdentifier=hash",
                      "authorityKeyIdentifier=keyid"]
        if alt:
            extensions.append("subjectAltName=" + ",".join(alt))
        ext_file = os.path.join(self.dir, f"{name}.ext")
        with open(ext_file, "w") as f:
            f.write("\n".join(extensions) + "\n")
        subject = common_name or (dns[0] if dns else name)
        _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                 "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={subject}",
                 cwd=self.dir)
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{self.ca_name}.pem",
                 "-CAkey", f"{self.ca_name}.key", "-CAcreateserial", "-out", f"{name}.pem",
                 "-days", "2", "-extfile", ext_file, cwd=self.dir)
        return os.path.join(self.dir, f"{name}.pem"), os.path.join(self.dir, f"{name}.key")


def fingerprint(der):
    return hashlib.sha256(der).hexdigest()


def file_fingerprint(pem_path):
    with open(pem_path) as f:
        return fingerprint(ssl.PEM_cert_to_DER_cert(f.read()))


# ---------------------------------------------------------------- clients


def client_context(ca=None, minimum=None, maximum=None):
    """Verifies against `ca` when given, else verifies nothing."""
    context = ssl.create_default_context(cafile=ca) if ca else ssl._create_unverified_context()
    if minimum:
        context.minimum_version = minimum
    if maximum:
        context.maximum_version = maximum
    return context


def tls_connect(port, server_name=None, context=None, session=None, timeout=5.0):
    """A TLS socket to 127.0.0.1:port, handshake done."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        return (context or client_context()).wrap_socket(
            raw, server_hostname=server_name, session=session)
    except BaseException:
        raw.close()
        raise


def served_fingerprint(port, server_name=None):
    """SHA-256 of the certificate turnout serves for `server_name`."""
    with tls_connect(port, server_name) as sock:
        return fingerprint(sock.getpeercert(binary_form=True))


class HttpsConnection(http.client.HTTPSConnection):
    """http.client over TLS to 127.0.0.1 whatever the SNI name, so one
    keep-alive connection can be held open across a test."""

    def __init__(self, port, server_name=None, context=None, timeout=5.0):
        super().__init__(server_name or "127.0.0.1", port, timeout=timeout,
                         context=context or client_context())
        self._port = port
        self._server_name = server_name

    def connect(self):
        self.sock = tls_connect(self._port, self._server_name, self._context, timeout=self.timeout)

    def get(self, path, headers=None):
        """(status, headers, body) of one GET on this connection."""
        self.request("GET", path, headers=headers or {})
        response = self.getresponse()
        return response.status, response.headers, response.read()

    def peer_fingerprint(self):
        return fingerprint(self.sock.getpeercert(binary_form=True))


def s_client(port, *args, timeout=10):
    """Runs `openssl s_client -connect 127.0.0.1:PORT ARGS` with no input;
    returns (exit status, stdout + stderr)."""
    proc = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", *args],
                          input="", capture_output=True, text=True, timeout=timeout)
    return proc.returncode, proc.stdout + proc.stderr


# ---------------------------------------------------------------- backend


class _EchoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        server_name = getattr(self.connection, "turnout_server_name", None)
        self.server.seen.append((self.path, server_name))
        body = json.dumps({
            "backend": self.server.name,
            "path": self.path,
            "headers": [[n, v] for n, v in self.headers.items()],
            "server_name": server_name,
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _TlsServer(ThreadingServer):
    def get_request(self):
        sock, address = self.socket.accept()
        self.connections += 1
        sock.settimeout(10)
        server_names = []
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        context.sni_callback = lambda ssl_sock, name, ctx: server_names.append(name)
        try:
            tls = context.wrap_socket(sock, server_side=True)
        except (ssl.SSLError, OSError):
            sock.close()
            raise
        tls.turnout_server_name = server_names[0] if server_names else None
        return tls, address

    def handle_error(self, request, client_address):
        pass  # a client (turnout) refusing our certificate is what some tests want


class HttpsEchoBackend(ThreadBackend):
    """An HTTPS server on 127.0.0.1 answering every GET with a JSON report:
    path, headers, and the SNI name the client sent. `.connections` counts
    the TCP connections it accepted; `.seen` lists (path, SNI name) of every
    request."""

    def __init__(self, cert, key, name="tls-echo"):
        server = _TlsServer(("127.0.0.1", 0), _EchoHandler)
        server.name = name
        server.cert = cert
        server.key = key
        server.connections = 0
        server.seen = []
        super().__init__(server)

    @property
    def connections(self):
        return self.server.connections

    @property
    def seen(self):
        return list(self.server.seen)

"""The config files of the servers a benchmark run starts, as text.

Every proxy gets what its documentation recommends for keep-alive on both
sides, no access log, and limits high enough that none of them closes a
connection the others would keep: nginx closes a keep-alive connection after
1,000 requests by default on both sides, which would cost it reconnects that
turnout and HAProxy do not pay.
"""

import os

# The backend's answer to every benchmark request: exactly 20 bytes.
BODY = "turnout-bench-20byte"
assert len(BODY) == 20


def _nginx_main(directory, workers, master=True):
    """The part every nginx config here shares: foreground master, its own
    pid, error log and temp paths in `directory` (nothing of the system nginx).
    With master off, one process serves (for valgrind, which counts one
    process)."""
    temp = os.path.join(directory, "temp")
    return f"""worker_processes {workers};
daemon off;
master_process {"on" if master else "off"};
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
"""


def nginx_backend(directory, port):
    """The backend every proxy forwards to: one worker answering 200 with BODY."""
    return _nginx_main(directory, 1) + f"""    default_type text/plain;
    server {{
        listen 127.0.0.1:{port} reuseport;
        location / {{ return 200 "{BODY}"; }}
    }}
}}
"""


def _nginx_upstream(backend):
    return f"""    upstream app {{
        server 127.0.0.1:{backend};
        keepalive 64;
        keepalive_requests 1000000;
    }}
"""


_NGINX_PROXY_PASS = 'proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection "";'


def nginx_proxy(directory, port, backend, workers, master=True):
    """nginx in front of the backend: upstream keep-alive pool, HTTP/1.1 upstream,
    a listening socket per worker (reuseport) as turnout has."""
    return _nginx_main(directory, workers, master) + _nginx_upstream(backend) + f"""    server {{
        listen 127.0.0.1:{port} reuseport;
        location / {{ {_NGINX_PROXY_PASS} }}
    }}
}}
"""


def nginx_routes(directory, port, backend, workers, routes, marker):
    """nginx with `routes` virtual hosts hN.example.com, each with location /pN/
    (the shape of turnout_routes), and /__marker answering `marker`, so a
    client can tell which config answered."""
    servers = [f"""    server {{
        listen 127.0.0.1:{port} default_server;
        location = /__marker {{ return 200 "{marker}"; }}
        location / {{ {_NGINX_PROXY_PASS} }}
    }}
"""]
    for i in range(routes):
        servers.append(f"    server {{ listen 127.0.0.1:{port}; server_name h{i}.example.com;"
                       f" location /p{i}/ {{ {_NGINX_PROXY_PASS} }} }}\n")
    return (_nginx_main(directory, workers) + "    server_names_hash_max_size 65536;\n"
            "    server_names_hash_bucket_size 128;\n" + _nginx_upstream(backend) + "".join(servers) + "}\n")


def nginx_tls_proxy(directory, port, backend, workers, cert, key):
    """nginx_proxy terminating TLS 1.2 and 1.3 with `cert` and `key`: its
    defaults otherwise (session tickets on, no session cache), as turnout's."""
    return _nginx_main(directory, workers) + _nginx_upstream(backend) + f"""    server {{
        listen 127.0.0.1:{port} ssl reuseport;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;
        location / {{ {_NGINX_PROXY_PASS} }}
    }}
}}
"""


def nginx_h2_proxy(directory, port, backend, workers, cert, key):
    """nginx_tls_proxy with HTTP/2 on (`listen ... ssl http2`, ALPN h2), its
    defaults otherwise: 128 concurrent streams, as turnout's."""
    return nginx_tls_proxy(directory, port, backend, workers, cert, key).replace(
        " ssl reuseport;", " ssl http2 reuseport;")


def haproxy(port, backend, workers, tls_pem=None):
    """HAProxy in HTTP mode, one thread per worker, keep-alive on both sides and
    server connections shared between client connections (http-reuse always).
    With `tls_pem` (certificate and key in one file): the bind terminates TLS."""
    bind_tls = f" ssl crt {tls_pem}" if tls_pem else ""
    return f"""global
    nbthread {workers}
    maxconn 4096

defaults
    mode http
    option http-keep-alive
    http-reuse always
    timeout connect 3s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 60s

frontend web
    bind 127.0.0.1:{port}{bind_tls}
    default_backend app

backend app
    server backend 127.0.0.1:{backend}
"""


def turnout_routes(port, backend, workers, routes, marker=None, tls=None, http2=False, prefix="p"):
    """turnout with `routes` routes rN (host hN.example.com, prefix /pN/; the
    letter is `prefix`) in front of the backend. With `marker`, a first route
    named `marker` matches the path /__marker/MARKER only, so a client can
    tell which config answered. With no routes and no marker, one route sends
    everything to the backend. With `tls`, (certificate, key): the listener
    terminates TLS."""
    listener_tls = f", tls: {{ certificates: [{{ cert: {tls[0]}, key: {tls[1]} }}] }}" if tls else ""
    if http2:
        listener_tls += ", http2: true"
    lines = [f"workers: {workers}",
             "limits: { drain_timeout: 1s }",
             "listeners:", f"  - {{ name: web, address: 127.0.0.1:{port}{listener_tls} }}",
             "upstreams:", f"  app: {{ targets: [127.0.0.1:{backend}] }}",
             "routes:"]
    if marker is not None:
        lines.append(f"  - {{ name: marker, match: {{ path: /__marker/{marker} }}, upstream: app }}")
    for i in range(routes):
        lines.append(f"  - {{ name: r{i}, match: {{ host: h{i}.example.com, path_prefix: /{prefix}{i}/ }},"
                     f" upstream: app }}")
    if routes == 0 and marker is None:
        lines.append("  - { name: all, match: { path_prefix: / }, upstream: app }")
    return "\n".join(lines) + "\n"


def deepest_route_request(routes):
    """(host, path) of a request that only the last of `routes` routes matches."""
    return f"h{routes - 1}.example.com", f"/p{routes - 1}/bench"

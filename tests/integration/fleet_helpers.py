"""What the fleet tests share: a bootstrap file naming an etcd, the keys of
a small fleet config, and waits on what a node serves and reports."""

import json

from admin_client import Admin
from etcd_harness import Etcd
from harness import BackendsTestCase, Turnout, free_port, get_json, render, wait_until

PREFIX = "/turnout/test/"

BOOTSTRAP = """\
workers: ${workers}
limits: { drain_timeout: 2s }
source:
  etcd:
    endpoints: [${endpoints}]
    prefix: ${prefix}
    node: ${node}
"""


def bootstrap(etcd, node="edge-1", workers=1, prefix=PREFIX, extra_endpoints=(), listen=None, extra=""):
    """listen: a port for the node's own listener (overriding etcd's);
    extra: more lines for the `etcd:` map."""
    endpoints = ", ".join(f'"{url}"' for url in (*extra_endpoints, etcd.url))
    text = render(BOOTSTRAP, workers=workers, endpoints=endpoints, prefix=prefix, node=node) + extra
    if listen:
        text += f"listeners:\n  - {{ name: own, address: 127.0.0.1:{listen} }}\n"
    return text


def fleet_keys(port, backends, prefix=PREFIX):
    """A listener on `port`, one upstream per backend (by name) and a route
    /NAME/ to each; route `main` (/) goes to the first."""
    keys = {f"{prefix}listeners/web": f"address: 127.0.0.1:{port}\n"}
    for name, backend in backends.items():
        keys[f"{prefix}upstreams/{name}"] = f"targets: [{backend.address}]\n"
        keys[f"{prefix}routes/{name}"] = f"match: {{ path_prefix: /{name}/ }}\nupstream: {name}\n"
    first = next(iter(backends))
    keys[f"{prefix}routes/main"] = f"match: {{ path_prefix: / }}\nupstream: {first}\n"
    return keys


def served_by(port, path="/"):
    try:
        return get_json(port, path)["server"]
    except OSError:
        return None


def etcd_status(turnout):
    return Admin(turnout).status().get("etcd", {})


def wait_revision(turnout, revision, timeout=10):
    """Waits until the node serves etcd revision `revision` or later."""
    return wait_until(lambda: etcd_status(turnout).get("revision", 0) >= revision, timeout=timeout,
                      message=f"the node did not serve etcd revision {revision}: {etcd_status(turnout)}")


def node_report(etcd, node, prefix=PREFIX):
    value = etcd.get(f"{prefix}nodes/{node}")
    return json.loads(value) if value else None


def start_node(etcd, **kwargs):
    """A Turnout whose config comes from `etcd` (not started)."""
    directory = kwargs.pop("directory", None)
    return Turnout(bootstrap(etcd, **kwargs), directory=directory)




class FleetTestCase(BackendsTestCase):
    """Each test gets a fresh etcd holding fleet_keys() for backends a and b
    (listener on self.port, at self.revision); node() makes a node of it."""

    backend_names = ("a", "b")

    def setUp(self):
        self.etcd = Etcd().__enter__()
        self.addCleanup(self.etcd.__exit__, None, None, None)
        self.port = free_port()
        self.revision = self.etcd.txn(puts=fleet_keys(self.port, {"a": self.a, "b": self.b}))

    def node(self, **kwargs):
        t = start_node(self.etcd, **kwargs)
        self.turnouts = (*self.turnouts, t)
        return t

"""The process model and live configuration (SPEC §2, §4, §6): real master
and worker processes, the admin socket, durable versions, signals."""

import os
import re
import signal
import stat
import subprocess
import threading
import time
import unittest
import http.client

from admin_client import Admin
from harness import (TIME_SCALE, BackendsTestCase, Turnout, children_of, free_port, get_json,
                     render, tracer_pid, wait_until)

CONFIG = """\
workers: ${workers}
listeners:
  - { name: web, address: 127.0.0.1:${port} }
limits: { drain_timeout: 10s }
upstreams:
  a: { targets: [${a}] }
  b: { targets: [${b}] }
routes:
  - { name: main, match: { path_prefix: / }, upstream: ${target} }
"""


def served_by(port, path="/"):
    return get_json(port, path)["server"]


def wait_ready(admin, count, timeout=15):
    wait_until(lambda: len(admin.ready_workers()) == count, timeout=timeout,
               message=f"{count} workers did not become ready")


class MasterTest(BackendsTestCase):
    backend_names = ("a", "b")

    def config(self, port, target="a", workers=2):
        return render(CONFIG, port=port, a=self.a.address, b=self.b.address, target=target,
                      workers=workers)

    def start(self, target="a", workers=2, **kwargs):
        port = free_port()
        t = Turnout(self.config(port, target, workers), **kwargs)
        self.turnouts = (t,)
        return port, t

    def test_workers_have_distinct_pids_and_all_serve(self):
        port, t = self.start(workers=2)
        with t:
            admin = Admin(t)
            wait_ready(admin, 2)
            pids = {w["pid"] for w in admin.status()["workers"]}
            self.assertEqual(len(pids), 2)
            self.assertEqual(set(children_of(t.pid)), pids)
            # SO_REUSEPORT spreads new connections over the workers' sockets:
            # hold many open and see which processes own them.
            conns = []
            for _ in range(40):
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/")
                c.getresponse().read()
                conns.append(c)
            out = subprocess.run(["ss", "-tnpH", "state", "established", f"( sport = :{port} )"],
                                 capture_output=True, text=True).stdout
            owners = {int(p) for p in re.findall(r"pid=(\d+)", out)}
            for c in conns:
                c.close()
            self.assertEqual(owners, pids, out)

    def test_apply_via_api_and_cli_is_live_for_the_next_request(self):
        port, t = self.start(target="a")
        with t:
            admin = Admin(t)
            self.assertEqual(served_by(port), "a")
            version = admin.version()
            response = admin.put_config(self.config(port, "b"))
            self.assertEqual(response.status, 200, response)
            self.assertEqual(response.json()["version"], version + 1)
            self.assertEqual(served_by(port), "b")
            etag = admin.request("GET", "/v1/config")
            self.assertEqual(etag.headers.get("ETag"), f'"{version + 1}"')

            path = os.path.join(t.dir, "next.yaml")
            with open(path, "w") as f:
                f.write(self.config(port, "a"))
            cli = admin.cli("apply", "-f", path)
            self.assertEqual(cli.returncode, 0, cli.stderr)
            self.assertIn(str(version + 2), cli.stdout)
            self.assertEqual(served_by(port), "a")
            history = admin.request("GET", "/v1/config/history").json()["versions"]
            self.assertEqual([v["version"] for v in history[:3]], [version + 2, version + 1, version])

    def test_one_route_change_travels_alone_and_keeps_pools(self):
        port, t = self.start(target="a", workers=1)
        with t:
            admin = Admin(t)
            keep = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            before = self.a.stats()["connections"]
            for i in range(20):
                body = {"name": "extra", "match": {"path_prefix": f"/extra{i}/"}, "upstream": "b"}
                response = admin.request("PUT", "/v1/routes/extra", body=body)
                self.assertEqual(response.status, 200, response)
                keep.request("GET", "/")
                keep.getresponse().read()
            # Whole configs too: upstream a is unchanged in each, so it keeps its pool.
            for i in range(5):
                whole = self.config(port, "a", workers=1).replace(
                    "routes:\n", f"routes:\n  - {{ name: w{i}, match: {{ path: /w{i} }}, upstream: b }}\n")
                self.assertEqual(admin.put_config(whole).status, 200)
                keep.request("GET", "/")
                keep.getresponse().read()
            keep.close()
            # Unchanged upstream a kept its pooled connection through 25 changes.
            self.assertLessEqual(self.a.stats()["connections"] - before, 2)
            # The whole configs dropped route extra; put it back, once.
            body = {"name": "extra", "match": {"path_prefix": "/extra19/"}, "upstream": "b"}
            self.assertEqual(admin.request("PUT", "/v1/routes/extra", body=body).status, 200)
            self.assertEqual(served_by(port, "/extra19/x"), "b")
            self.assertEqual(served_by(port, "/extra0/x"), "a")
            split = admin.request("PUT", "/v1/routes/main/split", body={"a": 0, "b": 1})
            self.assertEqual(split.status, 200, split)
            self.assertEqual(served_by(port), "b")
            conflict = admin.request("DELETE", "/v1/upstreams/b")
            self.assertEqual(conflict.status, 409, conflict)

    def test_no_request_fails_under_load_during_100_applies(self):
        port, t = self.start(target="a", workers=2)
        with t:
            admin = Admin(t)
            wait_ready(admin, 2)
            wrk = subprocess.Popen(["wrk", "-t2", "-c50", "-d8s", f"http://127.0.0.1:{port}/"],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            try:
                start = self.a.stats()["requests"] + self.b.stats()["requests"]
                wait_until(lambda: self.a.stats()["requests"] + self.b.stats()["requests"]
                           > start + 1000, timeout=5, message="wrk sent no load")
                for i in range(100):
                    response = admin.put_config(self.config(port, "b" if i % 2 == 0 else "a"))
                    self.assertEqual(response.status, 200, response)
                self.assertIsNone(wrk.poll(), "the applies outlasted the load")
                out, _ = wrk.communicate(timeout=30)
            finally:
                if wrk.poll() is None:
                    wrk.kill()
                    wrk.wait()
            total = int(re.search(r"(\d+) requests in", out).group(1))
            self.assertGreater(total, 5000, out)
            self.assertNotIn("Socket errors", out)
            self.assertNotIn("Non-2xx", out)

    def test_invalid_config_and_stale_if_match_change_nothing(self):
        port, t = self.start(target="a")
        with t:
            admin = Admin(t)
            version = admin.version()
            before = admin.request("GET", "/v1/config").body
            bad = self.config(port, "nowhere")
            response = admin.put_config(bad)
            self.assertEqual(response.status, 400, response)
            details = response.json()["details"]
            self.assertTrue(details and details[0]["line"] == 9, details)
            stale = admin.put_config(self.config(port, "b"), if_match=version - 1)
            self.assertEqual(stale.status, 412, stale)
            self.assertEqual(admin.version(), version)
            self.assertEqual(admin.request("GET", "/v1/config").body, before)
            self.assertEqual(served_by(port), "a")
            ok = admin.put_config(self.config(port, "b"), if_match=version)
            self.assertEqual(ok.status, 200, ok)

    def test_rollback_makes_an_old_version_live_as_a_new_one(self):
        port, t = self.start(target="a")
        with t:
            admin = Admin(t)
            first = admin.version()
            self.assertEqual(admin.put_config(self.config(port, "b")).status, 200)
            self.assertEqual(served_by(port), "b")
            response = admin.request("POST", "/v1/config/rollback", body={"version": first})
            self.assertEqual(response.status, 200, response)
            self.assertEqual(response.json()["version"], first + 2)
            self.assertEqual(served_by(port), "a")
            newest = admin.request("GET", "/v1/config/history").json()["versions"][0]
            self.assertEqual(newest["source"], "rollback")

    def test_restart_serves_the_last_applied_version(self):
        port = free_port()
        directory = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"turnout-restart-{port}")
        os.makedirs(directory, exist_ok=True)
        try:
            with Turnout(self.config(port, "a"), directory=directory) as t:
                self.turnouts = (t,)
                admin = Admin(t)
                self.assertEqual(admin.put_config(self.config(port, "b")).status, 200)
                version = admin.version()
            with Turnout(self.config(port, "a"), directory=directory) as t:
                admin = Admin(t)
                self.assertEqual(admin.version(), version)
                self.assertEqual(served_by(port), "b")
                self.assertIn("source=state", t.log_text())
            with Turnout(self.config(port, "a"), directory=directory, extra_args=["--fresh"]) as t:
                self.assertEqual(served_by(port), "a")
        finally:
            subprocess.run(["rm", "-rf", directory])

    def test_route_changes_are_stored_alone_and_survive_a_restart_and_rollback(self):
        port = free_port()
        directory = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"turnout-changes-{port}")
        os.makedirs(directory, exist_ok=True)
        versions = os.path.join(directory, "run", "state", "versions")
        route = {"match": {"path_prefix": "/x/"}, "upstream": "b"}
        try:
            with Turnout(self.config(port, "a"), directory=directory) as t:
                self.turnouts = (t,)
                admin = Admin(t)
                whole = admin.version()
                self.assertEqual(admin.request("PUT", "/v1/routes/x", body=route).status, 200)
                changed = admin.version()
                self.assertEqual(admin.request("PUT", "/v1/routes/x/split",
                                               body={"b": 1, "a": 0}).status, 200)
                self.assertEqual(served_by(port, "/x/1"), "b")
                self.assertEqual(sorted(os.listdir(versions)),
                                 [f"{whole:08d}.config", f"{changed:08d}.change",
                                  f"{changed + 1:08d}.change"])
            with Turnout(self.config(port, "a"), directory=directory) as t:
                admin = Admin(t)
                self.assertEqual(admin.version(), changed + 1)
                self.assertEqual(served_by(port, "/x/1"), "b")
                for version, server in ((whole, "a"), (changed, "b")):
                    response = admin.request("POST", "/v1/config/rollback", body={"version": version})
                    self.assertEqual(response.status, 200, response)
                    self.assertEqual(served_by(port, "/x/1"), server)
        finally:
            subprocess.run(["rm", "-rf", directory])

    def test_whole_config_changing_few_routes_reaches_workers_as_changes(self):
        """A whole config that differs in a few routes travels to the workers as
        those changes (the log says sent_as=changes), and every worker then
        routes exactly as the whole config says; one that moves routes or
        changes limits travels whole. Either way it is stored whole."""
        port = free_port()
        directory = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"turnout-batch-{port}")
        os.makedirs(directory, exist_ok=True)
        many = "".join(f"  - {{ name: r{i}, match: {{ path_prefix: /p{i}/ }}, upstream: a }}\n"
                       for i in range(200))

        def whole(routes, limits="limits: { drain_timeout: 10s }"):
            # After route main, the last section of the file.
            return self.config(port, "a").replace("limits: { drain_timeout: 10s }", limits) + routes

        def everywhere(path):
            # New connections land on both workers (SO_REUSEPORT).
            return {served_by(port, path) for _ in range(24)}

        def sent_as(t, version):
            lines = [line for line in t.log_text().splitlines()
                     if 'msg="config changed"' in line and f"version={version} " in line]
            self.assertEqual(len(lines), 1, lines)
            return re.search(r"sent_as=(\w+)", lines[0]).group(1)

        try:
            with Turnout(whole(many), directory=directory) as t:
                self.turnouts = (t,)
                admin = Admin(t)
                wait_ready(admin, 2)
                edited = (many.replace("/p100/ }, upstream: a", "/p100/ }, upstream: b")
                          .replace("  - { name: r5, match: { path_prefix: /p5/ }, upstream: a }\n", "")
                          + "  - { name: late, match: { path_prefix: /late/ }, upstream: b }\n")
                response = admin.put_config(whole(edited))
                self.assertEqual(response.status, 200, response)
                self.assertEqual(sent_as(t, admin.version()), "changes")
                self.assertEqual(everywhere("/p100/x"), {"b"})
                self.assertEqual(everywhere("/late/x"), {"b"})
                self.assertEqual(everywhere("/p5/x"), {"a"})  # route main now
                self.assertEqual(everywhere("/p6/x"), {"a"})

                moved = edited.replace("  - { name: r0, match: { path_prefix: /p0/ }, upstream: a }\n", "")
                moved += "  - { name: r0, match: { path_prefix: /p0/ }, upstream: b }\n"
                self.assertEqual(admin.put_config(whole(moved)).status, 200)
                self.assertEqual(sent_as(t, admin.version()), "snapshot")
                self.assertEqual(everywhere("/p0/x"), {"b"})

                limits = "limits: { drain_timeout: 10s, max_header_bytes: 20000 }"
                self.assertEqual(admin.put_config(whole(moved, limits)).status, 200)
                self.assertEqual(sent_as(t, admin.version()), "snapshot")
                back = moved.replace("/p100/ }, upstream: b", "/p100/ }, upstream: a")
                self.assertEqual(admin.put_config(whole(back, limits)).status, 200)
                self.assertEqual(sent_as(t, admin.version()), "changes")
                self.assertEqual(everywhere("/p100/x"), {"a"})
                version = admin.version()
            with Turnout(whole(many), directory=directory) as t:
                admin = Admin(t)
                self.assertEqual(admin.version(), version)
                self.assertEqual(everywhere("/p100/x"), {"a"})
                self.assertEqual(everywhere("/p0/x"), {"b"})
                self.assertEqual(everywhere("/late/x"), {"b"})
        finally:
            subprocess.run(["rm", "-rf", directory])

    def test_listener_added_and_removed_by_apply(self):
        port, t = self.start(target="a", workers=2)
        with t:
            admin = Admin(t)
            wait_ready(admin, 2)
            extra = free_port()
            added = self.config(port, "a").replace(
                "listeners:\n", f"listeners:\n  - {{ name: extra, address: 127.0.0.1:{extra} }}\n")
            self.assertEqual(admin.put_config(added).status, 200)
            # Every worker got the new socket: many connections, all served.
            for _ in range(20):
                self.assertEqual(served_by(extra), "a")
            self.assertEqual(admin.put_config(self.config(port, "a")).status, 200)
            with self.assertRaises(ConnectionRefusedError):
                get_json(extra, "/")
            self.assertEqual(served_by(port), "a")
            taken = self.config(port, "a").replace(
                "listeners:\n", f"listeners:\n  - {{ name: taken, address: {self.a.address} }}\n")
            refused = admin.put_config(taken)
            self.assertEqual(refused.status, 400, refused)
            self.assertIn(self.a.address, refused.json()["error"])

    def test_second_sigint_stops_at_once(self):
        port, t = self.start(workers=1)
        with t:
            admin = Admin(t)
            wait_ready(admin, 1)
            errors = []

            def slow():
                try:
                    get_json(port, "/?delay_ms=8000")
                except Exception as e:
                    errors.append(e)

            thread = threading.Thread(target=slow)
            before = self.a.stats()["requests"]
            thread.start()
            wait_until(lambda: self.a.stats()["requests"] > before + 1, timeout=5)
            started = time.monotonic()
            os.kill(t.pid, signal.SIGINT)
            wait_until(lambda: "graceful stop" in t.log_text(), timeout=5)
            os.kill(t.pid, signal.SIGINT)
            t.proc.wait(timeout=5)
            self.assertLess(time.monotonic() - started, 5)
            thread.join(timeout=10)
            self.assertEqual(len(errors), 1)

    def test_admin_socket_is_owner_only(self):
        port, t = self.start()
        with t:
            mode = stat.S_IMODE(os.stat(Admin(t).path).st_mode)
            self.assertEqual(mode, 0o600)

    def test_killed_worker_is_replaced_quickly_without_refusing_connections(self):
        port, t = self.start(workers=2)
        with t:
            admin = Admin(t)
            wait_ready(admin, 2)
            victim = admin.status()["workers"][0]
            failures, refused, stop = [], [], threading.Event()

            def client():
                while not stop.is_set():
                    try:
                        get_json(port, "/")
                    except ConnectionRefusedError as e:
                        refused.append(e)
                    except Exception as e:  # an in-flight request of the killed worker
                        failures.append(e)

            thread = threading.Thread(target=client)
            thread.start()
            try:
                os.kill(victim["pid"], signal.SIGKILL)
                wait_until(lambda: any(w["slot"] == victim["slot"] and w["pid"] != victim["pid"]
                                       and w["state"] == "ready" for w in admin.status()["workers"]),
                           timeout=5, message="the killed worker was not replaced")
            finally:
                stop.set()
                thread.join()
            self.assertEqual(refused, [])
            self.assertLessEqual(len(failures), 1, failures)
            log = t.log_text()
            exited = re.search(rf'ts=(\S+) .*worker exited" slot={victim["slot"]} pid={victim["pid"]}', log)
            ready = re.findall(rf'ts=(\S+) .*worker ready" slot={victim["slot"]} ', log)
            self.assertTrue(exited and ready, log)
            self.assertLessEqual(_ms_between(exited.group(1), ready[-1]), 100 * TIME_SCALE)
            self.assertEqual(admin.status()["workers"][victim["slot"]]["restarts"], 1)

    def test_the_first_change_after_start_faults_in_none_of_the_masters_memory(self):
        """Workers are spawned without write-protecting the master's pages
        (posix_spawn, not fork): a forked master's first write to each page
        of its config faults, and its first route change after a start with
        2,000 routes took 267 such faults (1,301 and 16-22 ms with 10,000);
        spawned, 4."""
        port = free_port()
        routes = "".join(f"  - {{ name: r{i}, match: {{ path_prefix: /r{i}/ }}, upstream: b }}\n"
                         for i in range(2000))
        t = Turnout(self.config(port, "a", workers=2).replace("routes:\n", "routes:\n" + routes))
        self.turnouts = (t,)
        with t:
            admin = Admin(t)
            wait_ready(admin, 2)
            before = _minor_faults(t.pid)
            body = {"name": "extra", "match": {"path_prefix": "/extra/"}, "upstream": "b"}
            self.assertEqual(admin.request("PUT", "/v1/routes/extra", body=body).status, 200)
            faults = _minor_faults(t.pid) - before
            self.assertLess(faults, 100, f"the master took {faults} page faults for one route change")
            self.assertEqual(served_by(port, "/extra/x"), "b")

    def test_master_killed_leaves_no_worker(self):
        port, t = self.start(workers=2)
        with t:
            admin = Admin(t)
            wait_ready(admin, 2)
            workers = [w["pid"] for w in admin.status()["workers"]]
            os.kill(t.pid, signal.SIGKILL)
            t.proc.wait(timeout=5)
            wait_until(lambda: not any(os.path.exists(f"/proc/{p}") and
                                       _state(p) != "Z" for p in workers),
                       timeout=10, message="workers outlived their master")

    def test_sigterm_finishes_an_in_flight_request_then_exits_zero(self):
        port, t = self.start(workers=1)
        with t:
            admin = Admin(t)
            wait_ready(admin, 1)
            result = {}

            def slow():
                result["response"] = get_json(port, "/?delay_ms=1500")

            thread = threading.Thread(target=slow)
            requests_before = self.a.stats()["requests"]
            thread.start()
            wait_until(lambda: self.a.stats()["requests"] > requests_before + 1, timeout=5)
            os.kill(t.pid, signal.SIGTERM)
            thread.join(timeout=10)
            self.assertEqual(result["response"]["server"], "a")
            self.assertEqual(t.proc.wait(timeout=15), 0)

    def test_failed_fsync_fails_the_apply_and_changes_nothing(self):
        port, t = self.start(target="a", workers=1)
        with t:
            admin = Admin(t)
            version = admin.version()
            tracer = subprocess.Popen(["strace", "-qq", "-f", "-e", "trace=fsync,fdatasync",
                                       "-e", "inject=fsync,fdatasync:error=EIO",
                                       "-o", "/dev/null", "-p", str(t.pid)])
            try:
                # Wait until the tracer is attached (the master's TracerPid).
                wait_until(lambda: tracer_pid(t.pid) == tracer.pid, timeout=10)
                response = admin.put_config(self.config(port, "b", workers=1))
            finally:
                tracer.terminate()
                tracer.wait(timeout=10)
            self.assertEqual(response.status, 500, response)
            self.assertIn("persist", response.json()["error"])
            self.assertEqual(admin.version(), version)
            self.assertEqual(served_by(port), "a")
            wait_until(lambda: tracer_pid(t.pid) == 0, timeout=10)
            self.assertEqual(admin.put_config(self.config(port, "b", workers=1)).status, 200)
            self.assertEqual(served_by(port), "b")


def _ms_between(ts_a, ts_b):
    fmt = "%Y-%m-%dT%H:%M:%S.%f"
    from datetime import datetime
    return (datetime.strptime(ts_b, fmt) - datetime.strptime(ts_a, fmt)).total_seconds() * 1000


def _state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def _minor_faults(pid):
    """The page faults a process took that needed no disk (stat(5) field 10)."""
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[7])


if __name__ == "__main__":
    unittest.main()

#!/usr/bin/env python3
"""Start, drive and stop the test cloud (tests/cloud/cloud.py) — for the e2e
tests, the cloud's self-test and scripts/demo.

As a module:
    from cloudctl import Cloud
    with Cloud.start(pki_case="/path/pki/p256") as cloud:
        cloud.url("/v1/telemetry")          # https://localhost:PORT/v1/telemetry
        cloud.command("drogue", "device1", "set-led", {"on": True})
        cloud.messages(dialect="drogue"); cloud.stats(); cloud.faults(drop_every=5)

As a command (CONTROL is http://127.0.0.1:PORT, or the ready file of a running cloud):
    cloudctl.py start --pki-case DIR --dir RUNDIR     start in the background; prints the ready JSON
    cloudctl.py --control CONTROL command DIALECT DEVICE NAME [PAYLOAD_JSON]
    cloudctl.py --control CONTROL messages|responses|stats|reset|clear-faults
    cloudctl.py --control CONTROL faults '{"drop_every":5}'
    cloudctl.py --control CONTROL restart [DOWN_MS]
    cloudctl.py --control CONTROL stop
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
CLOUD_PY = os.path.join(HERE, "cloud.py")


class CloudError(Exception):
    pass


class Cloud:
    """A running test cloud. start() launches one as a subprocess; attach() talks
    to one that is already running (only the control API is needed)."""

    def __init__(self, port, control_port, pid=None, proc=None, workdir=None, ca=None):
        self.port = port
        self.control_port = control_port
        self.pid = pid
        self.proc = proc
        self.workdir = workdir
        self.ca = ca
        self.host = "localhost"

    # ---------------------------------------------------------- lifecycle
    @classmethod
    def start(cls, pki_case=None, cert=None, key=None, chain=None, workdir=None, users=None,
              port=0, timeout=20, extra_args=(), stdout=None, watch=True):
        """Launch cloud.py with the certificate of a gen-pki case directory (leaf.pem,
        key.pem, chain.pem, ca.pem) or explicit files; wait for its ready file. With
        watch (the default) the cloud exits when this process does."""
        if pki_case:
            cert = cert or os.path.join(pki_case, "leaf.pem")
            key = key or os.path.join(pki_case, "key.pem")
            chain = chain or os.path.join(pki_case, "chain.pem")
        if not (cert and key):
            raise CloudError("need pki_case or cert and key")
        workdir = workdir or tempfile.mkdtemp(prefix="dtls-cloud-")
        os.makedirs(workdir, exist_ok=True)
        ready = os.path.join(workdir, "ready.json")
        if os.path.exists(ready):
            os.unlink(ready)
        argv = [sys.executable, CLOUD_PY, "--cert", cert, "--key", key, "--port", str(port),
                "--log", os.path.join(workdir, "messages.jsonl"), "--ready-file", ready]
        if watch:
            argv += ["--watch-pid", str(os.getpid())]
        if chain:
            argv += ["--chain", chain]
        if users:
            argv += ["--users", users]
        argv += list(extra_args)
        out = stdout if stdout is not None else open(os.path.join(workdir, "cloud.out"), "ab")
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        end = time.monotonic() + timeout
        while not os.path.exists(ready):
            if proc.poll() is not None:
                raise CloudError("cloud.py exited with %s (see %s/cloud.out)" % (proc.returncode, workdir))
            if time.monotonic() > end:
                proc.kill()
                raise CloudError("cloud.py not ready after %ss" % timeout)
            time.sleep(0.02)
        with open(ready) as f:
            info = json.load(f)
        ca = os.path.join(pki_case, "ca.pem") if pki_case else None
        return cls(info["port"], info["control_port"], info["pid"], proc, workdir, ca)

    @classmethod
    def attach(cls, control):
        """control: http://127.0.0.1:PORT, a port number, or a ready file."""
        if os.path.exists(str(control)):
            with open(control) as f:
                info = json.load(f)
            return cls(info["port"], info["control_port"], info.get("pid"))
        port = int(str(control).rstrip("/").rsplit(":", 1)[-1])
        c = cls(None, port)
        c.port = c.stats()["port"]
        return c

    def stop(self, timeout=5):
        if self.proc is None:
            try:
                self.post("/shutdown")
            except (CloudError, OSError):
                pass
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def alive(self):
        return self.proc is None or self.proc.poll() is None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    # ---------------------------------------------------------- URLs
    def url(self, path="/", host=None):
        return "https://%s:%d%s" % (host or self.host, self.port, path)

    @property
    def control_url(self):
        return "http://127.0.0.1:%d" % self.control_port

    # ---------------------------------------------------------- control API
    def request(self, method, path, body=None, timeout=30):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.control_url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            raise CloudError("%s %s: %s %s" % (method, path, e.code, e.read().decode(errors="replace")))

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, body=None):
        return self.request("POST", path, body if body is not None else {})

    def command(self, dialect, device, name, payload=None, payload_base64=None, content_type=None):
        """Queue a command; returns its id (hono: the req-id; thingsboard: the rpc id)."""
        spec = {"dialect": dialect, "device": device, "name": name}
        if payload_base64 is not None:
            spec["payload_base64"] = payload_base64
        elif payload is not None:
            spec["payload"] = payload
        if content_type:
            spec["content_type"] = content_type
        return self.post("/commands", spec)["id"]

    def messages(self, dialect=None, since=0):
        q = ["since=%d" % since] + (["dialect=" + dialect] if dialect else [])
        return self.get("/messages?" + "&".join(q))

    def responses(self):
        return self.get("/responses")

    def pending(self):
        return self.get("/commands")

    def stats(self):
        return self.get("/stats")

    def reset(self):
        return self.post("/reset")

    def faults(self, **faults):
        return self.post("/faults", faults)

    def clear_faults(self):
        return self.post("/faults/clear")

    def restart(self, down_ms=500):
        return self.post("/restart", {"down_ms": down_ms})

    def wait_for(self, predicate, timeout=10, interval=0.05, what="condition"):
        """Poll stats until predicate(stats) holds; returns the stats. Raises on timeout."""
        end = time.monotonic() + timeout
        while True:
            s = self.stats()
            if predicate(s):
                return s
            if time.monotonic() > end:
                raise CloudError("timed out waiting for %s (stats: %s)" % (what, s))
            time.sleep(interval)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--control", help="http://127.0.0.1:PORT, a control port, or a ready file")
    ap.add_argument("action")
    ap.add_argument("args", nargs="*")
    ap.add_argument("--pki-case", help="start: gen-pki case directory (leaf.pem, key.pem, chain.pem)")
    ap.add_argument("--dir", help="start: working directory (ready.json, messages.jsonl, cloud.out)")
    a = ap.parse_args(argv)
    if a.action == "start":
        if not a.pki_case:
            ap.error("start needs --pki-case")
        c = Cloud.start(pki_case=a.pki_case, workdir=a.dir, watch=False)
        print(json.dumps({"port": c.port, "control_port": c.control_port, "pid": c.pid, "dir": c.workdir}))
        return 0
    if not a.control:
        ap.error("--control is required")
    c = Cloud.attach(a.control)
    act, args = a.action, a.args
    if act == "command":
        if len(args) not in (3, 4):
            ap.error("command DIALECT DEVICE NAME [PAYLOAD_JSON]")
        payload = json.loads(args[3]) if len(args) == 4 else None
        out = {"id": c.command(args[0], args[1], args[2], payload)}
    elif act in ("messages", "responses", "stats", "reset", "pending"):
        out = getattr(c, act)()
    elif act == "clear-faults":
        out = c.clear_faults()
    elif act == "faults":
        out = c.faults(**json.loads(args[0] if args else "{}"))
    elif act == "restart":
        out = c.restart(int(args[0]) if args else 500)
    elif act == "stop":
        c.stop()
        out = {"ok": True}
    else:
        ap.error("unknown action " + act)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

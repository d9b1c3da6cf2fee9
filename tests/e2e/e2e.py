#!/usr/bin/env python3
"""End-to-end suite: the dtls-send binary against the test cloud (tests/cloud) and
HAProxy, all on loopback, certificate verification on (--cacert with the gen-pki
test CA). It checks the contract of DESIGN.md §3 and docs/dtls-send.1 from the
outside: what the cloud received, what dtls-send printed, its exit status.

    e2e.py --dtls-send PATH --pki DIR [--keep] [NAME...]

NAME selects cases whose name contains it (e.g. `e2e.py stream hono`). One line
per case (PASS / FAIL / SKIP), notes indented below, then "N passed, N failed".
Exit 0 only when every selected case passed; 77 when dtls-send is missing.

Expectations this suite fixes where the docs leave room (so the CLI can be held to them):
  - `listen` stopped by SIGINT exits 0 (a clean stop is success, like -w with no command).
  - invalid JSON exits 2 (docs/dtls-send.1: "usage error, invalid JSON input") and the
    message names the line and column; nothing is sent (the cloud sees no connection).
  - --stream --spool and SIGKILL: the input is a regular file, so after the kill the
    file offset says exactly how many bytes dtls-send consumed from stdin. Every line
    that lies completely inside the consumed bytes must be either delivered already or
    still pending in the spool directory (searched for its "seq" in the spool files'
    bytes; hidden files such as a lock or half-written temporaries do not count):
    anything read from stdin is on disk before more is read. The restarted
    dtls-send gets the same spool and stdin from the start of the first line not
    completely consumed; when it exits 0 every line has been delivered and no message
    file is left in the spool.
  - command payloads: JSON comes as "payload", anything else as "payload_base64".
"""
import argparse
import base64
import collections
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

sys.dont_write_bytecode = True          # keep the source tree clean
TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "cloud"))
from cloudctl import Cloud, CloudError  # noqa: E402

BIN = None          # dtls-send
PKI = None          # gen-pki directory
CA = None           # the CA that signed the cloud's certificate (p256 case)
WRONG_CA = None     # a CA that did not
CLOUD = None
TMP = None
CASES = []
NOTES = []          # lines printed under the current case's result

PASSWORDS = {"drogue": "dr0gue-Pw.4711", "hono": "h0no-Pw.4712"}
USERS = {"drogue": {"device1@app1": PASSWORDS["drogue"]},
         "hono": {"device1@tenant1": PASSWORDS["hono"]},
         "thingsboard": {"TOKEN1": "device1"}}
USER = {"drogue": "device1@app1", "hono": "device1@tenant1"}
PATHS = {"drogue": "/v1/telemetry", "hono": "/telemetry", "thingsboard": "/api/v1/TOKEN1/telemetry",
         "plain": "/plain/readings"}
PUBLISH_STATUS = {"drogue": 202, "hono": 202, "thingsboard": 200, "plain": 200}
COMMAND_DIALECTS = ("drogue", "hono", "thingsboard")
DIALECTS = ("drogue", "hono", "thingsboard", "plain")


class Skip(Exception):
    pass


def case(name):
    def deco(fn):
        CASES.append((name, fn))
        return fn
    return deco


def note(msg):
    NOTES.append(msg)


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


# ------------------------------------------------------------------ running dtls-send
class Result:
    def __init__(self, argv, rc, out, err):
        self.argv, self.rc, self.out, self.err = argv, rc, out, err

    def __str__(self):
        return "$ %s\n  exit %s\n  stdout: %s\n  stderr: %s" % (
            " ".join(shlex_quote(a) for a in self.argv), self.rc, self.out[-1500:].strip(), self.err[-1500:].strip())


def shlex_quote(s):
    import shlex
    return shlex.quote(s)


def base_env(extra=None):
    env = {k: v for k, v in os.environ.items() if k not in ("DTLS_SEND_PASSWORD", "SSLKEYLOGFILE")}
    env["XDG_CONFIG_HOME"] = os.path.join(TMP, "xdg")       # no user config leaks in
    env["LC_ALL"] = "C"
    if extra:
        env.update(extra)
    return env


def creds(dialect, password=None):
    if dialect not in USER:
        return []
    return ["-u", "%s:%s" % (USER[dialect], password or PASSWORDS[dialect])]


def args_for(dialect, *rest, password=None, tls=True):
    a = ["--dialect", dialect] + creds(dialect, password)
    if tls:
        a += ["--cacert", CA]
    return a + list(rest)


def ds(*args, input=None, env=None, timeout=40):
    argv = [BIN] + [str(a) for a in args]
    try:
        p = subprocess.run(argv, input=input if isinstance(input, (bytes, type(None))) else input.encode(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=base_env(env), timeout=timeout,
                           stdin=None if input is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise AssertionError("dtls-send did not finish within %ss: %s\n  stderr: %s"
                             % (timeout, " ".join(argv), (e.stderr or b"").decode(errors="replace")[-800:]))
    return Result(argv, p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"))


def expect_rc(r, rc, what=""):
    if r.rc != rc:
        raise AssertionError("%sexpected exit %d\n%s" % (what + ": " if what else "", rc, r))


def events(r):
    out = []
    for line in r.out.splitlines():
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except ValueError:
            raise AssertionError("--json output line is not JSON: %r\n%s" % (line, r))
    return out


def event(r, name):
    evs = [e for e in events(r) if e.get("event") == name]
    check(len(evs) == 1, "expected one %r event, got %d\n%s" % (name, len(evs), r))
    return evs[0]


class Bg:
    """dtls-send in the background; stdout lines are collected as they come."""

    def __init__(self, args, stdin=None, env=None):
        self.argv = [BIN] + [str(a) for a in args]
        self.p = subprocess.Popen(self.argv, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=base_env(env))
        self.lines = queue.Queue()
        self.out, self.err = [], []
        self._t = [threading.Thread(target=self._pump, args=(self.p.stdout, self.out, self.lines), daemon=True),
                   threading.Thread(target=self._pump, args=(self.p.stderr, self.err, None), daemon=True)]
        for t in self._t:
            t.start()
        BG.append(self)

    @staticmethod
    def _pump(f, store, q):
        for line in iter(f.readline, b""):
            s = line.decode(errors="replace")
            store.append(s)
            if q is not None:
                q.put(s)

    def wait_line(self, pred, timeout, what):
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError("no %s within %ss\n%s" % (what, timeout, self.describe()))
            try:
                line = self.lines.get(timeout=min(left, 0.2))
            except queue.Empty:
                if self.p.poll() is not None and self.lines.empty():
                    time.sleep(0.1)
                    if self.lines.empty():
                        raise AssertionError("dtls-send exited (%s) before %s\n%s" % (self.p.returncode, what,
                                                                                      self.describe()))
                continue
            if pred(line):
                return line

    def wait(self, timeout):
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("dtls-send did not finish within %ss\n%s" % (timeout, self.describe()))
        for t in self._t:
            t.join(5)
        return rc

    def kill(self, sig=signal.SIGKILL):
        if self.p.poll() is None:
            self.p.send_signal(sig)
            if sig == signal.SIGKILL:
                self.p.wait()

    def describe(self):
        return "$ %s\n  exit %s\n  stdout: %s\n  stderr: %s" % (
            " ".join(shlex_quote(a) for a in self.argv), self.p.poll(), "".join(self.out)[-1500:].strip(),
            "".join(self.err)[-1500:].strip())


BG = []


def new_messages(dialect=None):
    return CLOUD.messages(dialect=dialect)


def body_bytes(m):
    return base64.b64decode(m["body_base64"]) if "body_base64" in m else m["body"].encode()


def seq_counts(msgs):
    c = collections.Counter()
    for m in msgs:
        try:
            v = json.loads(body_bytes(m))
        except ValueError:
            continue
        if isinstance(v, dict) and isinstance(v.get("seq"), int):
            c[v["seq"]] += 1
    return c


def report_duplicates(counts, what="duplicates"):
    dups = {s: n for s, n in counts.items() if n > 1}
    extra = sum(n - 1 for n in dups.values())
    if dups:
        sample = ", ".join("seq %d x%d" % (s, dups[s]) for s in sorted(dups)[:10])
        note("%s: %d messages delivered more than once (%d extra copies): %s%s"
             % (what, len(dups), extra, sample, ", ..." if len(dups) > 10 else ""))
    else:
        note("%s: none" % what)
    return extra


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write(name, data, mode=0o644):
    path = os.path.join(TMP, name)
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    os.chmod(path, mode)
    return path


# ------------------------------------------------------------------ publish
def publish_case(dialect):
    url = CLOUD.url(PATHS[dialect])
    # -d literal: odd whitespace and a trailing newline are sent as given
    lit = ' {"temp" : 21.5,\n\t"unit":"C"}\n'
    r = ds(*args_for(dialect, "-H", "X-Trace: e2e-42", "-d", lit, url))
    expect_rc(r, 0, "-d literal")
    msgs = new_messages()
    check(len(msgs) == 1, "the cloud logged %d messages for one publish: %r" % (len(msgs), msgs))
    check(body_bytes(msgs[0]) == lit.encode(), "-d: the cloud got %r, sent %r" % (body_bytes(msgs[0]), lit))
    check((msgs[0]["content_type"] or "").startswith("application/json"),
          "-d: Content-Type %r, expected application/json" % msgs[0]["content_type"])
    check(msgs[0]["headers"].get("x-trace") == "e2e-42", "-H header not sent: %r" % msgs[0]["headers"])
    # -d @FILE
    filebody = '{\n  "seq": 2,\n  "list": [1, 2, 3],\n  "s": "caf\u00e9"\n}\n\n'
    path = write("body-%s.json" % dialect, filebody)
    r = ds(*args_for(dialect, "-d", "@" + path, url))
    expect_rc(r, 0, "-d @FILE")
    msgs = new_messages()
    check(len(msgs) == 2 and body_bytes(msgs[1]) == filebody.encode("utf-8"),
          "-d @FILE: the cloud got %r" % [body_bytes(m) for m in msgs[1:]])
    # -d @-
    stdin_body = b'[{"a":1},   {"b":"\xc3\xbc"}]'
    r = ds(*args_for(dialect, "-d", "@-", url), input=stdin_body)
    expect_rc(r, 0, "-d @-")
    msgs = new_messages()
    check(len(msgs) == 3 and body_bytes(msgs[2]) == stdin_body, "-d @-: the cloud got %r" %
          [body_bytes(m) for m in msgs[2:]])
    # key=value and key:=json items
    r = ds(*args_for(dialect, url, "temp:=21.5", "unit=C", "ok:=true", 'tags:=["a", "b"]', "msg=x=y",
                     'nested:={"k": null}'))
    expect_rc(r, 0, "items")
    msgs = new_messages()
    check(len(msgs) == 4, "items: %d messages" % len(msgs))
    got = json.loads(body_bytes(msgs[3]))
    want = {"temp": 21.5, "unit": "C", "ok": True, "tags": ["a", "b"], "msg": "x=y", "nested": {"k": None}}
    check(got == want, "items: the cloud got %r, expected %r" % (got, want))
    # --json: the published event
    r = ds(*args_for(dialect, "--json", "-d", '{"j":1}', url))
    expect_rc(r, 0, "--json")
    ev = event(r, "published")
    check(ev.get("status") == PUBLISH_STATUS[dialect], "published status %r, expected %d" %
          (ev.get("status"), PUBLISH_STATUS[dialect]))
    check(isinstance(ev.get("ms"), (int, float)) and ev["ms"] >= 0, "published ms: %r" % ev.get("ms"))
    check(len(new_messages()) == 5, "five publishes, five messages")


for _d in DIALECTS:
    case("publish-" + _d)(lambda d=_d: publish_case(d))


# ------------------------------------------------------------------ --wait
def wait_case(dialect):
    url = CLOUD.url(PATHS[dialect])
    # a command already queued; human output
    cid = CLOUD.command(dialect, "device1", "set-led", {"on": True})
    r = ds(*args_for(dialect, "-w", "2", "-d", '{"t":1}', url))
    expect_rc(r, 0, "-w 2 with a queued command")
    check("set-led" in r.out, "the command name is not on stdout\n%s" % r)
    check(re.search(r'"?on"?\s*[:=]\s*true', r.out), "the payload {\"on\":true} is not on stdout\n%s" % r)
    check(CLOUD.pending() == [], "the command was not taken: %r" % CLOUD.pending())
    # --json command event
    cid = CLOUD.command(dialect, "device1", "reboot", {"delay": 5, "why": "e2e"})
    r = ds(*args_for(dialect, "--json", "-w", "2", "-d", '{"t":2}', url))
    expect_rc(r, 0, "--json -w 2")
    ev = event(r, "command")
    check(ev.get("name") == "reboot", "command name %r" % ev.get("name"))
    check(ev.get("payload") == {"delay": 5, "why": "e2e"}, "command payload %r" % ev.get("payload"))
    if dialect != "drogue":            # drogue commands carry no id
        check(str(ev.get("id")) == str(cid), "command id %r, the cloud's is %r" % (ev.get("id"), cid))
    event(r, "published")
    # a payload that is not JSON
    if dialect != "thingsboard":       # thingsboard params are always JSON
        raw = b"\x00\x01binary\xfe\xff"
        CLOUD.command(dialect, "device1", "blob", payload_base64=base64.b64encode(raw).decode())
        r = ds(*args_for(dialect, "--json", "-w", "2", "-d", '{"t":3}', url))
        expect_rc(r, 0, "non-JSON command payload")
        ev = event(r, "command")
        check("payload_base64" in ev and base64.b64decode(ev["payload_base64"]) == raw,
              "a non-JSON payload must come as payload_base64 of %r: %r" % (raw, ev))
    # a command queued while the poll is open: the wait is a real long poll
    before = CLOUD.stats()["polls"]
    bg = Bg(args_for(dialect, "--json", "-w", "20", "-d", '{"t":4}', url))
    CLOUD.wait_for(lambda s: s["polls"] > before, timeout=15, what="dtls-send's long poll")
    CLOUD.command(dialect, "device1", "late", [1, 2, 3])
    line = bg.wait_line(lambda s: '"command"' in s, 15, "the command queued during the wait")
    check(json.loads(line).get("payload") == [1, 2, 3], "late command: %s" % line)
    expect_rc(Result(bg.argv, bg.wait(10), "".join(bg.out), "".join(bg.err)), 0, "late command")
    # no command within the wait is success, and the wait was asked for the dialect's way
    CLOUD.reset()
    r = ds(*args_for(dialect, "--json", "-w", "1", "-d", '{"t":5}', url))
    expect_rc(r, 0, "-w 1 without a command")
    check(not [e for e in events(r) if e.get("event") == "command"], "a command event without a command\n%s" % r)
    msgs = new_messages()
    check(len(msgs) == 1, "one publish expected, the cloud logged %d" % len(msgs))
    if dialect == "drogue":
        check(msgs[0]["query"].get("ct") == "1", "drogue -w 1 must send ?ct=1: query %r" % msgs[0]["query"])
    elif dialect == "hono":
        check(msgs[0]["headers"].get("hono-ttd") == "1", "hono -w 1 must send hono-ttd: 1: %r" % msgs[0]["headers"])
    else:
        check(CLOUD.stats()["polls"] >= 1, "thingsboard -w 1 must poll .../rpc?timeout=")


for _d in COMMAND_DIALECTS:
    case("wait-" + _d)(lambda d=_d: wait_case(d))


# ------------------------------------------------------------------ --on-command
HANDLER = r"""#!/bin/sh
# e2e --on-command handler: record what it got, answer with JSON, fail for "fail-*".
payload=$(cat)
out="$E2E_HANDLER_DIR/$DTLS_COMMAND_NAME"
printf '%s\n' "$DTLS_COMMAND_NAME" "$DTLS_COMMAND_ID" "$DTLS_DIALECT" "$payload" > "$out"
printf '{"handled":"%s","payload":%s}' "$DTLS_COMMAND_NAME" "$payload"
case "$DTLS_COMMAND_NAME" in fail-*) exit 3 ;; esac
exit 0
"""


def on_command_case(dialect):
    url = CLOUD.url(PATHS[dialect])
    hdir = os.path.join(TMP, "handler-" + dialect)
    os.makedirs(hdir, exist_ok=True)
    handler = write("handler.sh", HANDLER, 0o755)
    env = {"E2E_HANDLER_DIR": hdir}
    results = {}
    for name in ("set-led", "fail-op"):
        cid = CLOUD.command(dialect, "device1", name, {"on": True})
        r = ds(*args_for(dialect, "--on-command", handler, "-w", "3", "-d", '{"t":1}', url), env=env)
        expect_rc(r, 0, "--on-command (%s)" % name)
        rec = os.path.join(hdir, name)
        check(os.path.exists(rec), "the handler did not run for %s\n%s" % (name, r))
        with open(rec) as f:
            got = f.read().split("\n")
        check(got[0] == name, "DTLS_COMMAND_NAME %r" % got[0])
        check(got[2] == dialect, "DTLS_DIALECT %r" % got[2])
        if dialect != "drogue":
            check(got[1] == str(cid), "DTLS_COMMAND_ID %r, the cloud's id is %r" % (got[1], cid))
        check(json.loads(got[3]) == {"on": True}, "payload on stdin %r" % got[3])
        results[name] = cid
    resp = CLOUD.responses()
    if dialect == "drogue":
        check(resp == [], "drogue has no command responses: %r" % resp)
        return
    by_id = {r_["id"]: r_ for r_ in resp}
    for name, cid in results.items():
        check(cid in by_id, "no response for %s (id %s); responses: %r" % (name, cid, resp))
        body = json.loads(body_bytes(by_id[cid]))
        check(body == {"handled": name, "payload": {"on": True}}, "response body %r" % body)
        if dialect == "hono":
            want = 200 if name == "set-led" else 500
            check(by_id[cid]["status"] == want, "hono-cmd-status %r for %s, expected %d"
                  % (by_id[cid]["status"], name, want))


for _d in COMMAND_DIALECTS:
    case("on-command-" + _d)(lambda d=_d: on_command_case(d))


# ------------------------------------------------------------------ credentials
def secrets_absent(r, secret, user):
    b64 = base64.b64encode(("%s:%s" % (user, secret)).encode()).decode()
    for where, text in (("stdout", r.out), ("stderr", r.err)):
        check(secret not in text, "the password appears on %s\n%s" % (where, r))
        check(b64 not in text, "the Basic credentials (base64) appear on %s\n%s" % (where, r))


@case("bad-credentials")
def bad_credentials():
    for dialect, status in (("drogue", 403), ("hono", 401)):
        url = CLOUD.url(PATHS[dialect])
        user = USER[dialect]
        wrong = "Wr0ng.pass-%s-9531" % dialect
        pwfile = write("pw-wrong-" + dialect, wrong + "\n", 0o600)
        for how, extra_args, env in (("-u USER:PASS", ["-u", "%s:%s" % (user, wrong)], None),
                                     ("DTLS_SEND_PASSWORD", ["-u", user], {"DTLS_SEND_PASSWORD": wrong}),
                                     ("--password-file", ["-u", user, "--password-file", pwfile], None)):
            r = ds("--dialect", dialect, "--cacert", CA, "-v", *extra_args, "-d", '{"t":1}', url, env=env)
            expect_rc(r, 22, "%s with a wrong password (%s)" % (dialect, how))
            check(r.err.strip(), "no message on stderr\n%s" % r)
            check(re.search(r"%d|auth|credential|forbidden|unauthori" % status, r.err, re.I),
                  "the message does not say it is an authentication failure (%d)\n%s" % (status, r))
            secrets_absent(r, wrong, user)
        good = PASSWORDS[dialect]
        pwfile = write("pw-good-" + dialect, good + "\n", 0o600)
        for how, extra_args, env in (("DTLS_SEND_PASSWORD", ["-u", user], {"DTLS_SEND_PASSWORD": good}),
                                     ("--password-file", ["-u", user, "--password-file", pwfile], None)):
            r = ds("--dialect", dialect, "--cacert", CA, "-v", *extra_args, "-d", '{"t":2}', url, env=env)
            expect_rc(r, 0, "%s with the password from %s" % (dialect, how))
            secrets_absent(r, good, user)
    r = ds("--dialect", "thingsboard", "--cacert", CA, "-d", "{}", CLOUD.url("/api/v1/NOT-A-TOKEN/telemetry"))
    expect_rc(r, 22, "thingsboard with an unknown token")
    check(re.search(r"401|auth|unauthori|token", r.err, re.I), "thingsboard 401 message\n%s" % r)
    check(len([m for m in new_messages() if json.loads(m["body"]).get("t") == 2]) == 4,
          "the four good publishes must have arrived")


# ------------------------------------------------------------------ invalid input
@case("bad-json")
def bad_json():
    url = CLOUD.url(PATHS["drogue"])
    badfile = write("bad.json", '{"ok": true,\n "list": [1, 2\n}\n')
    for what, a, line in (("-d truncated", ["-d", '{"a":'], 1),
                          ("-d multi-line", ["-d", '{\n  "a": 1,\n  "b": \n}'], 4),
                          ("-d @FILE", ["-d", "@" + badfile], 3),
                          ("item :=", ["a:={bad"], None),
                          ("-d trailing garbage", ["-d", '{"a":1} x'], 1)):
        args = args_for("drogue", *a[:-1], url, a[-1]) if what.startswith("item") else args_for("drogue", *a, url)
        r = ds(*args)
        expect_rc(r, 2, "invalid JSON (%s)" % what)
        if line is not None:
            check(re.search(r"line\D{0,3}%d\b" % line, r.err, re.I) and re.search(r"col", r.err, re.I),
                  "the message must name line %d and the column (%s)\n%s" % (line, what, r))
    s = CLOUD.stats()
    check(s["connections"] == 0 and s["messages"] == 0,
          "invalid JSON must be refused before connecting; the cloud saw %d connections, %d messages"
          % (s["connections"], s["messages"]))


@case("data-binary")
def data_binary():
    blob = bytes(range(256)) * 3 + b"\r\n\x00\n{not json"
    path = write("payload.pb", blob)
    for dialect in ("drogue", "hono", "plain"):
        CLOUD.reset()
        r = ds(*args_for(dialect, "--data-binary", "@" + path, "--content-type", "application/x-protobuf",
                         CLOUD.url(PATHS[dialect])))
        expect_rc(r, 0, "--data-binary (%s)" % dialect)
        msgs = new_messages()
        check(len(msgs) == 1, "%d messages" % len(msgs))
        check(body_bytes(msgs[0]) == blob, "%s: the cloud got %d bytes that differ from the %d sent"
              % (dialect, len(body_bytes(msgs[0])), len(blob)))
        check(msgs[0]["content_type"] == "application/x-protobuf", "Content-Type %r" % msgs[0]["content_type"])


# ------------------------------------------------------------------ --stream
def stream_lines(n, start=0, pad=""):
    return ["{\"seq\":%d,\"temp\":%d.5%s}" % (i, i % 40, pad) for i in range(start, start + n)]


def feed(p, data):
    def run():
        try:
            p.stdin.write(data)
            p.stdin.close()
        except (BrokenPipeError, OSError):
            pass
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def check_all_delivered(n, what):
    msgs = new_messages("drogue")
    counts = seq_counts(msgs)
    missing = sorted(set(range(n)) - set(counts))
    check(not missing, "%s: %d of %d messages never delivered (first: %s)" % (what, len(missing), n, missing[:20]))
    report_duplicates(counts)
    return counts


@case("stream-faults")
def stream_faults():
    n = 10000
    lines = stream_lines(n)
    CLOUD.faults(drop_every=700, drop_after_accept_every=900, status_503_every=2300, status_429_every=3100,
                 retry_after=1)
    t0 = time.monotonic()
    bg = Bg(args_for("drogue", "--stream", CLOUD.url(PATHS["drogue"])), stdin=subprocess.PIPE)
    feed(bg.p, ("\n".join(lines) + "\n").encode())
    rc = bg.wait(150)
    took = time.monotonic() - t0
    check(rc == 0, "--stream exit %s, expected 0\n%s" % (rc, bg.describe()))
    s = CLOUD.stats()
    note("%d lines in %.1fs; cloud: %d requests, %d connections, %d dropped, %d x 503, %d x 429"
         % (n, took, s["requests"], s["connections"], s["dropped"], s["status_503"], s["status_429"]))
    check(s["dropped"] > 0 and s["status_503"] > 0 and s["status_429"] > 0,
          "the faults did not fire, the test proves nothing: %r" % s)
    counts = check_all_delivered(n, "--stream with faults")
    by_seq = {}
    for m in new_messages("drogue"):
        try:
            v = json.loads(body_bytes(m))
        except ValueError:
            continue
        if isinstance(v, dict) and isinstance(v.get("seq"), int):
            by_seq.setdefault(v["seq"], body_bytes(m))
    # each line is sent as it was read (its line terminator may go along or not)
    bad = [i for i in range(n) if by_seq.get(i) not in (lines[i].encode(), lines[i].encode() + b"\n")]
    check(not bad, "lines not sent byte for byte, e.g. seq %d: %r" % (bad[0], by_seq.get(bad[0])) if bad else "")
    check(len(counts) == n, "unexpected seqs delivered")


@case("stream-restart")
def stream_restart():
    n = 3000
    CLOUD.faults(delay_ms=2)
    bg = Bg(args_for("drogue", "--stream", CLOUD.url(PATHS["drogue"])), stdin=subprocess.PIPE)
    feed(bg.p, ("\n".join(stream_lines(n)) + "\n").encode())
    CLOUD.wait_for(lambda s: s["messages"] >= 500 or bg.p.poll() is not None, timeout=60,
                   what="500 messages before the restart")
    check(bg.p.poll() is None, "dtls-send finished before the cloud restarted; nothing tested\n" + bg.describe())
    CLOUD.restart(down_ms=700)
    rc = bg.wait(120)
    check(rc == 0, "--stream across a cloud restart: exit %s\n%s" % (rc, bg.describe()))
    s = CLOUD.stats()
    check(s["restarts"] == 1, "the cloud did not restart: %r" % s)
    note("%d connections over the run (the restart closed the open ones)" % s["connections"])
    check_all_delivered(n, "--stream across a restart")


def spooled_seqs(spool):
    found = collections.Counter()
    files = 0
    for root, _, names in os.walk(spool):
        for name in names:
            if name.startswith("."):              # lock and half-written temporaries are not pending
                continue
            try:
                with open(os.path.join(root, name), "rb") as f:
                    data = f.read()
            except OSError:
                continue
            files += 1
            for m in re.finditer(rb'"seq":\s*(\d+)', data):
                found[int(m.group(1))] += 1
    return found, files


@case("stream-spool-kill")
def stream_spool_kill():
    n = 1500
    lines = stream_lines(n, pad=',"pad":"%s"' % ("p" * 24))
    data = ("\n".join(lines) + "\n").encode()
    inp = write("spool-input.jsonl", data)
    spool = os.path.join(TMP, "spool")
    shutil.rmtree(spool, ignore_errors=True)
    argv = args_for("drogue", "--stream", "--spool", spool, CLOUD.url(PATHS["drogue"]))
    CLOUD.faults(delay_ms=3)                      # the sender lags, the spool fills
    with open(inp, "rb") as f:
        bg = Bg(argv, stdin=f)                    # the child shares f's offset
        CLOUD.wait_for(lambda s: s["messages"] >= 200 or bg.p.poll() is not None, timeout=60,
                       what="200 messages before the kill")
        check(bg.p.poll() is None, "dtls-send finished before the kill; nothing tested\n" + bg.describe())
        bg.kill(signal.SIGKILL)
        consumed = os.lseek(f.fileno(), 0, os.SEEK_CUR)
        boundary = data.rfind(b"\n", 0, consumed) + 1        # start of the first line not fully read
        read_lines = data[:boundary].count(b"\n")
        delivered = seq_counts(new_messages("drogue"))
        spooled, files = spooled_seqs(spool)
        note("killed after reading %d bytes (%d whole lines); %d delivered, %d files in the spool holding %d seqs"
             % (consumed, read_lines, len(delivered), files, len(spooled)))
        lost = sorted(set(range(read_lines)) - set(delivered) - set(spooled))
        check(not lost, "%d lines read from stdin are neither delivered nor in the spool (first: %s): a "
              "SIGKILL now loses them" % (len(lost), lost[:20]))
        ahead = sorted(s for s in set(delivered) | set(spooled) if s >= read_lines)
        check(not [s for s in ahead if s > read_lines], "seqs beyond what was read: %s" % ahead[:10])
        # restart with the same spool; stdin carries the rest
        CLOUD.clear_faults()
        f.seek(boundary)
        bg2 = Bg(argv, stdin=f)
        rc = bg2.wait(120)
    check(rc == 0, "restarted --stream --spool: exit %s\n%s" % (rc, bg2.describe()))
    check_all_delivered(n, "--spool across SIGKILL")
    left = [x for x in os.listdir(spool) if x.endswith(".msg")] if os.path.isdir(spool) else []
    check(not left, "%d messages left in the spool after a clean exit" % len(left))


# ------------------------------------------------------------------ listen
def wait_command_event(bg, name, timeout=15):
    def is_cmd(line):
        try:
            e = json.loads(line)
        except ValueError:
            return False
        return e.get("event") == "command" and e.get("name") == name
    return json.loads(bg.wait_line(is_cmd, timeout, "the %r command event" % name))


def sigint_exit(bg, what):
    bg.p.send_signal(signal.SIGINT)
    rc = bg.wait(10)
    if rc != 0:
        raise AssertionError("%s: SIGINT after a clean stop must exit 0, got %s%s\n%s"
                             % (what, rc, " (killed by the signal)" if rc < 0 else "", bg.describe()))


@case("listen")
def listen():
    for dialect in COMMAND_DIALECTS:
        CLOUD.reset()
        cid = CLOUD.command(dialect, "device1", "open-valve", {"valve": 2})
        bg = Bg(["listen"] + args_for(dialect, "--json", CLOUD.url(PATHS[dialect])))
        ev = wait_command_event(bg, "open-valve")
        check(ev.get("payload") == {"valve": 2}, "%s listen payload %r" % (dialect, ev.get("payload")))
        if dialect != "drogue":
            check(str(ev.get("id")) == str(cid), "%s listen id %r, expected %r" % (dialect, ev.get("id"), cid))
        # a second command while listening
        CLOUD.command(dialect, "device1", "close-valve", {"valve": 2})
        wait_command_event(bg, "close-valve")
        sigint_exit(bg, "%s listen" % dialect)


@case("listen-poll-interval")
def listen_poll_interval():
    for dialect in ("drogue", "thingsboard"):
        CLOUD.reset()
        bg = Bg(["listen"] + args_for(dialect, "--json", "--poll-interval", "1", CLOUD.url(PATHS[dialect])))
        CLOUD.wait_for(lambda s: s["requests"] >= 2, timeout=10,
                       what="a second poll from --poll-interval 1 (%s)" % dialect)
        CLOUD.command(dialect, "device1", "tick", {"n": 1})
        wait_command_event(bg, "tick", timeout=10)
        sigint_exit(bg, "%s listen --poll-interval" % dialect)
        note("%s: %d requests while listening" % (dialect, CLOUD.stats()["requests"]))
    # SIGINT at random moments of back-to-back polls, with commands coming in: the stop
    # lands before, during and just after an exchange. Every run must exit 0 (under the
    # sanitizers a leaked response fails it) and every command the cloud handed over
    # must have been shown, even one that arrived as the stop did.
    rng = __import__("random").Random(7)
    for i in range(12):
        CLOUD.reset()
        for n in range(3):
            CLOUD.command("drogue", "device1", "burst", {"run": i, "n": n})
        bg = Bg(["listen"] + args_for("drogue", "--json", "--poll-interval", "0", CLOUD.url(PATHS["drogue"])))
        CLOUD.wait_for(lambda s: s["requests"] >= 1, timeout=10, what="a first poll")
        time.sleep(rng.uniform(0, 0.05))
        sigint_exit(bg, "listen --poll-interval 0, SIGINT %d" % i)
        delivered = CLOUD.stats()["commands_delivered"]
        shown = sum(1 for line in bg.out if '"event":"command"' in line.replace(" ", ""))
        check(shown == delivered, "SIGINT %d: the cloud handed over %d commands, dtls-send showed %d\n%s"
              % (i, delivered, shown, bg.describe()))


# ------------------------------------------------------------------ engines, exit codes
@case("engine-curl")
def engine_curl():
    for dialect in DIALECTS:
        CLOUD.reset()
        url = CLOUD.url(PATHS[dialect])
        body = '{"engine" :  "curl", "d": "%s"}\n' % dialect
        r = ds(*args_for(dialect, "--engine", "curl", "--json", "-d", body, url))
        expect_rc(r, 0, "--engine curl publish (%s)" % dialect)
        check(event(r, "published").get("status") == PUBLISH_STATUS[dialect], "curl published status\n%s" % r)
        msgs = new_messages()
        check(len(msgs) == 1 and body_bytes(msgs[0]) == body.encode(), "curl engine body: %r" %
              [body_bytes(m) for m in msgs])
        if dialect == "plain":
            continue
        cid = CLOUD.command(dialect, "device1", "curl-cmd", {"x": dialect})
        r = ds(*args_for(dialect, "--engine", "curl", "--json", "-w", "2", "-d", "{}", url))
        expect_rc(r, 0, "--engine curl -w 2 (%s)" % dialect)
        ev = event(r, "command")
        check(ev.get("name") == "curl-cmd" and ev.get("payload") == {"x": dialect}, "curl command event %r" % ev)
        if dialect != "drogue":
            check(str(ev.get("id")) == str(cid), "curl command id %r vs %r" % (ev.get("id"), cid))
        r = ds(*args_for(dialect, "--engine", "curl", "-w", "1", "-d", "{}", url))
        expect_rc(r, 0, "--engine curl -w 1 without a command (%s)" % dialect)
        if dialect in USER:
            r = ds(*args_for(dialect, "--engine", "curl", "-d", "{}", url, password="nope-%s-123" % dialect))
            expect_rc(r, 22, "--engine curl with a wrong password (%s)" % dialect)
            check("nope-%s-123" % dialect not in r.out + r.err, "the password was printed\n%s" % r)
    r = ds(*args_for("drogue", "--engine", "curl", "-d", "{}", "https://localhost:%d/v1/x" % free_port()))
    expect_rc(r, 7, "--engine curl, connection refused")
    r = ds("--dialect", "drogue", "--engine", "curl", "--cacert", WRONG_CA, *creds("drogue"), "-d", "{}",
           CLOUD.url(PATHS["drogue"]))
    expect_rc(r, 60, "--engine curl, wrong CA")


@case("exit-codes")
def exit_codes():
    url = CLOUD.url(PATHS["drogue"])
    r = ds(*args_for("drogue", "-d", "{}", "https://localhost:%d/v1/x" % free_port()))
    expect_rc(r, 7, "connection refused")
    r = ds("--cacert", WRONG_CA, *creds("drogue"), "-d", "{}", url)
    expect_rc(r, 60, "a CA that did not sign the cloud's certificate")
    r = ds(*args_for("drogue", "--servername", "wrong.example", "-d", "{}", url))
    expect_rc(r, 60, "a name the certificate does not carry")
    r = ds(*args_for("drogue", "-d", "{}", CLOUD.url(PATHS["drogue"], host="127.0.0.1")))
    expect_rc(r, 0, "by IP address (the certificate has IP:127.0.0.1)")
    r = ds("--cacert", os.path.join(TMP, "no-such-ca.pem"), *creds("drogue"), "-d", "{}", url)
    expect_rc(r, 77, "a CA file that does not exist")
    r = ds(*args_for("drogue", "-d", "{}", "https://"))
    expect_rc(r, 3, "a bad URL")
    check(CLOUD.stats()["messages"] == 1, "only the publish by IP address may have arrived")
    CLOUD.faults(delay_ms=6000)
    t0 = time.monotonic()
    r = ds(*args_for("drogue", "--max-time", "2", "-d", "{}", url), timeout=20)
    expect_rc(r, 28, "--max-time 2 against a cloud that answers after 6 s")
    note("--max-time 2 gave up after %.1fs" % (time.monotonic() - t0))
    CLOUD.faults(refuse=True)
    r = ds(*args_for("drogue", "-d", "{}", url))
    check(r.rc in (35, 55, 56), "a cloud that closes at accept: exit %d, expected 35 (or 55/56)\n%s" % (r.rc, r))


# ------------------------------------------------------------------ HAProxy gateway
class Haproxy:
    def __init__(self, ca):
        self.port = free_port()
        env = dict(os.environ, DTLS_GW_LISTEN="127.0.0.1:%d" % self.port, DTLS_GW_CLOUD="127.0.0.1:%d" % CLOUD.port,
                   DTLS_GW_SERVERNAME="localhost", DTLS_GW_CA=ca)
        self.log = open(os.path.join(TMP, "haproxy-%d.log" % self.port), "wb")
        self.p = subprocess.Popen(["haproxy", "-f", os.path.join(TOP, "examples", "haproxy", "haproxy.cfg"), "-db"],
                                  stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        end = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.p.poll() is not None or time.monotonic() > end:
                    raise AssertionError("haproxy did not start: %s" % self.output())
                time.sleep(0.05)

    def output(self):
        self.log.flush()
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.log.close()


@case("haproxy-gateway")
def haproxy_gateway():
    if not shutil.which("haproxy"):
        raise Skip("haproxy is not installed (scripts/lib.sh DTLS_TEST_PKGS has it)")
    gw = Haproxy(CA)
    try:
        url = "http://127.0.0.1:%d%s" % (gw.port, "/v1/foo")
        body = '{"via": "gateway"}'
        r = ds("--dialect", "drogue", *creds("drogue"), "-d", body, url)
        client = "dtls-send"
        if r.rc == 3:
            note("dtls-send refused the http:// URL (exit 3): gateway tested with curl instead\n%s" % r)
            client = "curl"
            r = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-u",
                                "%s:%s" % (USER["drogue"], PASSWORDS["drogue"]), "-H", "Content-Type: application/json",
                                "-d", body, url], capture_output=True, text=True, timeout=30)
            check(r.stdout == "202", "curl through haproxy: %r %r" % (r.stdout, r.stderr))
        else:
            expect_rc(r, 0, "dtls-send over plain HTTP to haproxy")
            CLOUD.command("drogue", "device1", "via-gw", {"ok": 1})
            r = ds("--dialect", "drogue", "--json", "-w", "3", *creds("drogue"), "-d", body, url)
            expect_rc(r, 0, "-w through haproxy")
            check(event(r, "command").get("name") == "via-gw", "command through the gateway\n%s" % r)
        msgs = new_messages()
        check(msgs and body_bytes(msgs[0]) == body.encode(), "the cloud did not log the gateway's message: %r" % msgs)
        check(msgs[0]["headers"].get("x-forwarded-for") == "127.0.0.1", "not via haproxy? headers %r" % msgs[0]["headers"])
        note("device -> haproxy (plain HTTP) -> cloud (TLS, verified): %s ok" % client)
    finally:
        gw.stop()
    CLOUD.reset()
    gw = Haproxy(WRONG_CA)
    try:
        r = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-u",
                            "%s:%s" % (USER["drogue"], PASSWORDS["drogue"]), "-d", "{}",
                            "http://127.0.0.1:%d/v1/foo" % gw.port], capture_output=True, text=True, timeout=30)
        check(r.stdout in ("502", "503"), "haproxy with a wrong CA answered %r, expected 502 or 503" % r.stdout)
        r = ds("--dialect", "drogue", *creds("drogue"), "-d", "{}", "http://127.0.0.1:%d/v1/foo" % gw.port)
        check(r.rc in (22, 3), "dtls-send through a gateway that cannot verify the cloud: exit %d, expected 22\n%s"
              % (r.rc, r))
        s = CLOUD.stats()
        check(s["messages"] == 0 and s["tls_handshakes"] == 0,
              "the cloud accepted something from a gateway that does not trust it: %r" % s)
    finally:
        gw.stop()


@case("client-certificate")
def client_certificate():
    """Mutual TLS: a cloud that requires client certificates (cloud.py --client-ca) and
    takes the certificate as the device's credential, as drogue's and hono's X.509 device
    authentication does. P-256 and RSA keys (PKCS#8 and PKCS#1), both engines; no
    certificate, or one from another CA, is exit 58 and nothing is recorded."""
    mt = Cloud.start(pki_case=os.path.join(PKI, "p256"), workdir=os.path.join(TMP, "cloud-mtls"),
                     extra_args=["--client-ca", os.path.join(PKI, "client-p256", "ca.pem")])
    try:
        def mine(case, key="key.pem"):
            return ["--cert", os.path.join(PKI, case, "chain.pem"), "--key", os.path.join(PKI, case, key)]
        runs = [("drogue", "/v1/telemetry", mine("client-p256"), [], "P-256 client"),
                ("drogue", "/v1/telemetry", mine("client-rsa"), [], "RSA client"),
                ("hono", "/telemetry", mine("client-rsa", "key-pkcs1.pem"), [], "RSA client"),
                ("drogue", "/v1/telemetry", mine("client-rsa"), ["--engine", "curl"], "RSA client")]
        for i, (dialect, path, cert, engine, cn) in enumerate(runs):
            body = '{"mtls": %d}' % i
            r = ds("--dialect", dialect, "--cacert", CA, "--json", *cert, *engine, "-d", body, mt.url(path))
            expect_rc(r, 0, "%s publish with %s %s" % (dialect, cn, " ".join(engine)))
            check(event(r, "published").get("status") == 202, "status\n%s" % r)
            msgs = mt.messages()
            check(len(msgs) == 1 and msgs[0]["device"] == cn and msgs[0].get("auth") == "x509"
                  and body_bytes(msgs[0]) == body.encode(),
                  "the cloud should have one message from %r (x509): %r" % (cn, msgs))
            mt.reset()
        # a command for the certificate's device, received with -w
        mt.command("drogue", "RSA client", "reboot", {"in": 5})
        r = ds("--dialect", "drogue", "--cacert", CA, "--json", "-w", "5", *mine("client-rsa"), "-d", "{}",
               mt.url("/v1/telemetry"))
        expect_rc(r, 0, "-w with a client certificate")
        check(event(r, "command").get("name") == "reboot", "command for the certificate's device\n%s" % r)
        mt.reset()
        # refused: no certificate; a certificate the cloud's CA did not issue
        for what, cert, error in [("no certificate", [], "certificate_required"),
                                  ("a certificate from another CA", mine("client-ed25519"), "unknown_ca")]:
            r = ds("--dialect", "drogue", "--cacert", CA, "--json", *cert, "-d", "{}", mt.url("/v1/telemetry"))
            expect_rc(r, 58, what)
            check(event(r, "error").get("error") == error, "%s: expected %s\n%s" % (what, error, r))
        check(mt.stats()["messages"] == 0, "the cloud recorded a message from a refused client")
        note("mutual TLS: P-256 and RSA client keys accepted (embedded and curl engines); "
             "no certificate and a foreign one refused with exit 58")
    finally:
        mt.stop()


# ------------------------------------------------------------------ main
def main():
    global BIN, PKI, CA, WRONG_CA, CLOUD, TMP
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dtls-send", required=True)
    ap.add_argument("--pki", required=True)
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    if a.list:
        print("\n".join(n for n, _ in CASES))
        return 0
    BIN = os.path.abspath(a.dtls_send)
    if not os.access(BIN, os.X_OK):
        print("SKIP: %s is missing (build dtls-send first)" % BIN)
        return 77
    PKI = os.path.abspath(a.pki)
    case_dir = os.path.join(PKI, "p256")
    CA = os.path.join(case_dir, "ca.pem")
    WRONG_CA = os.path.join(PKI, "p384", "ca.pem")          # a different root
    TMP = tempfile.mkdtemp(prefix="dtls-e2e-")
    os.makedirs(os.path.join(TMP, "xdg"))
    users = write("users.json", json.dumps(USERS))
    selected = [(n, f) for n, f in CASES if not a.names or any(s in n for s in a.names)]
    if not selected:
        print("no case matches %s; cases: %s" % (a.names, " ".join(n for n, _ in CASES)))
        return 2
    CLOUD = Cloud.start(pki_case=case_dir, workdir=os.path.join(TMP, "cloud"), users=users)
    print("e2e: %s against the test cloud on https://localhost:%d (work dir %s)" % (BIN, CLOUD.port, TMP), flush=True)
    passed = failed = skipped = 0
    t_all = time.monotonic()
    try:
        for name, fn in selected:
            del NOTES[:]
            try:
                CLOUD.reset()
            except (CloudError, OSError) as e:
                print("FAIL %s: the cloud does not answer (%s)" % (name, e))
                failed += 1
                break
            t0 = time.monotonic()
            status = "PASS"
            detail = ""
            try:
                fn()
            except Skip as e:
                status, detail = "SKIP", str(e)
            except AssertionError as e:
                status, detail = "FAIL", str(e)
            except Exception as e:                      # a harness bug is a failure too
                status, detail = "FAIL", "%s: %s\n%s" % (type(e).__name__, e, traceback.format_exc(limit=4))
            finally:
                for bg in BG:
                    bg.kill()
                del BG[:]
            took = time.monotonic() - t0
            print("%s %s (%.1fs)%s" % (status, name, took, (": " + detail.splitlines()[0]) if detail else ""))
            for line in (detail.splitlines()[1:] if detail else []) + NOTES:
                for sub in line.splitlines():
                    print("    " + sub)
            sys.stdout.flush()
            passed += status == "PASS"
            failed += status == "FAIL"
            skipped += status == "SKIP"
            if not CLOUD.alive():
                print("FAIL the test cloud died; see %s/cloud/cloud.out" % TMP)
                failed += 1
                break
    finally:
        CLOUD.stop()
    print("%d passed, %d failed%s (%.0fs)" % (passed, failed, ", %d skipped" % skipped if skipped else "",
                                              time.monotonic() - t_all))
    if failed == 0 and not a.keep:
        shutil.rmtree(TMP, ignore_errors=True)
    elif failed:
        print("work directory kept: %s" % TMP)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

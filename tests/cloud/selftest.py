#!/usr/bin/env python3
"""Self-test of the test cloud (tests/cloud/cloud.py): the dialects, keep-alive,
chunked and pipelined requests, command queueing, fault injection and restart,
exercised with Python's own HTTPS client, raw TLS sockets and curl.

    selftest.py --pki DIR [CASE...]      DIR: a scripts/gen-pki directory (uses DIR/p256)

Prints PASS/FAIL per case and "N passed, N failed"; exit 0 only if all pass.
"""
import argparse
import base64
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback

sys.dont_write_bytecode = True      # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cloudctl import Cloud  # noqa: E402

CLOUD = None
CTX = None
CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def basic(user, pw):
    return "Basic " + base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()


DROGUE = basic("device1@app1", "secret")
HONO = basic("device1@tenant1", "secret")
JSON_CT = {"Content-Type": "application/json"}


def conn():
    return http.client.HTTPSConnection("localhost", CLOUD.port, context=CTX, timeout=20)


def call(method, path, body=None, headers=None, c=None):
    """One request; returns (status, headers dict (lower-case), body bytes)."""
    own = c is None
    c = c or conn()
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        if own:
            c.close()


def raw_tls():
    s = socket.create_connection(("127.0.0.1", CLOUD.port), timeout=20)
    return CTX.wrap_socket(s, server_hostname="localhost")


def read_responses(s, n):
    """Read n HTTP responses off a raw socket (Content-Length framed)."""
    buf = b""
    out = []
    while len(out) < n:
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                return out
            buf += chunk
        head, buf = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        hdrs = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(hdrs.get("content-length", 0))
        while len(buf) < length:
            buf += s.recv(65536)
        out.append((int(lines[0].split()[1]), hdrs, buf[:length]))
        buf = buf[length:]
    return out


def eq(a, b, what=""):
    if a != b:
        raise AssertionError("%s: expected %r, got %r" % (what, b, a))


# ------------------------------------------------------------------ dialects
@case
def drogue():
    st, _, _ = call("POST", "/v1/telemetry", b'{"t": 1}', {"Authorization": DROGUE, **JSON_CT})
    eq(st, 202, "publish")
    st, _, _ = call("POST", "/v1/telemetry", b'{}', {"Authorization": basic("device1@app1", "nope"), **JSON_CT})
    eq(st, 403, "bad password")
    st, _, _ = call("POST", "/v1/telemetry", b'{}', JSON_CT)
    eq(st, 403, "no credentials")
    cid = CLOUD.command("drogue", "device1", "set-led", {"on": True})
    st, _, _ = call("POST", "/v1/telemetry", b'{"t": 2}', {"Authorization": DROGUE, **JSON_CT})
    eq(st, 202, "without ct the command is not delivered")
    eq([c["id"] for c in CLOUD.pending()], [cid], "command still queued")
    st, h, body = call("POST", "/v1/telemetry?ct=5", b'{"t": 3}', {"Authorization": DROGUE, **JSON_CT})
    eq((st, h.get("command"), json.loads(body)), (200, "set-led", {"on": True}), "command delivery")
    eq(CLOUD.pending(), [], "delivered once")
    st, _, _ = call("POST", "/v1/telemetry?ct=0.2", b'{"t": 4}', {"Authorization": DROGUE, **JSON_CT})
    eq(st, 202, "ct without a command")
    msgs = CLOUD.messages()
    eq([m["body"] for m in msgs], ['{"t": 1}', '{"t": 2}', '{"t": 3}', '{"t": 4}'], "bodies")
    eq({(m["device"], m["application"], m["channel"]) for m in msgs}, {("device1", "app1", "telemetry")}, "ids")
    s = CLOUD.stats()
    eq((s["messages"], s["rejected"], s["polls"]), (4, 2, 2), "stats")


@case
def hono():
    st, h, _ = call("POST", "/telemetry", b'{"t": 1}', {"Authorization": HONO, **JSON_CT})
    eq(st, 202, "publish")
    st, h, _ = call("POST", "/event", b'{"e": 1}', {"Authorization": basic("device1@tenant1", "x"), **JSON_CT})
    eq((st, "www-authenticate" in h), (401, True), "bad password")
    cid = CLOUD.command("hono", "device1", "reboot", "in 5 minutes")
    st, h, body = call("POST", "/telemetry", b'{"t": 2}', {"Authorization": HONO, "hono-ttd": "5", **JSON_CT})
    eq((st, h.get("hono-command"), h.get("hono-cmd-req-id"), body), (200, "reboot", cid, b"in 5 minutes"), "command")
    st, _, _ = call("POST", "/command/res/%s?hono-cmd-status=200" % cid, b'{"done":true}',
                    {"Authorization": HONO, **JSON_CT})
    eq(st, 202, "response")
    st, _, _ = call("POST", "/command/res/%s?hono-cmd-status=200" % cid, b'{}', {"Authorization": HONO, **JSON_CT})
    eq(st, 404, "second response to the same command")
    st, _, _ = call("POST", "/command/res/unknown?hono-cmd-status=200", b'{}', {"Authorization": HONO, **JSON_CT})
    eq(st, 404, "unknown req-id")
    cid2 = CLOUD.command("hono", "device1", "fail", {"x": 1})
    call("POST", "/telemetry", b'{}', {"Authorization": HONO, "hono-ttd": "5", **JSON_CT})
    st, _, _ = call("POST", "/command/res/%s" % cid2, b'{}', {"Authorization": HONO, **JSON_CT})
    eq(st, 400, "response without hono-cmd-status")
    st, _, _ = call("POST", "/command/res/%s?hono-cmd-status=500" % cid2, b'oops', {"Authorization": HONO})
    eq(st, 202, "error response")
    resp = CLOUD.responses()
    eq([(r["id"], r["name"], r["status"], r["body"]) for r in resp],
       [(cid, "reboot", 200, '{"done":true}'), (cid2, "fail", 500, "oops")], "responses")
    msgs = CLOUD.messages()
    eq([(m["kind"], m["tenant"], m["headers"].get("hono-ttd")) for m in msgs],
       [("telemetry", "tenant1", None), ("telemetry", "tenant1", "5"), ("telemetry", "tenant1", "5")],
       "messages")


@case
def thingsboard():
    st, _, _ = call("POST", "/api/v1/TOKEN1/telemetry", b'{"temp": 21.5}', JSON_CT)
    eq(st, 200, "telemetry")
    st, _, _ = call("POST", "/api/v1/WRONG/telemetry", b'{}', JSON_CT)
    eq(st, 401, "unknown token")
    st, _, _ = call("POST", "/api/v1/TOKEN1/telemetry", b'{"temp": ', {})
    eq(st, 400, "thingsboard telemetry is always JSON")
    st, _, _ = call("GET", "/api/v1/TOKEN1/rpc?timeout=200")
    eq(st, 408, "no rpc")
    cid = CLOUD.command("thingsboard", "TOKEN1", "setGpio", {"pin": 4, "value": 1})
    st, h, body = call("GET", "/api/v1/TOKEN1/rpc?timeout=5000")
    eq((st, json.loads(body)), (200, {"id": int(cid), "method": "setGpio", "params": {"pin": 4, "value": 1}}), "rpc")
    st, _, _ = call("POST", "/api/v1/TOKEN1/rpc/%s" % cid, b'{"ok":true}', JSON_CT)
    eq(st, 200, "rpc reply")
    st, _, _ = call("POST", "/api/v1/TOKEN1/rpc/999", b'{}', JSON_CT)
    eq(st, 404, "reply to an unknown rpc")
    eq([(r["id"], r["body"]) for r in CLOUD.responses()], [(cid, '{"ok":true}')], "responses")
    eq(len(CLOUD.messages()), 1, "messages")


@case
def plain_and_bodies():
    st, _, _ = call("POST", "/plain/anything/here", b"not json at all", {"Content-Type": "text/plain"})
    eq(st, 200, "plain text")
    blob = bytes(range(256)) + b"\r\n\x00end"
    st, _, _ = call("POST", "/plain/bin", blob, {"Content-Type": "application/x-protobuf"})
    eq(st, 200, "binary")
    for bad in (b'{"a":', b'{"a": NaN}', b'\xff{}', b'[1,]'):
        st, _, _ = call("POST", "/plain/j", bad, JSON_CT)
        eq(st, 400, "invalid JSON %r" % bad)
    st, _, _ = call("POST", "/plain/j", b' \n{"a" :\t[1, 2]}\n ', {"Content-Type": "application/vnd.x+json; charset=utf-8"})
    eq(st, 200, "+json with whitespace")
    m = CLOUD.messages()
    eq(len(m), 3, "accepted messages")
    eq(m[0]["body"], "not json at all", "text body")
    eq(base64.b64decode(m[1]["body_base64"]), blob, "binary body")
    eq(m[1]["content_type"], "application/x-protobuf", "content type")
    eq(m[2]["body"], ' \n{"a" :\t[1, 2]}\n ', "whitespace kept")
    st, _, _ = call("GET", "/plain/x")
    eq(st, 405, "GET on plain")
    st, _, _ = call("POST", "/nowhere", b"{}", JSON_CT)
    eq(st, 404, "unknown path")
    with open(os.path.join(CLOUD.workdir, "messages.jsonl")) as f:
        logged = [json.loads(line) for line in f]
    eq([m.get("body") or base64.b64decode(m["body_base64"]) for m in logged[-3:]],
       ["not json at all", blob, ' \n{"a" :\t[1, 2]}\n '], "the JSONL log")


@case
def keepalive_chunked_pipelined():
    c = conn()
    for i in range(5):
        st, _, _ = call("POST", "/v1/ka", b'{"i": %d}' % i, {"Authorization": DROGUE, **JSON_CT}, c=c)
        eq(st, 202, "keep-alive request %d" % i)
    c.close()
    eq(CLOUD.stats()["connections"], 1, "five requests, one connection")
    s = raw_tls()
    body = b'{"chunked": [1, 2, 3], "pad": "' + b"x" * 3000 + b'"}'
    chunks = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(body[i:i + 1000]), body[i:i + 1000]) for i in range(0, len(body), 1000))
    req1 = (b"POST /v1/chunk HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + DROGUE.encode() +
            b"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\nX-Trailer: 1\r\n\r\n")
    req2 = (b"POST /plain/p HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{}")
    req3 = b"POST /plain/p HTTP/1.1\r\nContent-Length: 0\r\n\r\n"           # no Host: 400 and close
    s.sendall(req1 + req2 + req3)
    got = read_responses(s, 3)
    eq([g[0] for g in got], [202, 200, 400], "pipelined statuses")
    eq(got[2][1].get("connection"), "close", "error closes")
    s.close()
    m = CLOUD.messages()
    eq(m[5]["body"].encode(), body, "chunked body")
    eq(len(m), 7, "messages")


@case
def expect_continue_and_curl():
    if not shutil.which("curl"):
        raise SkipCase("curl not installed")
    ca = CLOUD.ca
    big = os.path.join(tempfile.mkdtemp(), "big.json")
    with open(big, "w") as f:
        json.dump({"data": "y" * 200000}, f)
    r = subprocess.run(["curl", "-sS", "--cacert", ca, "-u", "device1@app1:secret", "-H", "Expect: 100-continue",
                        "-H", "Content-Type: application/json", "--data-binary", "@" + big,
                        "-o", "/dev/null", "-w", "%{http_code}", CLOUD.url("/v1/big")],
                       capture_output=True, text=True, timeout=30)
    eq(r.stdout, "202", "curl big upload with Expect: 100-continue (%s)" % r.stderr)
    CLOUD.command("drogue", "device1", "set-led", {"on": False})
    r = subprocess.run(["curl", "-sS", "-i", "--cacert", ca, "-u", "device1@app1:secret", "-d", '{"a":1}',
                        "-H", "Content-Type: application/json", CLOUD.url("/v1/x?ct=5")],
                       capture_output=True, text=True, timeout=30)
    if "command: set-led" not in r.stdout or not r.stdout.rstrip().endswith('{"on":false}'):
        raise AssertionError("curl did not get the command: %r %r" % (r.stdout, r.stderr))
    r = subprocess.run(["curl", "-sS", "--cacert", ca, "-o", "/dev/null", "-w", "%{http_code}", "-u",
                        "device1@tenant1:secret", "-H", "hono-ttd: 1", "-d", "{}", CLOUD.url("/telemetry", "127.0.0.1")],
                       capture_output=True, text=True, timeout=30)
    eq(r.stdout, "202", "curl hono ttd=1 by IP address")
    with open(os.path.join(CLOUD.workdir, "messages.jsonl")) as f:
        text = f.read()
    if "secret" in text or DROGUE.split()[1] in text:
        raise AssertionError("credentials in the message log")


@case
def long_poll_woken_by_command():
    out = {}

    def poll():
        out["r"] = call("GET", "/api/v1/TOKEN1/rpc?timeout=20000")
    t = threading.Thread(target=poll)
    t.start()
    CLOUD.wait_for(lambda s: s["polls"] >= 1, what="the poll to arrive")
    cid = CLOUD.command("thingsboard", "device1", "ping")
    t.join(25)
    eq(out["r"][0], 200, "woken poll")
    eq(json.loads(out["r"][2]), {"id": int(cid), "method": "ping", "params": None}, "rpc")


@case
def abandoned_poll_does_not_take_commands():
    s = raw_tls()
    s.sendall(b"POST /v1/x?ct=30 HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + DROGUE.encode() +
              b"\r\nContent-Length: 2\r\n\r\n{}")
    CLOUD.wait_for(lambda st: st["polls"] >= 1, what="the poll")
    s.close()                                   # the device goes away mid-poll
    CLOUD.wait_for(lambda st: st["active_connections"] == 0, what="the cloud to notice")
    cid = CLOUD.command("drogue", "device1", "for-the-next-poll")
    st, h, _ = call("POST", "/v1/x?ct=5", b'{}', {"Authorization": DROGUE, **JSON_CT})
    eq((st, h.get("command")), (200, "for-the-next-poll"), "command %s after an abandoned poll" % cid)


# ------------------------------------------------------------------ faults
class SkipCase(Exception):
    pass


@case
def fault_drop_and_status():
    CLOUD.faults(drop_every=3, status_503_every=2, retry_after=7)
    c = conn()
    st, _, _ = call("POST", "/plain/1", b"{}", JSON_CT, c=c)
    eq(st, 200, "request 1")
    st, h, _ = call("POST", "/plain/2", b"{}", JSON_CT, c=c)
    eq((st, h.get("retry-after")), (503, "7"), "request 2")
    try:
        st, _, _ = call("POST", "/plain/3", b"{}", JSON_CT, c=c)
        raise AssertionError("request 3 answered %d, expected a dropped connection" % st)
    except (http.client.RemoteDisconnected, ConnectionError, ssl.SSLError):
        pass
    c.close()
    CLOUD.faults(status_429_every=1)
    st, h, _ = call("POST", "/plain/4", b"{}", JSON_CT)
    eq((st, h.get("retry-after")), (429, None), "429 without retry_after")
    s = CLOUD.stats()
    eq((s["messages"], s["dropped"], s["status_503"], s["status_429"]), (1, 1, 1, 1), "stats")
    CLOUD.faults(drop_after_accept_every=1)
    c = conn()
    try:
        call("POST", "/plain/5", b'{"dup": 1}', JSON_CT, c=c)
        raise AssertionError("drop_after_accept answered")
    except (http.client.RemoteDisconnected, ConnectionError, ssl.SSLError):
        pass
    eq(CLOUD.messages()[-1]["body"], '{"dup": 1}', "recorded before the drop")
    cid = CLOUD.command("drogue", "device1", "keep-me")
    try:
        call("POST", "/v1/x?ct=1", b'{}', {"Authorization": DROGUE, **JSON_CT})
    except (http.client.RemoteDisconnected, ConnectionError, ssl.SSLError):
        pass
    eq([c["id"] for c in CLOUD.pending()], [cid], "a command on a dropped answer is re-queued")
    CLOUD.clear_faults()
    st, _, _ = call("POST", "/plain/6", b"{}", JSON_CT)
    eq(st, 200, "after clear")


@case
def fault_delay_and_refuse():
    CLOUD.faults(delay_ms=300)
    t0 = time.monotonic()
    st, _, _ = call("POST", "/plain/d", b"{}", JSON_CT)
    eq(st, 200, "delayed")
    if time.monotonic() - t0 < 0.3:
        raise AssertionError("delay_ms 300 answered sooner")
    CLOUD.faults(refuse=True)
    try:
        call("POST", "/plain/r", b"{}", JSON_CT)
        raise AssertionError("refuse: answered")
    except (ConnectionError, ssl.SSLError, OSError):
        pass
    eq(CLOUD.stats()["refused"], 1, "refused")
    try:
        CLOUD.faults(bogus=1)
        raise AssertionError("unknown fault accepted")
    except Exception as e:
        if "400" not in str(e):
            raise


@case
def restart():
    c = conn()
    eq(call("POST", "/plain/before", b"{}", JSON_CT, c=c)[0], 200, "before")
    out = {}

    def poll():
        try:
            out["r"] = call("POST", "/v1/x?ct=30", b'{}', {"Authorization": DROGUE, **JSON_CT})
        except Exception as e:
            out["e"] = e
    t = threading.Thread(target=poll)
    t.start()
    CLOUD.wait_for(lambda s: s["polls"] >= 1, what="the poll")
    CLOUD.restart(down_ms=400)
    t.join(10)
    if "e" not in out:
        raise AssertionError("the long poll survived the restart: %r" % (out,))
    s = CLOUD.stats()
    eq((s["listening"], s["active_connections"], s["restarts"]), (False, 0, 1), "down")
    try:
        call("POST", "/plain/old", b"{}", JSON_CT, c=c)
        raise AssertionError("old connection still answered")
    except (http.client.RemoteDisconnected, ConnectionError, ssl.SSLError, OSError):
        pass
    CLOUD.wait_for(lambda s: s["listening"], what="the listener to come back")
    cid = CLOUD.command("drogue", "device1", "after")
    st, h, _ = call("POST", "/v1/x?ct=2", b'{}', {"Authorization": DROGUE, **JSON_CT})
    eq((st, h.get("command")), (200, "after"), "same port after restart")
    eq(CLOUD.pending(), [], "command %s delivered" % cid)


@case
def reset_and_control_errors():
    CLOUD.command("hono", "device1", "x")
    CLOUD.faults(delay_ms=1)
    call("POST", "/plain/a", b"{}", JSON_CT)
    CLOUD.reset()
    s = CLOUD.stats()
    eq((s["messages"], s["pending_commands"], s["connections"], s["requests"]), (0, 0, 0, 0), "reset")
    eq(CLOUD.get("/faults"), {}, "faults cleared")
    for bad in ({"dialect": "nope", "device": "d", "name": "n"}, {"dialect": "hono", "name": "n"}):
        try:
            CLOUD.post("/commands", bad)
            raise AssertionError("bad command accepted: %r" % bad)
        except Exception as e:
            if "400" not in str(e):
                raise


def main():
    global CLOUD, CTX
    ap = argparse.ArgumentParser()
    ap.add_argument("--pki", required=True)
    ap.add_argument("cases", nargs="*")
    a = ap.parse_args()
    pki_case = os.path.join(a.pki, "p256")
    CTX = ssl.create_default_context(cafile=os.path.join(pki_case, "ca.pem"))
    CLOUD = Cloud.start(pki_case=pki_case)
    passed = failed = skipped = 0
    try:
        for fn in CASES:
            if a.cases and not any(s in fn.__name__ for s in a.cases):
                continue
            CLOUD.reset()
            t0 = time.monotonic()
            try:
                fn()
                passed += 1
                print("PASS %-30s %.2fs" % (fn.__name__, time.monotonic() - t0), flush=True)
            except SkipCase as e:
                skipped += 1
                print("SKIP %-30s %s" % (fn.__name__, e), flush=True)
            except Exception as e:
                failed += 1
                print("FAIL %-30s %s" % (fn.__name__, e), flush=True)
                traceback.print_exc(limit=3)
            if not CLOUD.alive():
                print("FAIL the cloud died; output in %s/cloud.out" % CLOUD.workdir)
                failed += 1
                break
    finally:
        CLOUD.stop()
    print("%d passed, %d failed%s" % (passed, failed, ", %d skipped" % skipped if skipped else ""))
    if failed == 0:
        shutil.rmtree(CLOUD.workdir, ignore_errors=True)
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The dtls test cloud: an HTTPS/1.1 server on loopback that speaks the drogue,
hono, thingsboard and plain dialects of DESIGN.md §3, records every accepted
message, queues commands, and injects faults. Python 3 standard library only.

    cloud.py --cert LEAF.pem --key KEY.pem [--chain CHAIN.pem] [--port 0]
             [--control-port 0] [--log FILE.jsonl] [--ready-file FILE]
             [--users FILE.json] [--host 127.0.0.1] [--min-tls 1.2|1.3] [--watch-pid PID]
             [--client-ca CA.pem]

When both listeners are up it writes {"port":N,"control_port":M,"pid":P} to
--ready-file (a temporary file renamed into place) and prints one line on stdout.
SIGTERM / SIGINT stop it, and so does the end of --watch-pid's process (a test
killed by a timeout leaves no cloud behind). SSLKEYLOGFILE is honoured (for Wireshark).

Dialects (HTTPS port; HTTP/1.1 keep-alive, Content-Length or chunked bodies)
  drogue       POST /v1/<channel>       Basic device@application:password (403 if bad)
               ?ct=S waits up to S seconds for a command: 200 + "command: <name>",
               body = payload; otherwise (or without ct) 202.
  hono         POST /telemetry, /event  Basic auth-id@tenant:password (401 if bad)
               "hono-ttd: S" (header or query) waits: 200 + hono-command,
               hono-cmd-req-id, body = payload; otherwise 202.
               POST /command/res/<req-id>?hono-cmd-status=<code>  the response, 202.
  thingsboard  POST /api/v1/<token>/telemetry (and /attributes)  200
               GET  /api/v1/<token>/rpc?timeout=<ms>  200 {"id","method","params"} or 408
               POST /api/v1/<token>/rpc/<id>           the response, 200.  Unknown token 401.
  plain        POST /plain/<anything>   200, no auth, no commands.
  --client-ca CA.pem: every connection must present a client certificate that
  chains to CA.pem (TLS 1.3: the handshake fails with certificate_required or
  the verification alert). Then drogue and hono also take the certificate as the
  device's credential (as their X.509 device authentication does): a request
  without Authorization is the device named by the certificate's CN, in
  application / tenant "x509", and its message carries "auth": "x509".
  GET /healthz  200 (for load-balancer checks; not counted, no faults).
  A body whose Content-Type is JSON (application/json, */*+json; and every
  thingsboard telemetry) must be strict UTF-8 JSON, otherwise 400.

Users (--users FILE.json; these are the defaults):
  {"drogue": {"device1@app1": "secret"}, "hono": {"device1@tenant1": "secret"},
   "thingsboard": {"TOKEN1": "device1"}}          (token -> device name)

Every accepted message is one line of the JSONL log (flushed at once):
  {"n","dialect","device","kind","method","path","query","headers" (all but
   authorization/cookie), "content_type","body" (UTF-8) or "body_base64","body_len","time"}

Control API (plain HTTP on 127.0.0.1:control_port, JSON in and out)
  POST /commands {"dialect","device","name", one of "payload" (any JSON value; a
       string is sent as text/plain bytes, anything else as compact JSON),
       "payload_base64" (raw bytes, application/octet-stream); optional
       "content_type"}  -> {"id": "..."}; queued per dialect+device, delivered once.
       For thingsboard the device may be the token; params = the JSON payload.
  GET  /commands                    pending (undelivered) commands
  GET  /messages[?dialect=&device=&since=N]  accepted messages (n >= since)
  GET  /responses                   command responses received
  GET  /stats                       counters (connections, requests, messages, ...)
  GET  /faults                      the faults in force
  POST /faults {"drop_every": N, "drop_after_accept_every": N, "status_503_every": N,
       "status_429_every": N, "retry_after": S, "delay_ms": M, "refuse": bool}
       drop_every: every Nth request is read and the connection closed without an
       answer (nothing recorded); drop_after_accept_every: the message is recorded,
       then the connection is closed without an answer (the client cannot know it
       was delivered: the duplicate maker). The Nth counts requests since the faults
       were set. refuse: connections are closed right after accept.
  POST /faults/clear
  POST /restart {"down_ms": 500}    close the listener and every open connection,
       listen again on the same port after down_ms.
  POST /reset                       clear messages, responses, commands, faults, stats
  POST /shutdown                    stop the cloud
"""
import argparse
import base64
import binascii
import collections
import itertools
import json
import os
import secrets
import signal
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

MAX_LINE = 8192          # request line and each header line
MAX_HEADERS = 100
MAX_BODY = 16 << 20
MAX_WAIT = 300.0         # longest long poll the cloud holds, seconds
IDLE_TIMEOUT = 120.0     # keep-alive connection idle limit
HANDSHAKE_TIMEOUT = 10.0
TCP_ESTABLISHED = 1      # Linux tcp_info.tcpi_state

DEFAULT_USERS = {
    "drogue": {"device1@app1": "secret"},
    "hono": {"device1@tenant1": "secret"},
    "thingsboard": {"TOKEN1": "device1"},
}

REASONS = {
    100: "Continue", 200: "OK", 202: "Accepted", 400: "Bad Request", 401: "Unauthorized",
    403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout",
    411: "Length Required", 413: "Payload Too Large", 429: "Too Many Requests",
    431: "Request Header Fields Too Large", 500: "Internal Server Error",
    501: "Not Implemented", 503: "Service Unavailable", 505: "HTTP Version Not Supported",
}

TOKEN_CHARS = set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie"}
FAULT_KEYS = ("drop_every", "drop_after_accept_every", "status_503_every", "status_429_every",
              "retry_after", "delay_ms", "refuse")


class HttpError(Exception):
    def __init__(self, status, message=""):
        super().__init__(message or REASONS.get(status, ""))
        self.status = status


class Request:
    __slots__ = ("method", "target", "path", "query", "version", "headers", "body", "keep_alive")

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)


class Response:
    def __init__(self, status, headers=None, body=b"", command=None):
        self.status = status
        self.headers = list(headers or [])
        self.body = body
        self.command = command      # a Command this response delivers (re-queued if unsent)


class Command:
    def __init__(self, cid, dialect, device, name, payload, content_type, params):
        self.id = cid
        self.dialect = dialect
        self.device = device
        self.name = name
        self.payload = payload          # bytes
        self.content_type = content_type
        self.params = params            # JSON value (thingsboard)
        self.created = time.time()

    def public(self):
        d = {"id": self.id, "dialect": self.dialect, "device": self.device, "name": self.name,
             "content_type": self.content_type}
        d.update(body_fields(self.payload))
        return d


def body_fields(data):
    try:
        return {"body": data.decode("utf-8"), "body_len": len(data)}
    except UnicodeDecodeError:
        return {"body_base64": base64.b64encode(data).decode("ascii"), "body_len": len(data)}


def is_json_type(ct):
    if not ct:
        return False
    mt = ct.split(";", 1)[0].strip().lower()
    return mt == "application/json" or mt.endswith("+json")


def _no_constants(name):
    raise ValueError("not JSON: " + name)


def check_json(data):
    """Strict RFC 8259: UTF-8, no NaN/Infinity. Raises HttpError(400)."""
    try:
        json.loads(data.decode("utf-8"), parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError) as e:
        raise HttpError(400, "invalid JSON body: %s" % e)


def read_line(rfile):
    line = rfile.readline(MAX_LINE + 1)
    if len(line) > MAX_LINE:
        raise HttpError(431, "line too long")
    return line


def read_request(rfile, send_continue):
    """One request from rfile, or None at a clean end of stream."""
    line = read_line(rfile)
    blanks = 0
    while line in (b"\r\n", b"\n"):        # RFC 9112 2.2: ignore leading empty lines
        blanks += 1
        if blanks > 4:
            raise HttpError(400, "empty lines")
        line = read_line(rfile)
    if not line:
        return None
    if not line.endswith(b"\n"):
        raise HttpError(400, "truncated request line")
    try:
        method, target, version = line.decode("ascii").rstrip("\r\n").split(" ")
    except (UnicodeDecodeError, ValueError):
        raise HttpError(400, "malformed request line")
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise HttpError(505 if version.startswith("HTTP/") else 400, "bad version")
    if not method or any(c not in TOKEN_CHARS for c in method):
        raise HttpError(400, "bad method")
    headers = {}
    count = 0
    while True:
        h = read_line(rfile)
        if not h.endswith(b"\n"):
            raise HttpError(400, "truncated header")
        if h in (b"\r\n", b"\n"):
            break
        count += 1
        if count > MAX_HEADERS:
            raise HttpError(431, "too many headers")
        if h[:1] in (b" ", b"\t"):
            raise HttpError(400, "obsolete line folding")
        try:
            text = h.decode("latin-1").rstrip("\r\n")
        except UnicodeDecodeError:
            raise HttpError(400, "bad header")
        name, sep, value = text.partition(":")
        if not sep or not name or any(c not in TOKEN_CHARS for c in name):
            raise HttpError(400, "bad header line")
        name = name.lower()
        value = value.strip(" \t")
        headers[name] = headers[name] + ", " + value if name in headers else value
    req = Request()
    req.method, req.target, req.version, req.headers = method, target, version, headers
    if version == "HTTP/1.1" and "host" not in headers:
        raise HttpError(400, "HTTP/1.1 request without Host")
    conn_tokens = {t.strip().lower() for t in headers.get("connection", "").split(",")}
    req.keep_alive = ("close" not in conn_tokens) if version == "HTTP/1.1" else ("keep-alive" in conn_tokens)
    if target.startswith("/"):
        parts = urlsplit(target)
    elif target.startswith(("http://", "https://")):
        parts = urlsplit(target)
    else:
        raise HttpError(400, "bad request target")
    req.path = unquote(parts.path) or "/"
    req.query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}

    te = headers.get("transfer-encoding")
    cl = headers.get("content-length")
    if te is not None and cl is not None:
        raise HttpError(400, "both Transfer-Encoding and Content-Length")
    if headers.get("expect", "").lower() == "100-continue" and (te or (cl and cl != "0")):
        send_continue()
    if te is not None:
        codings = [c.strip().lower() for c in te.split(",")]
        if codings != ["chunked"]:
            raise HttpError(501, "unsupported transfer-coding")
        req.body = read_chunked(rfile)
    elif cl is not None:
        vals = {v.strip() for v in cl.split(",")}
        if len(vals) != 1 or not next(iter(vals)).isdigit():
            raise HttpError(400, "bad Content-Length")
        n = int(next(iter(vals)))
        if n > MAX_BODY:
            raise HttpError(413)
        req.body = rfile.read(n) if n else b""
        if len(req.body) != n:
            raise ConnectionError("body truncated")
    else:
        req.body = b""
    return req


def read_chunked(rfile):
    out = bytearray()
    while True:
        line = read_line(rfile)
        if not line.endswith(b"\n"):
            raise ConnectionError("chunk size truncated")
        size_text = line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise HttpError(400, "bad chunk size")
        if size_text.startswith((b"-", b"+", b"0x", b"0X")) or size < 0:
            raise HttpError(400, "bad chunk size")
        if size == 0:
            break
        if len(out) + size > MAX_BODY:
            raise HttpError(413)
        data = rfile.read(size)
        if len(data) != size:
            raise ConnectionError("chunk truncated")
        out += data
        if read_line(rfile) not in (b"\r\n", b"\n"):
            raise HttpError(400, "chunk not followed by CRLF")
    while True:                                 # trailers
        t = read_line(rfile)
        if not t:
            raise ConnectionError("trailers truncated")
        if t in (b"\r\n", b"\n"):
            break
    return bytes(out)


def basic_auth(req):
    """(user, password) from a Basic Authorization header, or (None, None)."""
    h = req.header("authorization", "")
    scheme, _, b64 = h.partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        text = base64.b64decode(b64.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    user, sep, pw = text.partition(":")
    return (user, pw) if sep else (None, None)


def seconds(value, what):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise HttpError(400, "bad %s" % what)
    if v != v or v < 0:
        raise HttpError(400, "bad %s" % what)
    return min(v, MAX_WAIT)


def milliseconds(value, what):
    """A wait given in milliseconds, as seconds (capped after the conversion)."""
    return min(seconds(float(value) / 1000.0 if _is_number(value) else value, what), MAX_WAIT)


def _is_number(value):
    try:
        float(value)
        return True
    except (TypeError, ValueError):
        return False


class Conn:
    """One accepted TLS connection. close() may be called from any thread: it
    shuts the socket down underneath the reader (a dup of the fd, so the SSL
    object the serving thread uses is left alone) and the serving thread ends."""

    def __init__(self, sock, addr):
        self.sock = sock
        self.addr = addr
        self.closed = False
        self.client_cn = None    # CN of a verified client certificate (--client-ca)
        self._lock = threading.Lock()

    def peer_gone(self):
        """Has the client closed or reset the connection? A long poll checks this while
        it waits, so a client that went away (SIGINT, SIGKILL) cannot take a command
        with it. TCP state rather than a read: a close_notify or a pipelined request
        may be buffered ahead of the FIN."""
        if self.closed:
            return True
        try:
            fd = self.sock.fileno()
            if fd < 0:
                return True
            s = socket.socket(fileno=os.dup(fd))
            try:
                info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)
            finally:
                s.close()
        except OSError:
            return True
        return info[0] != TCP_ESTABLISHED

    def abort(self):
        with self._lock:
            if self.closed:
                return
            self.closed = True
            try:
                fd = self.sock.fileno()
                if fd >= 0:
                    s = socket.socket(fileno=os.dup(fd))
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    finally:
                        s.close()
            except OSError:
                pass


class Cloud:
    def __init__(self, ctx, host, port, users, log_path):
        self.ctx = ctx
        self.host = host
        self.port = port
        self.users = users
        self.log = open(log_path, "a", encoding="utf-8") if log_path else None
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.conns = set()
        self.listener = None
        self.accept_thread = None
        self.listening = False
        self.stopping = False
        self.ids = itertools.count(1)
        self._clear()

    # ------------------------------------------------------------ state
    def _clear(self):
        self.messages = []
        self.responses = []
        self.queue = collections.defaultdict(collections.deque)   # (dialect, device) -> commands
        self.awaiting = {}                                         # id -> delivered command
        self.faults = {}
        self.fault_seq = 0
        keep = getattr(self, "stats", {})
        self.stats = collections.Counter()
        self.stats["restarts"] = keep.get("restarts", 0) if keep else 0

    def reset(self):
        with self.lock:
            self._clear()
            self.cond.notify_all()

    def stats_snapshot(self):
        with self.lock:
            s = {k: 0 for k in ("connections", "tls_handshakes", "tls_failures", "requests", "messages",
                                "rejected", "polls", "commands_queued", "commands_delivered",
                                "responses", "dropped", "status_503", "status_429", "refused", "restarts")}
            s.update(self.stats)
            s["active_connections"] = len(self.conns)
            s["pending_commands"] = sum(len(q) for q in self.queue.values())
            s["listening"] = self.listening
            s["port"] = self.port
            return s

    def device_for_token(self, token):
        return self.users.get("thingsboard", {}).get(token)

    def queue_command(self, spec):
        dialect = spec.get("dialect")
        if dialect not in ("drogue", "hono", "thingsboard"):
            raise ValueError("dialect must be drogue, hono or thingsboard")
        device = spec.get("device")
        name = spec.get("name")
        if not isinstance(device, str) or not device or not isinstance(name, str) or not name:
            raise ValueError("device and name are required strings")
        if dialect == "thingsboard" and self.device_for_token(device):
            device = self.device_for_token(device)
        ct = spec.get("content_type")
        if "payload_base64" in spec:
            payload = base64.b64decode(spec["payload_base64"])
            ct = ct or "application/octet-stream"
            params = spec["payload_base64"]
        elif "payload" not in spec:
            payload, params = b"", None
        elif isinstance(spec["payload"], str):
            payload = spec["payload"].encode("utf-8")
            ct = ct or "text/plain; charset=utf-8"
            params = spec["payload"]
        else:
            payload = json.dumps(spec["payload"], separators=(",", ":")).encode("utf-8")
            ct = ct or "application/json"
            params = spec["payload"]
        with self.lock:
            n = next(self.ids)
            cid = ("r%d-%s" % (n, secrets.token_hex(3))) if dialect == "hono" else str(n)
            cmd = Command(cid, dialect, device, name, payload, ct, params)
            self.queue[(dialect, device)].append(cmd)
            self.stats["commands_queued"] += 1
            self.cond.notify_all()
            return cmd

    def take_command(self, dialect, device, timeout, conn):
        """Wait up to timeout seconds for a command for dialect/device; None if none."""
        deadline = time.monotonic() + timeout
        with self.cond:
            self.stats["polls"] += 1
            while True:
                q = self.queue.get((dialect, device))
                if q:
                    cmd = q.popleft()
                    self.stats["commands_delivered"] += 1
                    if dialect in ("hono", "thingsboard"):
                        self.awaiting[cmd.id] = cmd
                    return cmd
                left = deadline - time.monotonic()
                if left <= 0 or self.stopping or conn.peer_gone():
                    return None
                self.cond.wait(min(left, 0.2))

    def requeue(self, cmd):
        with self.cond:
            self.awaiting.pop(cmd.id, None)
            self.stats["commands_delivered"] -= 1
            self.queue[(cmd.dialect, cmd.device)].appendleft(cmd)
            self.cond.notify_all()

    def record(self, req, dialect, device, kind, extra=None):
        ct = req.header("content-type")
        rec = {"dialect": dialect, "device": device, "kind": kind, "method": req.method, "path": req.path,
               "query": req.query,
               "headers": {k: v for k, v in req.headers.items() if k not in SECRET_HEADERS},
               "content_type": ct, "time": time.time()}
        rec.update(body_fields(req.body))
        if extra:
            rec.update(extra)
        with self.lock:
            rec["n"] = len(self.messages)
            self.messages.append(rec)
            self.stats["messages"] += 1
            if self.log:
                self.log.write(json.dumps(rec, separators=(",", ":")) + "\n")
                self.log.flush()
        return rec

    def record_response(self, req, cmd, status):
        rec = {"dialect": cmd.dialect, "device": cmd.device, "id": cmd.id, "name": cmd.name,
               "status": status, "content_type": req.header("content-type"), "time": time.time()}
        rec.update(body_fields(req.body))
        with self.lock:
            self.responses.append(rec)
            self.stats["responses"] += 1
        return rec

    def response_target(self, dialect, device, cid):
        with self.lock:
            cmd = self.awaiting.get(cid)
            if cmd is None or cmd.dialect != dialect or cmd.device != device:
                raise HttpError(404, "no command %s awaiting a response" % cid)
            del self.awaiting[cid]
            return cmd

    # ------------------------------------------------------------ dialects
    def dispatch(self, req, conn):
        path = req.path
        if path == "/healthz":
            return Response(200, [("Content-Type", "text/plain")], b"ok\n")
        if path.startswith("/v1/") and len(path) > 4:
            return self.drogue(req, conn)
        if path in ("/telemetry", "/event") or path.startswith(("/telemetry/", "/event/")):
            return self.hono_publish(req, conn)
        if path.startswith("/command/res/"):
            return self.hono_response(req, conn)
        if path.startswith("/api/v1/"):
            return self.thingsboard(req, conn)
        if path.startswith("/plain/"):
            return self.plain(req)
        raise HttpError(404, "no such endpoint")

    @staticmethod
    def need_method(req, *methods):
        if req.method not in methods:
            raise HttpError(405, "use " + " or ".join(methods))

    @staticmethod
    def check_body(req, always_json=False):
        if always_json or is_json_type(req.header("content-type")):
            check_json(req.body)

    def command_response(self, cmd, extra_headers):
        hdrs = list(extra_headers)
        if cmd.content_type:
            hdrs.append(("Content-Type", cmd.content_type))
        return Response(200, hdrs, cmd.payload, command=cmd)

    def device_auth(self, req, conn, dialect, refused):
        """(device, realm, extra log fields) of a drogue or hono request: a verified client
        certificate's CN when the request has no Authorization (realm "x509"), else Basic
        device@realm:password from the users table; HttpError(refused) otherwise."""
        if conn.client_cn and req.header("authorization") is None:
            return conn.client_cn, "x509", {"auth": "x509"}
        user, pw = basic_auth(req)
        if user is None or "@" not in user or self.users.get(dialect, {}).get(user) != pw:
            raise HttpError(refused, "bad credentials")
        device, realm = user.rsplit("@", 1)
        return device, realm, {}

    def drogue(self, req, conn):
        self.need_method(req, "POST")
        device, app, auth = self.device_auth(req, conn, "drogue", 403)
        self.check_body(req)
        self.record(req, "drogue", device, "telemetry", dict(auth, application=app, channel=req.path[4:]))
        if "ct" in req.query:
            cmd = self.take_command("drogue", device, seconds(req.query["ct"], "ct"), conn)
            if cmd:
                return self.command_response(cmd, [("command", cmd.name)])
        return Response(202)

    def hono_publish(self, req, conn):
        self.need_method(req, "POST", "PUT")
        device, tenant, auth = self.device_auth(req, conn, "hono", 401)
        self.check_body(req)
        kind = req.path.strip("/").split("/")[0]
        self.record(req, "hono", device, kind, dict(auth, tenant=tenant))
        ttd = req.header("hono-ttd", req.query.get("hono-ttd"))
        if ttd is not None:
            cmd = self.take_command("hono", device, seconds(ttd, "hono-ttd"), conn)
            if cmd:
                return self.command_response(cmd, [("hono-command", cmd.name), ("hono-cmd-req-id", cmd.id)])
        return Response(202)

    def hono_response(self, req, conn):
        self.need_method(req, "POST", "PUT")
        device = self.device_auth(req, conn, "hono", 401)[0]
        cid = req.path.rstrip("/").rsplit("/", 1)[-1]
        status = req.query.get("hono-cmd-status", req.header("hono-cmd-status"))
        if status is None or not status.isdigit() or not 200 <= int(status) <= 599:
            raise HttpError(400, "hono-cmd-status missing or not a status code")
        self.check_body(req)
        cmd = self.response_target("hono", device, cid)
        self.record_response(req, cmd, int(status))
        return Response(202)

    def thingsboard(self, req, conn):
        parts = req.path[len("/api/v1/"):].split("/")
        token = parts[0]
        device = self.device_for_token(token)
        if device is None:
            raise HttpError(401, "unknown token")
        rest = parts[1:]
        if rest in (["telemetry"], ["attributes"]):
            self.need_method(req, "POST")
            self.check_body(req, always_json=True)
            self.record(req, "thingsboard", device, rest[0])
            return Response(200)
        if rest == ["rpc"]:
            self.need_method(req, "GET")
            timeout = milliseconds(req.query.get("timeout", "0"), "timeout")
            cmd = self.take_command("thingsboard", device, timeout, conn)
            if cmd is None:
                return Response(408)
            body = json.dumps({"id": int(cmd.id), "method": cmd.name, "params": cmd.params},
                              separators=(",", ":")).encode()
            return Response(200, [("Content-Type", "application/json")], body, command=cmd)
        if len(rest) == 2 and rest[0] == "rpc":
            self.need_method(req, "POST")
            self.check_body(req)
            cmd = self.response_target("thingsboard", device, rest[1])
            self.record_response(req, cmd, None)
            return Response(200)
        raise HttpError(404, "no such thingsboard endpoint")

    def plain(self, req):
        self.need_method(req, "POST", "PUT")
        self.check_body(req)
        self.record(req, "plain", None, "plain")
        return Response(200, [("Content-Type", "application/json")], b'{"accepted":true}')

    # ------------------------------------------------------------ HTTP/TLS plumbing
    def start_listener(self):
        ls = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        end = time.monotonic() + 10
        while True:
            try:
                ls.bind((self.host, self.port))
                break
            except OSError:
                if self.port == 0 or time.monotonic() > end:
                    ls.close()
                    raise
                time.sleep(0.05)
        ls.listen(128)
        self.port = ls.getsockname()[1]
        with self.lock:
            self.listener = ls
            self.listening = True
        self.accept_thread = threading.Thread(target=self.accept_loop, args=(ls,), daemon=True)
        self.accept_thread.start()

    def stop_listener(self):
        with self.lock:
            ls, self.listener = self.listener, None
            self.listening = False
        if ls is not None:
            try:
                ls.shutdown(socket.SHUT_RDWR)      # wakes accept() on Linux
            except OSError:
                pass
            ls.close()
        if self.accept_thread is not None:
            self.accept_thread.join(5)

    def close_all(self):
        with self.lock:
            conns = list(self.conns)
        for c in conns:
            c.abort()
        with self.cond:
            self.cond.notify_all()

    def restart(self, down_ms):
        with self.lock:
            self.stats["restarts"] += 1
        self.stop_listener()
        self.close_all()

        def reopen():
            if not self.stopping:
                self.start_listener()
        t = threading.Timer(max(0, down_ms) / 1000.0, reopen)
        t.daemon = True
        t.start()

    def stop(self):
        self.stopping = True
        self.stop_listener()
        self.close_all()

    def accept_loop(self, ls):
        while True:
            try:
                sock, addr = ls.accept()
            except OSError:
                return
            with self.lock:
                if self.listener is not ls:
                    sock.close()
                    return
                self.stats["connections"] += 1
                refuse = self.faults.get("refuse")
                if refuse:
                    self.stats["refused"] += 1
            if refuse:
                sock.close()
                continue
            threading.Thread(target=self.serve, args=(sock, addr), daemon=True).start()

    def serve(self, raw, addr):
        # Small responses go out at once (no Nagle delay behind the client's delayed ACK).
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        raw.settimeout(HANDSHAKE_TIMEOUT)
        conn = Conn(raw, addr)
        with self.lock:
            self.conns.add(conn)
        tls = None
        try:
            try:
                tls = self.ctx.wrap_socket(raw, server_side=True)
            except (OSError, ssl.SSLError):
                with self.lock:
                    self.stats["tls_failures"] += 1
                return
            conn.sock = tls
            peer = tls.getpeercert()
            if peer:
                for rdn in peer.get("subject", ()):
                    for k, v in rdn:
                        if k == "commonName":
                            conn.client_cn = v
            with self.lock:
                self.stats["tls_handshakes"] += 1
            if conn.closed:
                return
            rfile = tls.makefile("rb", buffering=65536)
            while not conn.closed:
                tls.settimeout(IDLE_TIMEOUT)
                try:
                    req = read_request(rfile, lambda: tls.sendall(b"HTTP/1.1 100 Continue\r\n\r\n"))
                except HttpError as e:
                    with self.lock:
                        self.stats["rejected"] += 1
                    self.send(conn, Response(e.status, [("Content-Type", "text/plain")],
                                             (str(e) + "\n").encode()), keep=False)
                    return
                if req is None:
                    return
                tls.settimeout(MAX_WAIT + 60)     # a long poll, then a write the peer must take
                if not self.handle(conn, req):
                    return
        except (OSError, ssl.SSLError, ConnectionError, ValueError):
            return
        finally:
            conn.abort()
            try:
                (tls or raw).close()
            except OSError:
                pass
            with self.lock:
                self.conns.discard(conn)

    def handle(self, conn, req):
        """Answer one request; False when the connection must close."""
        if req.path == "/healthz":
            return self.send(conn, self.dispatch(req, conn), req.keep_alive)
        with self.lock:
            self.stats["requests"] += 1
            f = dict(self.faults)
            self.fault_seq += 1
            n = self.fault_seq
        if f.get("delay_ms"):
            time.sleep(f["delay_ms"] / 1000.0)
        if f.get("drop_every") and n % f["drop_every"] == 0:
            with self.lock:
                self.stats["dropped"] += 1
            conn.abort()
            return False
        for code in (503, 429):
            every = f.get("status_%d_every" % code)
            if every and n % every == 0:
                hdrs = [("Content-Type", "text/plain")]
                if f.get("retry_after") is not None:
                    hdrs.append(("Retry-After", str(int(f["retry_after"]))))
                with self.lock:
                    self.stats["status_%d" % code] += 1
                return self.send(conn, Response(code, hdrs, b"injected fault\n"), req.keep_alive)
        try:
            resp = self.dispatch(req, conn)
        except HttpError as e:
            with self.lock:
                self.stats["rejected"] += 1
            hdrs = [("Content-Type", "text/plain")]
            if e.status == 401:
                hdrs.append(("WWW-Authenticate", 'Basic realm="dtls test cloud"'))
            resp = Response(e.status, hdrs, (str(e) + "\n").encode())
        every = f.get("drop_after_accept_every")
        if every and n % every == 0 and 200 <= resp.status < 300:
            with self.lock:
                self.stats["dropped"] += 1
            if resp.command is not None:
                self.requeue(resp.command)
            conn.abort()
            return False
        if conn.closed:                             # restarted while this request waited
            if resp.command is not None:
                self.requeue(resp.command)
            return False
        ok = self.send(conn, resp, req.keep_alive)
        if not ok and resp.command is not None:
            self.requeue(resp.command)
        return ok and req.keep_alive

    def send(self, conn, resp, keep):
        head = ["HTTP/1.1 %d %s" % (resp.status, REASONS.get(resp.status, "Unknown")),
                "Server: dtls-test-cloud"]
        head += ["%s: %s" % (k, v) for k, v in resp.headers]
        head.append("Content-Length: %d" % len(resp.body))
        if not keep:
            head.append("Connection: close")
        data = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + resp.body
        try:
            conn.sock.sendall(data)
        except (OSError, ssl.SSLError, ValueError):
            return False
        return keep


# ---------------------------------------------------------------- control API
class ControlHandler(BaseHTTPRequestHandler):
    cloud = None
    server_version = "dtls-test-cloud-control"

    def log_message(self, fmt, *args):     # quiet
        pass

    def reply(self, status, obj):
        body = (json.dumps(obj) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def json_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        if not raw.strip():
            return {}
        obj = json.loads(raw)
        if not isinstance(obj, dict):
            raise ValueError("expected a JSON object")
        return obj

    def do_GET(self):
        c = self.cloud
        u = urlsplit(self.path)
        q = {k: v[-1] for k, v in parse_qs(u.query).items()}
        if u.path == "/messages":
            since = int(q.get("since", 0))
            with c.lock:
                msgs = [m for m in c.messages[since:]
                        if ("dialect" not in q or m["dialect"] == q["dialect"])
                        and ("device" not in q or m["device"] == q["device"])]
            return self.reply(200, msgs)
        if u.path == "/responses":
            with c.lock:
                return self.reply(200, list(c.responses))
        if u.path == "/commands":
            with c.lock:
                return self.reply(200, [cmd.public() for q_ in c.queue.values() for cmd in q_])
        if u.path == "/stats":
            return self.reply(200, c.stats_snapshot())
        if u.path == "/faults":
            with c.lock:
                return self.reply(200, dict(c.faults))
        return self.reply(404, {"error": "no such endpoint"})

    def do_POST(self):
        c = self.cloud
        path = urlsplit(self.path).path
        try:
            body = self.json_body()
            if path == "/commands":
                cmd = c.queue_command(body)
                return self.reply(200, {"id": cmd.id, "device": cmd.device})
            if path == "/reset":
                c.reset()
                return self.reply(200, {"ok": True})
            if path == "/faults":
                unknown = set(body) - set(FAULT_KEYS)
                if unknown:
                    raise ValueError("unknown fault(s): " + ", ".join(sorted(unknown)))
                for k, v in body.items():
                    if k == "refuse":
                        if not isinstance(v, bool):
                            raise ValueError("refuse must be true or false")
                    elif not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
                        raise ValueError("%s must be a number >= 0" % k)
                with c.lock:
                    c.faults = {k: v for k, v in body.items() if v}
                    c.fault_seq = 0
                    return self.reply(200, dict(c.faults))
            if path == "/faults/clear":
                with c.lock:
                    c.faults = {}
                    c.fault_seq = 0
                return self.reply(200, {})
            if path == "/restart":
                down = body.get("down_ms", 500)
                if not isinstance(down, (int, float)) or down < 0:
                    raise ValueError("down_ms must be a number >= 0")
                c.restart(down)
                return self.reply(200, {"ok": True, "down_ms": down})
            if path == "/shutdown":
                self.reply(200, {"ok": True})
                STOP.set()
                return None
        except (ValueError, KeyError, TypeError, binascii.Error) as e:
            return self.reply(400, {"error": str(e)})
        return self.reply(404, {"error": "no such endpoint"})


STOP = threading.Event()


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def write_ready(path, info):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        json.dump(info, f)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description="dtls test cloud (loopback HTTPS, three IoT dialects)")
    ap.add_argument("--cert", required=True, help="server certificate (PEM)")
    ap.add_argument("--key", required=True, help="its private key (PEM)")
    ap.add_argument("--chain", help="leaf + intermediates (PEM); served instead of --cert alone")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--control-port", type=int, default=0)
    ap.add_argument("--log", help="append accepted messages here (JSONL)")
    ap.add_argument("--ready-file", help='write {"port","control_port","pid"} here once listening')
    ap.add_argument("--users", help="users JSON (see the module docstring)")
    ap.add_argument("--min-tls", choices=("1.2", "1.3"), default="1.2")
    ap.add_argument("--watch-pid", type=int, help="exit when this process is gone (the test or script that started us)")
    ap.add_argument("--client-ca", help="require client certificates that chain to this CA (PEM)")
    a = ap.parse_args(argv)
    if a.host not in ("127.0.0.1", "::1", "localhost"):
        ap.error("the test cloud listens on loopback only")

    users = DEFAULT_USERS
    if a.users:
        with open(a.users) as f:
            users = json.load(f)

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3 if a.min_tls == "1.3" else ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(a.chain or a.cert, a.key)
    if a.client_ca:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(a.client_ca)
    if os.environ.get("SSLKEYLOGFILE"):
        ctx.keylog_filename = os.environ["SSLKEYLOGFILE"]

    host = "127.0.0.1" if a.host == "localhost" else a.host
    cloud = Cloud(ctx, host, a.port, users, a.log)
    cloud.start_listener()

    ControlHandler.cloud = cloud
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
    control = ThreadingHTTPServer((host, a.control_port), ControlHandler)
    threading.Thread(target=control.serve_forever, daemon=True).start()

    info = {"port": cloud.port, "control_port": control.server_address[1], "pid": os.getpid()}
    if a.ready_file:
        write_ready(a.ready_file, info)
    print("dtls test cloud: https://%s:%d  control http://%s:%d  pid %d"
          % (host, cloud.port, host, info["control_port"], info["pid"]), flush=True)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: STOP.set())
    while not STOP.wait(1):
        if a.watch_pid and not pid_alive(a.watch_pid):
            break
    cloud.stop()
    control.shutdown()
    control.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A scriptable TLS 1.3 server (RFC 8446) for the hostile-server suite.

Written for tests, on python3-cryptography: X25519 and P-256 key exchange,
the RFC 8446 7.1 key schedule (HKDF over hashlib/hmac), AES-GCM and
ChaCha20-Poly1305 record protection, ECDSA / Ed25519 / RSA-PSS
CertificateVerify, HelloRetryRequest, client authentication requests,
NewSessionTicket and PSK resumption, KeyUpdate.

A Session is one accepted connection. Its methods are the steps of a server
handshake (hello, hello_retry, server_hello, ee, certificate, cert_verify,
finished, ...), each with parameters to misbehave; a test case is a short
script of those steps. Messages are queued and written by flush(), so a case
decides how they are cut into records (frag, split, pad) and how many
writes carry them.

Everything the client sends is read and decoded, alerts included: an alert
under handshake or application keys is decrypted, and recorded as
"name@epoch" (epoch: plain, hs, app, app:N after N client KeyUpdates).
"""
import hashlib
import hmac
import os
import socket
import struct

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

CCS, ALERT, HANDSHAKE, APPDATA = 20, 21, 22, 23
CH, SH, NST, EOED, EE, CERT, CR, CV, FIN, KU, MSG_HASH = 1, 2, 4, 5, 8, 11, 13, 15, 20, 24, 254

E_SNI, E_MFL, E_STATUS, E_GROUPS, E_SIGALGS, E_ALPN = 0, 1, 5, 10, 13, 16
E_RSL, E_PSK, E_EARLY, E_VERSIONS, E_COOKIE, E_PSK_MODES = 28, 41, 42, 43, 44, 45
E_CERT_AUTHORITIES, E_SIGALGS_CERT, E_KEY_SHARE = 47, 50, 51

X25519, SECP256R1, SECP384R1 = 0x001D, 0x0017, 0x0018

ALERTS = {
    0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 22: "record_overflow",
    40: "handshake_failure", 42: "bad_certificate", 43: "unsupported_certificate",
    44: "certificate_revoked", 45: "certificate_expired", 46: "certificate_unknown",
    47: "illegal_parameter", 48: "unknown_ca", 49: "access_denied", 50: "decode_error",
    51: "decrypt_error", 70: "protocol_version", 71: "insufficient_security",
    80: "internal_error", 86: "inappropriate_fallback", 90: "user_canceled",
    109: "missing_extension", 110: "unsupported_extension", 112: "unrecognized_name",
    116: "certificate_required", 120: "no_application_protocol",
}

HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")

# suite -> (name, AEAD class, key length, hash name)
SUITES = {
    0x1301: ("TLS_AES_128_GCM_SHA256", AESGCM, 16, "sha256"),
    0x1302: ("TLS_AES_256_GCM_SHA384", AESGCM, 32, "sha384"),
    0x1303: ("TLS_CHACHA20_POLY1305_SHA256", ChaCha20Poly1305, 32, "sha256"),
}

IO_TIMEOUT = 10.0
# Tickets this process issued: ticket -> (psk, suite). Shared by the connections of a case.
TICKETS = {}


# ---- encoding -------------------------------------------------------------

def u8(v):
    return bytes([v])


def u16(v):
    return struct.pack(">H", v)


def u24(v):
    return struct.pack(">I", v)[1:]


def u32(v):
    return struct.pack(">I", v)


def vec8(b):
    return u8(len(b)) + b


def vec16(b):
    return u16(len(b)) + b


def vec24(b):
    return u24(len(b)) + b


def ext(t, body=b""):
    return u16(t) + vec16(body)


def exts(lst):
    return b"".join(ext(t, b) for t, b in lst)


def alert_name(d):
    return ALERTS.get(d, "alert_%d" % d)


class Reader:
    def __init__(self, b):
        self.b, self.i = bytes(b), 0

    def take(self, n):
        if self.i + n > len(self.b):
            raise Bad("client message too short")
        out = self.b[self.i:self.i + n]
        self.i += n
        return out

    def int(self, n):
        return int.from_bytes(self.take(n), "big")

    def vec(self, w):
        return self.take(self.int(w))

    def left(self):
        return len(self.b) - self.i


# ---- key schedule ---------------------------------------------------------

def hlen(h):
    return hashlib.new(h).digest_size


def extract(h, salt, ikm):
    return hmac.new(salt or bytes(hlen(h)), ikm, h).digest()


def expand_label(h, secret, label, ctx, n):
    info = u16(n) + vec8(b"tls13 " + label) + vec8(ctx)
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = hmac.new(secret, t + info + u8(i), h).digest()
        out += t
        i += 1
    return out[:n]


def derive(h, secret, label, th):
    return expand_label(h, secret, label, th, hlen(h))


def finished_mac(h, base, th):
    return hmac.new(expand_label(h, base, b"finished", b"", hlen(h)), th, h).digest()


class Keys:
    """One direction of record protection (RFC 8446 5.2, 5.3)."""

    def __init__(self, suite, secret):
        _, aead, klen, h = SUITES[suite]
        self.suite, self.secret, self.h = suite, secret, h
        self.aead = aead(expand_label(h, secret, b"key", b"", klen))
        self.iv = expand_label(h, secret, b"iv", b"", 12)
        self.seq = 0

    def nonce(self):
        n = bytes(a ^ b for a, b in zip(self.iv, bytes(4) + struct.pack(">Q", self.seq)))
        self.seq += 1
        return n

    def seal_inner(self, inner, tamper=False):
        hdr = bytes([APPDATA, 3, 3]) + u16(len(inner) + 16)
        ct = self.aead.encrypt(self.nonce(), inner, hdr)
        if tamper:
            ct = ct[:-1] + u8(ct[-1] ^ 0x80)
        return hdr + ct

    def seal(self, ctype, content, pad=0, tamper=False):
        return self.seal_inner(content + u8(ctype) + bytes(pad), tamper)

    def open(self, hdr, body):
        inner = self.aead.decrypt(self.nonce(), body, hdr)
        inner = inner.rstrip(b"\x00")
        if not inner:
            raise Bad("client sent a record with no content type")
        return inner[-1], inner[:-1]

    def next(self):
        return Keys(self.suite, expand_label(self.h, self.secret, b"traffic upd", b"", hlen(self.h)))


# ---- the server's credentials ------------------------------------------------

class Identity:
    """A gen-pki case: the chain (DER, leaf first) and the key, with its signing scheme."""

    def __init__(self, case_dir):
        with open(os.path.join(case_dir, "chain.pem"), "rb") as f:
            pem = f.read()
        end = b"-----END CERTIFICATE-----"
        self.chain = [x509.load_pem_x509_certificate(b + end).public_bytes(serialization.Encoding.DER)
                      for b in pem.split(end) if b"-----BEGIN CERTIFICATE-----" in b]
        with open(os.path.join(case_dir, "key.pem"), "rb") as f:
            self.key = serialization.load_pem_private_key(f.read(), None)
        k = self.key
        if isinstance(k, ec.EllipticCurvePrivateKey):
            self.scheme = 0x0403 if k.curve.name == "secp256r1" else 0x0503
        elif isinstance(k, ed25519.Ed25519PrivateKey):
            self.scheme = 0x0807
        else:
            self.scheme = 0x0804

    def sign(self, content):
        k = self.key
        if self.scheme == 0x0403:
            return k.sign(content, ec.ECDSA(hashes.SHA256()))
        if self.scheme == 0x0503:
            return k.sign(content, ec.ECDSA(hashes.SHA384()))
        if self.scheme == 0x0807:
            return k.sign(content)
        return k.sign(content, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())


# ---- ClientHello ---------------------------------------------------------------

class ClientHello:
    def __init__(self, msg):
        self.msg = msg
        r = Reader(msg[4:])
        self.version = r.int(2)
        self.random = r.take(32)
        self.sid = r.vec(1)
        s = r.vec(2)
        self.suites = [int.from_bytes(s[i:i + 2], "big") for i in range(0, len(s), 2)]
        self.comp = r.vec(1)
        self.ext = []
        e = Reader(r.vec(2))
        while e.left():
            self.ext.append((e.int(2), e.vec(2)))
        self.types = [t for t, _ in self.ext]
        d = dict(self.ext)
        self.d = d
        self.groups = self._u16list(d.get(E_GROUPS), 2)
        self.sigalgs = self._u16list(d.get(E_SIGALGS), 2)
        self.versions = self._u16list(d.get(E_VERSIONS), 1)
        self.shares = []
        if E_KEY_SHARE in d:
            ks = Reader(Reader(d[E_KEY_SHARE]).vec(2))
            while ks.left():
                self.shares.append((ks.int(2), ks.vec(2)))
        self.alpn = []
        if E_ALPN in d:
            a = Reader(Reader(d[E_ALPN]).vec(2))
            while a.left():
                self.alpn.append(a.vec(1))
        self.cookie = Reader(d[E_COOKIE]).vec(2) if E_COOKIE in d else None
        self.psk = None
        if E_PSK in d:
            p = Reader(d[E_PSK])
            ids, binders = Reader(p.vec(2)), Reader(p.vec(2))
            idl = []
            while ids.left():
                idl.append((ids.vec(2), ids.int(4)))
            bl = []
            while binders.left():
                bl.append(binders.vec(1))
            self.psk = (idl, bl, 2 + len(binders.b))

    @staticmethod
    def _u16list(body, w):
        if body is None:
            return []
        v = Reader(body).vec(w)
        return [int.from_bytes(v[i:i + 2], "big") for i in range(0, len(v), 2)]


# ---- the connection ---------------------------------------------------------------

class Bad(Exception):
    """The client did something the server-side checks do not accept."""


class ClientGone(Exception):
    """The client sent an alert, closed, or reset the connection."""


def raw_public(k):
    """The 32-byte X25519 public value (public_bytes_raw needs cryptography >= 40;
    Debian 12 has 38)."""
    return k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_exchange(group, peer):
    """(our share, shared secret) for a client share."""
    if group == X25519:
        k = x25519.X25519PrivateKey.generate()
        return raw_public(k), k.exchange(x25519.X25519PublicKey.from_public_bytes(peer))
    if group == SECP256R1:
        k = ec.generate_private_key(ec.SECP256R1())
        pub = k.public_key().public_bytes(serialization.Encoding.X962,
                                          serialization.PublicFormat.UncompressedPoint)
        return pub, k.exchange(ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), peer))
    raise Bad("no key share for group %#x" % group)


class Session:
    def __init__(self, sock, ident):
        self.sock = sock
        sock.settimeout(IO_TIMEOUT)
        self.id = ident
        self.rbuf = b""
        self.hbuf = bytearray()
        self.th = bytearray()          # transcript (messages as sent/received)
        self.suite, self.h = 0x1301, "sha256"
        self.group = None
        self.ch = self.ch1 = None
        self.wkeys = self.rkeys = None
        self.r_epoch = "plain"
        self.c_gen = self.s_gen = 0
        self.alerts = []                # what the client sent: "name@epoch"
        self.pending = []               # [ctype, bytearray, keys] records to write
        self.frag = 16384               # content bytes per record
        self.split = False              # one record per handshake message
        self.pad = 0                    # zero padding in protected records
        self.ccs_seen = 0
        self.finished_ok = False
        self.app_in = bytearray()
        self.early = None               # early secret when a PSK was accepted
        self.psk_accepted = False
        self.cr_sent = False
        self.client_certs = None
        self.notes = []

    # ---- bytes in ----
    def _recv(self, n):
        while len(self.rbuf) < n:
            try:
                d = self.sock.recv(65536)
            except socket.timeout:
                raise ClientGone("timeout")
            except OSError as e:
                raise ClientGone(str(e))
            if not d:
                raise ClientGone("eof")
            self.rbuf += d
        out, self.rbuf = self.rbuf[:n], self.rbuf[n:]
        return out

    def read_record(self):
        """The next record the client sent, opened: (content type, content). An alert
        is recorded and raises ClientGone."""
        hdr = self._recv(5)
        body = self._recv(int.from_bytes(hdr[3:5], "big"))
        ctype, epoch = hdr[0], "plain"
        if ctype == APPDATA and self.rkeys:
            epoch = self.r_epoch
            try:
                ctype, body = self.rkeys.open(hdr, body)
            except Bad:
                raise
            except Exception:
                self.alerts.append("undecryptable@" + epoch)
                raise ClientGone("undecryptable record")
        if ctype == ALERT:
            self.alerts.append("%s@%s" % (alert_name(body[1]) if len(body) == 2 else "malformed", epoch))
            raise ClientGone("alert")
        if ctype == CCS:
            if body != b"\x01" or epoch != "plain":
                raise Bad("bad change_cipher_spec from the client")
            self.ccs_seen += 1
        return ctype, body

    def read_hs(self):
        """The next handshake message (records reassembled, CCS skipped)."""
        while True:
            if len(self.hbuf) >= 4:
                n = 4 + int.from_bytes(self.hbuf[1:4], "big")
                if len(self.hbuf) >= n:
                    m = bytes(self.hbuf[:n])
                    del self.hbuf[:n]
                    return m
            ctype, body = self.read_record()
            if ctype == CCS:
                continue
            if ctype != HANDSHAKE:
                raise Bad("expected a handshake record, got type %d" % ctype)
            self.hbuf += body

    def read_app(self):
        """The next application data record's content; b"" after a post-handshake
        message (a KeyUpdate, handled here)."""
        while True:
            ctype, body = self.read_record()
            if ctype == APPDATA:
                self.app_in += body
                return body
            if ctype == HANDSHAKE:
                self.hbuf += body
                while len(self.hbuf) >= 4 and len(self.hbuf) >= 4 + int.from_bytes(self.hbuf[1:4], "big"):
                    n = 4 + int.from_bytes(self.hbuf[1:4], "big")
                    m = bytes(self.hbuf[:n])
                    del self.hbuf[:n]
                    self.on_client_post_handshake(m)
                return b""
            raise Bad("unexpected record type %d after the handshake" % ctype)

    def on_client_post_handshake(self, m):
        if m[0] != KU or len(m) != 5 or m[4] > 1:
            raise Bad("unexpected post-handshake message %d from the client" % m[0])
        if self.hbuf:
            raise Bad("client KeyUpdate does not end its record")
        self.rkeys = self.rkeys.next()
        self.c_gen += 1
        self.r_epoch = "app:%d" % self.c_gen
        self.notes.append("client KeyUpdate(%d)" % m[4])
        if m[4] == 1:
            self.key_update(0)
            self.flush()

    def expect_app(self, want):
        while len(self.app_in) < len(want):
            self.read_app()
        got = bytes(self.app_in[:len(want)])
        del self.app_in[:len(want)]
        if got != want:
            raise Bad("client sent %r, expected %r" % (got, want))

    def drain(self):
        """Read until the client closes (alerts are recorded on the way)."""
        try:
            while True:
                self.read_app()
        except ClientGone:
            pass

    # ---- bytes out ----
    def queue(self, ctype, payload, keys="current"):
        keys = self.wkeys if keys == "current" else keys
        p = self.pending
        if (ctype == HANDSHAKE and p and p[-1][0] == HANDSHAKE and p[-1][2] is keys and not self.split):
            p[-1][1] += payload
        else:
            p.append([ctype, bytearray(payload), keys])

    def raw(self, data):
        """Bytes written as they are (already framed)."""
        self.pending.append([None, bytearray(data), None])

    def hs(self, t, body, hash=True):
        m = u8(t) + u24(len(body)) + body
        if hash:
            self.th += m
        self.queue(HANDSHAKE, m)
        return m

    def record(self, ctype, content, keys):
        if keys is None:
            return u8(ctype) + b"\x03\x03" + u16(len(content)) + content
        return keys.seal(ctype, content, self.pad)

    def flush(self):
        out = bytearray()
        for ctype, payload, keys in self.pending:
            if ctype is None:
                out += payload
                continue
            step = self.frag if ctype == HANDSHAKE else max(len(payload), 1)
            for i in range(0, max(len(payload), 1), step):
                out += self.record(ctype, bytes(payload[i:i + step]), keys)
        self.pending = []
        self.send(out)

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise ClientGone(str(e))

    def ccs(self, body=b"\x01"):
        self.queue(CCS, body, None)

    def alert(self, desc, level=2):
        self.queue(ALERT, u8(level) + u8(desc))

    def app(self, data, pad=None):
        if pad is None:
            self.queue(APPDATA, data)
        else:
            self.raw(self.wkeys.seal(APPDATA, data, pad))

    def close_notify(self):
        self.alert(0, 1)
        self.flush()

    # ---- transcript and keys ----
    def thash(self):
        return hashlib.new(self.h, bytes(self.th)).digest()

    def set_suite(self, suite):
        self.suite = suite
        if suite in SUITES:
            self.h = SUITES[suite][3]

    def derive_handshake(self, shared):
        h = self.h
        early = self.early or extract(h, b"", bytes(hlen(h)))
        self.hs_secret = extract(h, derive(h, early, b"derived", hashlib.new(h).digest()), shared)
        th = self.thash()
        self.c_hs = derive(h, self.hs_secret, b"c hs traffic", th)
        self.s_hs = derive(h, self.hs_secret, b"s hs traffic", th)
        self.wkeys = Keys(self.suite, self.s_hs)
        self.rkeys = Keys(self.suite, self.c_hs)
        self.r_epoch = "hs"

    def derive_application(self):
        h = self.h
        self.master = extract(h, derive(h, self.hs_secret, b"derived", hashlib.new(h).digest()), bytes(hlen(h)))
        th = self.thash()
        self.c_ap = derive(h, self.master, b"c ap traffic", th)
        self.s_ap = derive(h, self.master, b"s ap traffic", th)
        self.wkeys = Keys(self.suite, self.s_ap)

    # ---- handshake steps ----
    def hello(self, resume=False):
        """Read the first ClientHello; choose the client's first suite we know and the
        group of its first key share. resume: accept a ticket we issued."""
        m = self.read_hs()
        if m[0] != CH:
            raise Bad("expected ClientHello, got %d" % m[0])
        self.ch = self.ch1 = ClientHello(m)
        suite = next((s for s in self.ch.suites if s in SUITES), None)
        if suite is None:
            raise Bad("no common suite")
        self.set_suite(suite)
        self.group = self.ch.shares[0][0] if self.ch.shares else None
        if resume and self.ch.psk:
            self._accept_psk(m)
        self.th += m
        return self.ch

    def _accept_psk(self, m):
        (ids, binders, blen) = self.ch.psk
        if self.ch.types[-1] != E_PSK:
            raise Bad("pre_shared_key is not the last extension")
        ticket = ids[0][0]
        if ticket not in TICKETS:
            raise Bad("unknown ticket offered")
        psk, suite = TICKETS[ticket]
        if suite != self.suite:
            raise Bad("ticket suite differs")
        h = self.h
        early = extract(h, b"", psk)
        bk = derive(h, early, b"res binder", hashlib.new(h).digest())
        want = finished_mac(h, bk, hashlib.new(h, m[:len(m) - blen]).digest())
        if not hmac.compare_digest(want, binders[0]):
            raise Bad("PSK binder does not verify")
        self.early = early
        self.psk_accepted = True

    def hello_retry(self, ext_list, suite=None, read=True):
        """Send a HelloRetryRequest (its extensions given) and read the second ClientHello."""
        if suite is not None:
            self.set_suite(suite)
        h1 = hashlib.new(self.h, bytes(self.th)).digest()
        self.th = bytearray(u8(MSG_HASH) + u24(len(h1)) + h1)
        body = u16(0x0303) + HRR_RANDOM + vec8(self.ch.sid) + u16(self.suite) + b"\x00" + vec16(exts(ext_list))
        self.hs(SH, body)
        self.flush()
        if not read:
            return None
        m = self.read_hs()
        if m[0] != CH:
            raise Bad("expected the second ClientHello, got %d" % m[0])
        ch2 = ClientHello(m)
        self.th += m
        if ch2.random != self.ch1.random or ch2.sid != self.ch1.sid or ch2.suites != self.ch1.suites:
            raise Bad("second ClientHello changed random, session id or suites")
        self.ch = ch2
        self.group = ch2.shares[0][0] if ch2.shares else None
        return ch2

    def server_hello(self, version=0x0303, random=None, sid=None, suite=None, comp=0, ext_list=None,
                     extra=(), drop=(), group=None, share=None, versions=None):
        """The ServerHello; handshake keys are derived when the share allows it."""
        ch = self.ch
        if suite is not None:
            self.set_suite(suite)
        group = self.group if group is None else group
        shared = None
        if share is None:
            peer = dict(ch.shares).get(group)
            if peer is None:
                raise Bad("client sent no share for group %#x" % group)
            share, shared = key_exchange(group, peer)
        if ext_list is None:
            ext_list = [(E_VERSIONS, u16(0x0304) if versions is None else versions),
                        (E_KEY_SHARE, u16(group) + vec16(share))]
            if self.psk_accepted:
                ext_list.append((E_PSK, u16(0)))
            ext_list = [e for e in ext_list if e[0] not in drop]
        ext_list = list(ext_list) + list(extra)
        body = (u16(version) + (random or os.urandom(32)) + vec8(ch.sid if sid is None else sid) +
                u16(self.suite) + u8(comp) + vec16(exts(ext_list)))
        self.hs(SH, body)
        if shared is not None and self.suite in SUITES:
            self.derive_handshake(shared)

    def ee_default(self):
        """ALPN: http/1.1 when offered (this server speaks nothing else), else the
        client's first choice."""
        e = []
        if self.ch.alpn:
            proto = b"http/1.1" if b"http/1.1" in self.ch.alpn else self.ch.alpn[0]
            e.append((E_ALPN, vec16(vec8(proto))))
        return e

    def ee(self, ext_list=None, extra=()):
        e = (self.ee_default() if ext_list is None else list(ext_list)) + list(extra)
        self.hs(EE, vec16(exts(e)))

    def cert_request(self, ext_list=None):
        if ext_list is None:
            ext_list = [(E_SIGALGS, vec16(u16(0x0403) + u16(0x0804)))]
        self.hs(CR, vec8(b"") + vec16(exts(ext_list)))
        self.cr_sent = True

    def certificate(self, ders=None, ctx=b"", entry_ext=None):
        ders = self.id.chain if ders is None else ders
        entries = b"".join(vec24(d) + vec16(entry_ext(i) if entry_ext else b"") for i, d in enumerate(ders))
        self.hs(CERT, vec8(ctx) + vec24(entries))

    def cert_verify(self, scheme=None, tamper=False):
        content = b" " * 64 + b"TLS 1.3, server CertificateVerify\x00" + self.thash()
        sig = self.id.sign(content)
        if tamper:
            sig = sig[:len(sig) // 2] + u8(sig[len(sig) // 2] ^ 1) + sig[len(sig) // 2 + 1:]
        self.hs(CV, u16(self.id.scheme if scheme is None else scheme) + vec16(sig))

    def finished(self, tamper=False):
        vd = finished_mac(self.h, self.s_hs, self.thash())
        if tamper:
            vd = u8(vd[0] ^ 1) + vd[1:]
        self.hs(FIN, vd)
        if not tamper:
            self.derive_application()

    def client_finished(self):
        """Read the client's second flight and check its Finished."""
        if self.cr_sent:
            m = self.read_hs()
            if m[0] != CERT:
                raise Bad("expected the client Certificate, got %d" % m[0])
            r = Reader(m[4:])
            r.vec(1)
            self.client_certs = r.vec(3)
            self.th += m
            if self.client_certs:
                m = self.read_hs()
                if m[0] != CV:
                    raise Bad("expected the client CertificateVerify")
                self.th += m
        m = self.read_hs()
        if m[0] != FIN:
            raise Bad("expected the client Finished, got %d" % m[0])
        if not hasattr(self, "master"):
            raise Bad("the client answered a server flight it should have refused")
        if m[4:] != finished_mac(self.h, self.c_hs, self.thash()):
            raise Bad("client Finished does not verify")
        if self.hbuf:
            raise Bad("client Finished does not end its record")
        self.finished_ok = True
        self.th += m
        self.res_master = derive(self.h, self.master, b"res master", self.thash())
        self.rkeys = Keys(self.suite, self.c_ap)
        self.r_epoch = "app"

    def full(self, resume=False):
        """A complete, correct handshake (compatibility-mode CCS after the ServerHello)."""
        self.hello(resume=resume)
        self.server_hello()
        self.ccs()
        self.flight()
        self.flush()
        self.client_finished()

    def flight(self):
        self.ee()
        if not self.psk_accepted:
            self.certificate()
            self.cert_verify()
        self.finished()

    # ---- after the handshake ----
    def new_session_ticket(self, ext_list=(), nonce=b"\x00", lifetime=3600, ticket=None):
        psk = expand_label(self.h, self.res_master, b"resumption", nonce, hlen(self.h))
        ticket = ticket or os.urandom(48)
        TICKETS[ticket] = (psk, self.suite)
        self.hs(NST, u32(lifetime) + u32(0x01020304) + vec8(nonce) + vec16(ticket) + vec16(exts(ext_list)),
                hash=False)

    def key_update(self, request):
        self.hs(KU, u8(request), hash=False)
        self.flush()
        self.wkeys = self.wkeys.next()
        self.s_gen += 1

    def wait_client_update(self, gen=1):
        while self.c_gen < gen:
            self.read_app()

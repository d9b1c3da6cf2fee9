#!/usr/bin/env python3
"""Hostile-server suite: a scripted TLS 1.3 server (tls13.py) that first is shown
correct against `openssl s_client` and curl, then misbehaves in the classic ways
against `dtls-send probe` and the blocking example client (for what happens
after the handshake).

Every case states its exact outcome: the client's exit status and error name
(probe's JSON "error", or the blocking client's message), and the alerts the
client sent, decoded by the server ("name@epoch": plain, hs = under handshake
keys, app = under application keys, app:N after N KeyUpdates). Success cases
also require the client's Finished to verify on the server side.

Usage: hostile.py --dtls-send PATH --client PATH --pki DIR [--filter SUBSTR] [-v]
Prints PASS/FAIL per case and ends with "N passed, N failed".
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tls13 import *  # noqa: E402,F401,F403

ARGS = None
CASES = []


class Case:
    def __init__(self, name, fn, expect, client, args, conns, full_backlog):
        self.name, self.fn, self.expect = name, fn, expect
        self.client, self.args, self.conns = client, list(args), conns
        self.full_backlog = full_backlog


def case(name, expect, client="probe", args=(), conns=1, full_backlog=False):
    """full_backlog: the listening socket's accept queue is kept full, so the
    client's TCP connect never completes."""
    def deco(fn):
        CASES.append(Case(name, fn, expect, client, args, conns, full_backlog))
        return fn
    return deco


def fail(error, alert=None, epoch="plain", exit=35):
    """The client fails with this error name and sends alert (None: no alert)."""
    return dict(exit=exit, error=error, alerts=["%s@%s" % (alert, epoch)] if alert else [])


def refuse(alert, epoch):
    """The client detects the problem itself: error name = alert name, sent under epoch."""
    return fail(alert, alert, epoch)


def ok(**probe):
    return dict(exit=0, alerts=["close_notify@app"], finished=True, probe=probe)


def bfail(message, alert, epoch="app"):
    """The blocking client fails after the handshake: its stderr line, exit 1, alert sent."""
    return dict(exit=1, stderr=message, alerts=["%s@%s" % (alert, epoch)] if alert else [], finished=True)


def bok(stdout, alerts=("close_notify@app",)):
    return dict(exit=0, stdout=stdout, alerts=list(alerts), finished=True)


# =========================================================================
# Reference clients: the server itself is correct.
# =========================================================================

def serve_data(s):
    s.full()
    s.expect_app(b"ping\n")
    s.app(b"pong\n")
    s.close_notify()


@case("reference: openssl s_client -tls1_3 (AES-256-GCM, verified chain)",
      dict(exit=0, finished=True, stdout_has=["Verify return code: 0 (ok)", "TLSv1.3", "pong"]),
      client="openssl")
def _(s):
    serve_data(s)


@case("reference: curl GET over HTTP/1.1 (ALPN)", dict(exit=0, finished=True, stdout="hello from hostile\n"),
      client="curl")
def _(s):
    s.full()
    if b"http/1.1" not in s.ch1.alpn:
        raise Bad("curl offered no http/1.1 in ALPN: %r" % s.ch1.alpn)
    while b"\r\n\r\n" not in s.app_in:
        s.read_app()
    if not s.app_in.startswith(b"GET /hostile HTTP/1.1\r\n"):
        raise Bad("unexpected request %r" % bytes(s.app_in[:40]))
    body = b"hello from hostile\n"
    s.app(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
    s.close_notify()


# =========================================================================
# A correct server: dtls-send must succeed.
# =========================================================================

@case("correct server: probe (AES-128-GCM, x25519, ECDSA P-256)",
      ok(cipher="TLS_AES_128_GCM_SHA256", group="x25519", signature_scheme="ecdsa_secp256r1_sha256",
         hello_retry=False, resumed=False, verified=True, chain_length=2))
def _(s):
    s.full()


@case("correct server: AES-256-GCM-SHA384 with a P-256 key share",
      ok(cipher="TLS_AES_256_GCM_SHA384", group="secp256r1"),
      args=["--ciphers", "TLS_AES_256_GCM_SHA384", "--groups", "secp256r1"])
def _(s):
    s.full()


@case("correct server: ChaCha20-Poly1305", ok(cipher="TLS_CHACHA20_POLY1305_SHA256"),
      args=["--ciphers", "TLS_CHACHA20_POLY1305_SHA256"])
def _(s):
    s.full()


@case("correct server: data both ways, close_notify both ways", bok("pong\n"), client="blocking")
def _(s):
    serve_data(s)


@case("correct server: CertificateRequest with an unknown extension (empty client Certificate)",
      ok(client_auth=True, client_cert_sent=False))
def _(s):
    s.hello()
    s.server_hello()
    s.ccs()
    s.ee()
    s.cert_request([(0x4a4a, b"grease"), (E_SIGALGS, vec16(u16(0x0403) + u16(0x0804)))])
    s.certificate()
    s.cert_verify()
    s.finished()
    s.flush()
    s.client_finished()
    if s.client_certs != b"":
        raise Bad("client sent certificates it does not have")


@case("correct server: max_fragment_length 1024 acknowledged and respected", ok(max_fragment=1024),
      args=["--max-fragment", "1024"])
def _(s):
    s.hello()
    if s.ch.d.get(E_MFL) != b"\x02":
        raise Bad("no max_fragment_length 1024 in the ClientHello")
    s.server_hello()
    s.ccs()
    s.flush()
    s.frag = 1024
    s.ee([(E_MFL, b"\x02")])
    s.certificate()
    s.cert_verify()
    s.finished()
    s.flush()
    s.client_finished()


# =========================================================================
# Version and downgrade
# =========================================================================

@case("TLS 1.2 ServerHello (no supported_versions)", refuse("protocol_version", "plain"))
def _(s):
    s.hello()
    s.server_hello(drop=[E_VERSIONS])
    s.flush()


@case("TLS 1.2 ServerHello with the downgrade sentinel DOWNGRD\\x01", refuse("illegal_parameter", "plain"))
def _(s):
    s.hello()
    s.server_hello(drop=[E_VERSIONS], random=os.urandom(24) + b"DOWNGRD\x01")
    s.flush()


@case("TLS 1.1 ServerHello with the downgrade sentinel DOWNGRD\\x00", refuse("illegal_parameter", "plain"))
def _(s):
    s.hello()
    s.server_hello(version=0x0302, drop=[E_VERSIONS], random=os.urandom(24) + b"DOWNGRD\x00")
    s.flush()


@case("supported_versions selects TLS 1.2", refuse("illegal_parameter", "plain"))
def _(s):
    s.hello()
    s.server_hello(versions=u16(0x0303))
    s.flush()


@case("ServerHello legacy_version 0x0304", refuse("illegal_parameter", "plain"))
def _(s):
    s.hello()
    s.server_hello(version=0x0304)
    s.flush()


# =========================================================================
# Parameters that were not offered
# =========================================================================

@case("cipher suite not offered (ChaCha20 when only AES-128-GCM was)", refuse("illegal_parameter", "plain"),
      args=["--ciphers", "TLS_AES_128_GCM_SHA256"])
def _(s):
    s.hello()
    s.server_hello(suite=0x1303)
    s.flush()


@case("cipher suite unknown (TLS_AES_128_CCM_SHA256)", refuse("illegal_parameter", "plain"))
def _(s):
    s.hello()
    s.server_hello(suite=0x1304)
    s.flush()


@case("key share for a group not offered (secp384r1)", refuse("illegal_parameter", "plain"))
def _(s):
    s.hello()
    s.server_hello(group=SECP384R1, share=b"\x04" + os.urandom(96))
    s.flush()


@case("key share for an offered group the client sent no share for", refuse("illegal_parameter", "plain"))
def _(s):
    s.hello()
    s.server_hello(group=SECP256R1, share=b"\x04" + os.urandom(64))
    s.flush()


@case("CertificateVerify with a scheme not offered (ecdsa_secp521r1_sha512)", refuse("illegal_parameter", "hs"))
def _(s):
    s.hello()
    s.server_hello()
    s.ee()
    s.certificate()
    s.cert_verify(scheme=0x0603)
    s.finished()
    s.flush()
    s.client_finished()


@case("CertificateVerify with rsa_pkcs1_sha256 (not allowed in TLS 1.3)", refuse("illegal_parameter", "hs"))
def _(s):
    s.hello()
    s.server_hello()
    s.ee()
    s.certificate()
    s.cert_verify(scheme=0x0401)
    s.finished()
    s.flush()
    s.client_finished()


@case("CertificateVerify scheme does not match the key (ed25519 for a P-256 key)",
      refuse("illegal_parameter", "hs"))
def _(s):
    s.hello()
    s.server_hello()
    s.ee()
    s.certificate()
    s.cert_verify(scheme=0x0807)
    s.finished()
    s.flush()
    s.client_finished()


# =========================================================================
# Key shares
# =========================================================================

@case("x25519 share all zeros (all-zero shared secret)", refuse("illegal_parameter", "plain"))
def _(s):
    s.hello()
    s.server_hello(share=bytes(32))
    s.flush()


@case("x25519 share of order 8 (all-zero shared secret)", refuse("illegal_parameter", "plain"))
def _(s):
    s.hello()
    s.server_hello(share=bytes.fromhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"))
    s.flush()


@case("x25519 share of 31 bytes", refuse("illegal_parameter", "plain"))
def _(s):
    s.hello()
    s.server_hello(share=os.urandom(31))
    s.flush()


@case("empty key_exchange", refuse("decode_error", "plain"))
def _(s):
    s.hello()
    s.server_hello(share=b"")
    s.flush()


def p256_share():
    k = ec.generate_private_key(ec.SECP256R1())
    return k.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


@case("P-256 point not on the curve", refuse("illegal_parameter", "plain"), args=["--groups", "secp256r1"])
def _(s):
    s.hello()
    p = p256_share()
    s.server_hello(share=p[:-1] + u8(p[-1] ^ 1))
    s.flush()


@case("P-256 point compressed (33 bytes)", refuse("illegal_parameter", "plain"), args=["--groups", "secp256r1"])
def _(s):
    s.hello()
    p = p256_share()
    s.server_hello(share=u8(2 + (p[-1] & 1)) + p[1:33])
    s.flush()


@case("P-256 share of 64 bytes (no 0x04 prefix)", refuse("illegal_parameter", "plain"),
      args=["--groups", "secp256r1"])
def _(s):
    s.hello()
    s.server_hello(share=p256_share()[1:])
    s.flush()


@case("P-256 point at infinity (one zero byte)", refuse("illegal_parameter", "plain"),
      args=["--groups", "secp256r1"])
def _(s):
    s.hello()
    s.server_hello(share=b"\x00")
    s.flush()


# =========================================================================
# HelloRetryRequest
# =========================================================================

def hrr_ext(group=None, cookie=None):
    e = [(E_VERSIONS, u16(0x0304))]
    if group is not None:
        e.append((E_KEY_SHARE, u16(group)))
    if cookie is not None:
        e.append((E_COOKIE, vec16(cookie)))
    return e


def finish(s):
    s.server_hello()
    s.ccs()
    s.flight()
    s.flush()
    s.client_finished()


@case("HRR with a cookie only (must work: cookie echoed, same share)", ok(hello_retry=True, group="x25519"))
def _(s):
    s.hello()
    ch2 = s.hello_retry(hrr_ext(cookie=b"hostile-cookie-\x00\xff"))
    if ch2.cookie != b"hostile-cookie-\x00\xff":
        raise Bad("cookie not echoed: %r" % ch2.cookie)
    if [g for g, _ in ch2.shares] != [X25519]:
        raise Bad("second ClientHello changed the key share")
    if s.ccs_seen != 1:
        raise Bad("no compatibility-mode CCS before the second ClientHello")
    finish(s)


@case("HRR with a group change to secp256r1 (must work)", ok(hello_retry=True, group="secp256r1"))
def _(s):
    s.hello()
    ch2 = s.hello_retry(hrr_ext(group=SECP256R1))
    if [g for g, _ in ch2.shares] != [SECP256R1] or ch2.cookie is not None:
        raise Bad("second ClientHello does not carry exactly one secp256r1 share")
    finish(s)


@case("HRR with group change and cookie, then AES-256 (must work)",
      ok(hello_retry=True, group="secp256r1", cipher="TLS_AES_256_GCM_SHA384"))
def _(s):
    s.hello()
    s.hello_retry(hrr_ext(group=SECP256R1, cookie=os.urandom(300)), suite=0x1302)
    finish(s)


@case("two HelloRetryRequests", refuse("unexpected_message", "plain"))
def _(s):
    s.hello()
    s.hello_retry(hrr_ext(cookie=b"one"))
    s.hello_retry(hrr_ext(cookie=b"two"), read=False)


@case("HRR that changes nothing (the group already shared)", refuse("illegal_parameter", "plain"))
def _(s):
    s.hello()
    s.hello_retry(hrr_ext(group=X25519), read=False)


@case("HRR with neither key_share nor cookie", refuse("illegal_parameter", "plain"))
def _(s):
    s.hello()
    s.hello_retry(hrr_ext(), read=False)


@case("HRR selecting a group not offered (secp384r1)", refuse("illegal_parameter", "plain"))
def _(s):
    s.hello()
    s.hello_retry(hrr_ext(group=SECP384R1), read=False)


@case("HRR with an unknown extension", refuse("unsupported_extension", "plain"))
def _(s):
    s.hello()
    s.hello_retry(hrr_ext(cookie=b"c") + [(0x4444, b"")], read=False)


@case("ServerHello changes the suite of the HRR", refuse("illegal_parameter", "plain"))
def _(s):
    s.hello()
    s.hello_retry(hrr_ext(cookie=b"c"), suite=0x1301)
    s.server_hello(suite=0x1303)
    s.flush()


@case("ServerHello after HRR uses the group of the first share", refuse("illegal_parameter", "plain"))
def _(s):
    s.hello()
    s.hello_retry(hrr_ext(group=SECP256R1))
    s.server_hello(group=X25519, share=raw_public(x25519.X25519PrivateKey.generate()))
    s.flush()


# =========================================================================
# Extensions
# =========================================================================

@case("duplicate extension in ServerHello (supported_versions twice)", refuse("illegal_parameter", "plain"))
def _(s):
    s.hello()
    s.server_hello(extra=[(E_VERSIONS, u16(0x0304))])
    s.flush()


@case("unknown extension in ServerHello", refuse("unsupported_extension", "plain"))
def _(s):
    s.hello()
    s.server_hello(extra=[(0x4444, b"")])
    s.flush()


@case("server_name (EE only) in ServerHello", refuse("illegal_parameter", "plain"))
def _(s):
    s.hello()
    s.server_hello(extra=[(E_SNI, b"")])
    s.flush()


@case("cookie in ServerHello", refuse("illegal_parameter", "plain"))
def _(s):
    s.hello()
    s.server_hello(extra=[(E_COOKIE, vec16(b"x"))])
    s.flush()


@case("pre_shared_key in ServerHello when none was offered", refuse("unsupported_extension", "plain"))
def _(s):
    s.hello()
    s.server_hello(extra=[(E_PSK, u16(0))])
    s.flush()


def ee_case(ext_list):
    def run(s):
        s.hello()
        s.server_hello()
        s.ee(extra=ext_list)
        s.certificate()
        s.cert_verify()
        s.finished()
        s.flush()
        s.client_finished()
    return run


case("key_share in EncryptedExtensions", refuse("illegal_parameter", "hs"))(
    ee_case([(E_KEY_SHARE, u16(X25519) + vec16(bytes(32)))]))
case("supported_versions in EncryptedExtensions", refuse("illegal_parameter", "hs"))(
    ee_case([(E_VERSIONS, u16(0x0304))]))
case("pre_shared_key in EncryptedExtensions", refuse("illegal_parameter", "hs"))(
    ee_case([(E_PSK, u16(0))]))
case("unknown extension in EncryptedExtensions", refuse("unsupported_extension", "hs"))(
    ee_case([(0x4444, b"")]))
case("ALPN in EncryptedExtensions, not offered", refuse("unsupported_extension", "hs"))(
    ee_case([(E_ALPN, vec16(vec8(b"http/1.1")))]))
case("duplicate extension in EncryptedExtensions (ALPN twice)", refuse("illegal_parameter", "hs"),
     args=["--alpn", "http/1.1"])(ee_case([(E_ALPN, vec16(vec8(b"http/1.1")))]))


@case("ALPN protocol the client did not offer", refuse("illegal_parameter", "hs"), args=["--alpn", "http/1.1"])
def _(s):
    s.hello()
    s.server_hello()
    s.ee([(E_ALPN, vec16(vec8(b"h2")))])
    s.certificate()
    s.cert_verify()
    s.finished()
    s.flush()
    s.client_finished()


@case("max_fragment_length answered with another length", refuse("illegal_parameter", "hs"),
      args=["--max-fragment", "1024"])
def _(s):
    s.hello()
    s.server_hello()
    s.ee([(E_MFL, b"\x03")])
    s.certificate()
    s.cert_verify()
    s.finished()
    s.flush()
    s.client_finished()


@case("unsolicited status_request in a CertificateEntry", refuse("unsupported_extension", "hs"))
def _(s):
    s.hello()
    s.server_hello()
    s.ee()
    s.certificate(entry_ext=lambda i: ext(E_STATUS, b"\x01" + vec24(b"ocsp")) if i == 0 else b"")
    s.cert_verify()
    s.finished()
    s.flush()
    s.client_finished()


# =========================================================================
# Certificates and authentication
# =========================================================================

@case("empty certificate list", refuse("decode_error", "hs"))
def _(s):
    s.hello()
    s.server_hello()
    s.ee()
    s.certificate(ders=[])
    s.cert_verify()
    s.finished()
    s.flush()
    s.client_finished()


@case("non-empty certificate_request_context from the server", refuse("illegal_parameter", "hs"))
def _(s):
    s.hello()
    s.server_hello()
    s.ee()
    s.certificate(ctx=b"\x01")
    s.cert_verify()
    s.finished()
    s.flush()
    s.client_finished()


@case("chain that does not lead to the trust anchor", fail("unknown_ca", "unknown_ca", "hs", exit=60))
def _(s):
    s.hello()
    s.server_hello()
    s.ee()
    s.certificate(ders=UNKNOWN_CA.chain)
    s.flush()
    s.client_finished()


@case("bad CertificateVerify signature", refuse("decrypt_error", "hs"))
def _(s):
    s.hello()
    s.server_hello()
    s.ee()
    s.certificate()
    s.cert_verify(tamper=True)
    s.finished()
    s.flush()
    s.client_finished()


@case("bad Finished", refuse("decrypt_error", "hs"))
def _(s):
    s.hello()
    s.server_hello()
    s.ee()
    s.certificate()
    s.cert_verify()
    s.finished(tamper=True)
    s.flush()
    s.client_finished()


# =========================================================================
# Messages out of order
# =========================================================================

@case("Finished before CertificateVerify", refuse("unexpected_message", "hs"))
def _(s):
    s.hello()
    s.server_hello()
    s.ee()
    s.certificate()
    s.finished()
    s.flush()
    s.client_finished()


@case("Certificate before EncryptedExtensions", refuse("unexpected_message", "hs"))
def _(s):
    s.hello()
    s.server_hello()
    s.certificate()
    s.ee()
    s.flush()
    s.client_finished()


@case("no Certificate (CertificateVerify after EncryptedExtensions)", refuse("unexpected_message", "hs"))
def _(s):
    s.hello()
    s.server_hello()
    s.ee()
    s.cert_verify()
    s.flush()
    s.client_finished()


@case("NewSessionTicket during the handshake", refuse("unexpected_message", "hs"))
def _(s):
    s.hello()
    s.server_hello()
    s.ee()
    s.hs(NST, u32(60) + u32(0) + vec8(b"") + vec16(b"t") + vec16(b""), hash=False)
    s.flush()
    s.client_finished()


@case("second ServerHello, in plaintext after the first", refuse("unexpected_message", "hs"))
def _(s):
    s.hello()
    s.server_hello()
    s.flush()
    s.raw(s.record(HANDSHAKE, s.th[-(len(s.th) - len(s.ch1.msg)):], None))
    s.flush()
    s.client_finished()


@case("EncryptedExtensions in the ServerHello's record", refuse("unexpected_message", "hs"))
def _(s):
    s.hello()
    s.server_hello()
    sh = bytes(s.pending[-1][1])
    s.pending = []
    s.raw(s.record(HANDSHAKE, sh + b"\x08\x00\x00\x02\x00\x00", None))
    s.flush()
    s.client_finished()


@case("application data before the server Finished", refuse("unexpected_message", "hs"))
def _(s):
    s.hello()
    s.server_hello()
    s.ee()
    s.app(b"early")
    s.flush()
    s.client_finished()


@case("KeyUpdate during the handshake", refuse("unexpected_message", "hs"))
def _(s):
    s.hello()
    s.server_hello()
    s.ee()
    s.hs(KU, b"\x00", hash=False)
    s.flush()
    s.client_finished()


# =========================================================================
# Records
# =========================================================================

@case("protected record over 2^14+256 bytes of ciphertext", refuse("record_overflow", "hs"))
def _(s):
    s.hello()
    s.server_hello()
    s.flush()
    s.raw(bytes([APPDATA, 3, 3]) + u16(16384 + 257) + os.urandom(16384 + 257))
    s.flush()
    s.client_finished()


@case("protected record with 2^14+1 bytes of plaintext", refuse("record_overflow", "hs"))
def _(s):
    s.hello()
    s.server_hello()
    s.flush()
    s.raw(s.wkeys.seal(HANDSHAKE, b"\x08\x00\x00\x02\x00\x00" + bytes(16384 + 1 - 6)))
    s.flush()
    s.client_finished()


@case("padding makes the inner plaintext exceed 2^14+1", refuse("record_overflow", "hs"))
def _(s):
    s.hello()
    s.server_hello()
    s.flush()
    s.raw(s.wkeys.seal(HANDSHAKE, b"\x08\x00\x00\x02\x00\x00", pad=16384 - 5))
    s.flush()
    s.client_finished()


@case("plaintext record over 2^14 bytes", refuse("record_overflow", "plain"))
def _(s):
    s.hello()
    s.raw(bytes([HANDSHAKE, 3, 3]) + u16(16385) + bytes(16385))
    s.flush()


@case("record over the acknowledged max_fragment_length (512)", refuse("record_overflow", "hs"),
      args=["--max-fragment", "512"])
def _(s):
    s.hello()
    s.server_hello()
    s.ee([(E_MFL, b"\x01")])
    s.flush()
    s.frag = 600
    s.certificate()
    s.flush()
    s.client_finished()


@case("bad AEAD tag", refuse("bad_record_mac", "hs"))
def _(s):
    s.hello()
    s.server_hello()
    s.flush()
    ee = u8(EE) + u24(2) + b"\x00\x00"
    s.raw(s.wkeys.seal(HANDSHAKE, ee, tamper=True))
    s.flush()
    s.client_finished()


@case("protected record of only padding (no content type)", refuse("unexpected_message", "hs"))
def _(s):
    s.hello()
    s.server_hello()
    s.flush()
    s.raw(s.wkeys.seal_inner(bytes(20)))
    s.flush()
    s.client_finished()


@case("zero-length handshake record (padding only)", refuse("unexpected_message", "hs"))
def _(s):
    s.hello()
    s.server_hello()
    s.flush()
    s.raw(s.wkeys.seal(HANDSHAKE, b"", pad=10))
    s.flush()
    s.client_finished()


@case("unknown record content type (24)", refuse("unexpected_message", "plain"))
def _(s):
    s.hello()
    s.raw(bytes([24, 3, 3, 0, 1, 0]))
    s.flush()


@case("record header truncated, then the connection closed", fail("connection_closed"))
def _(s):
    s.hello()
    s.server_hello()
    s.ccs()
    s.flush()
    s.send(bytes([APPDATA, 3, 3]))
    s.sock.shutdown(socket.SHUT_WR)


@case("record truncated mid-flight, then closed", fail("connection_closed"))
def _(s):
    s.hello()
    s.server_hello()
    s.ccs()
    s.ee()
    s.certificate()
    out = bytearray()
    for ctype, payload, keys in s.pending:
        out += s.record(ctype, bytes(payload), keys)
    s.pending = []
    s.send(bytes(out[:len(out) - 50]))
    s.sock.shutdown(socket.SHUT_WR)


@case("fatal alert before the ServerHello", fail("handshake_failure"))
def _(s):
    s.hello()
    s.alert(40)
    s.flush()


@case("fatal alert under handshake keys", fail("internal_error"))
def _(s):
    s.hello()
    s.server_hello()
    s.ee()
    s.alert(80)
    s.flush()


@case("change_cipher_spec with content 0x02", refuse("unexpected_message", "hs"))
def _(s):
    s.hello()
    s.server_hello()
    s.ccs(b"\x02")
    s.flush()
    s.client_finished()


@case("change_cipher_spec of two bytes", refuse("unexpected_message", "hs"))
def _(s):
    s.hello()
    s.server_hello()
    s.ccs(b"\x01\x01")
    s.flush()
    s.client_finished()


@case("change_cipher_spec inside a protected record", refuse("unexpected_message", "hs"))
def _(s):
    s.hello()
    s.server_hello()
    s.queue(CCS, b"\x01")
    s.flush()
    s.client_finished()


@case("server never answers (--max-time 1)", dict(exit=28, error="timeout", alerts=[]),
      args=["--max-time", "1"])
def _(s):
    s.hello()
    s.drain()


@case("session id not echoed (different)", refuse("illegal_parameter", "plain"))
def _(s):
    s.hello()
    s.server_hello(sid=bytes(b ^ 0xff for b in s.ch.sid))
    s.flush()


@case("session id not echoed (empty)", refuse("illegal_parameter", "plain"))
def _(s):
    s.hello()
    s.server_hello(sid=b"")
    s.flush()


@case("compression method 1", refuse("illegal_parameter", "plain"))
def _(s):
    s.hello()
    s.server_hello(comp=1)
    s.flush()


@case("server never accepts the connection (--connect-timeout 1)", dict(exit=28, error="timeout", alerts=[]),
      args=["--connect-timeout", "1"], conns=0, full_backlog=True)
def _(s):
    pass


@case("protected record with outer type handshake", refuse("unexpected_message", "hs"))
def _(s):
    s.hello()
    s.server_hello()
    s.flush()
    rec = bytearray(s.wkeys.seal(HANDSHAKE, u8(EE) + u24(2) + b"\x00\x00"))
    rec[0] = HANDSHAKE
    s.raw(bytes(rec))
    s.flush()
    s.client_finished()


@case("fatal alert with an unknown description (255)", fail("unknown"))
def _(s):
    s.hello()
    s.alert(255)
    s.flush()


@case("certificate entry larger than the receive buffer", fail("buffer_too_small", "internal_error", "hs"))
def _(s):
    s.hello()
    s.server_hello()
    s.ee()
    s.certificate(ders=[b"\x30\x82\x44\x00" + bytes(17404)])
    s.flush()
    s.client_finished()


@case("handshake message claiming 16 MB", fail("buffer_too_small", "internal_error", "hs"))
def _(s):
    s.hello()
    s.server_hello()
    s.queue(HANDSHAKE, u8(EE) + u24(0xffffff) + bytes(100))
    s.flush()
    s.client_finished()


@case("unknown handshake message type (99)", refuse("unexpected_message", "hs"))
def _(s):
    s.hello()
    s.server_hello()
    s.hs(99, b"\x00\x00")
    s.flush()
    s.client_finished()


@case("HRR with an empty cookie", refuse("decode_error", "plain"))
def _(s):
    s.hello()
    s.hello_retry(hrr_ext() + [(E_COOKIE, vec16(b""))], read=False)


@case("CertificateRequest without signature_algorithms", refuse("missing_extension", "hs"))
def _(s):
    s.hello()
    s.server_hello()
    s.ee()
    s.cert_request([(E_CERT_AUTHORITIES, vec16(b""))])
    s.certificate()
    s.cert_verify()
    s.finished()
    s.flush()
    s.client_finished()


@case("plaintext records with legacy_record_version 0x0301 (must be ignored)", ok())
def _(s):
    s.hello()
    s.server_hello()
    s.ccs()
    out = bytearray()
    for ctype, payload, keys in s.pending:
        rec = bytearray(s.record(ctype, bytes(payload), keys))
        rec[2] = 1
        out += rec
    s.pending = []
    s.raw(bytes(out))
    s.flight()
    s.flush()
    s.client_finished()


# =========================================================================
# Resumption: the first connection issues a ticket, the second misbehaves
# =========================================================================

def resume_case(name, second, alert, error=None, epoch="plain"):
    @case(name, dict(exit=35, error=error or alert, alerts=["close_notify@app", "%s@%s" % (alert, epoch)]),
          args=["--resume"], conns=2)
    def _(s, i):
        if i == 0:
            s.full()
            s.new_session_ticket()
            s.flush()
            return
        s.hello(resume=True)
        if not s.psk_accepted:
            raise Bad("the second connection did not offer the ticket")
        second(s)


def psk_identity_1(s):
    s.server_hello(drop=[E_PSK], extra=[(E_PSK, u16(1))])
    s.flush()


def psk_without_key_share(s):
    s.server_hello(drop=[E_KEY_SHARE])
    s.flush()


def psk_then_certificate(s):
    s.server_hello()
    s.ee()
    s.certificate()
    s.cert_verify()
    s.finished()
    s.flush()
    s.client_finished()


def psk_other_hash(s):
    s.server_hello(suite=0x1302)
    s.flush()


resume_case("PSK: selected_identity 1 (one identity offered)", psk_identity_1, "illegal_parameter")
resume_case("PSK accepted without key_share (psk_ke was not offered)", psk_without_key_share, "missing_extension")
resume_case("PSK accepted, then a Certificate", psk_then_certificate, "unexpected_message", epoch="hs")
resume_case("PSK accepted with a suite of another hash (AES-256/SHA-384)", psk_other_hash, "illegal_parameter")


@case("early_data in EncryptedExtensions (0-RTT was not offered)", refuse("unsupported_extension", "hs"))
def _(s):
    s.hello()
    s.server_hello()
    s.ee(extra=[(E_EARLY, b"")])
    s.certificate()
    s.cert_verify()
    s.finished()
    s.flush()
    s.client_finished()


@case("NewSessionTicket with lifetime 0 (must not be used)",
      dict(exit=35, error="no_session_ticket", alerts=["close_notify@app"], finished=True), args=["--resume"])
def _(s):
    s.full()
    s.new_session_ticket(lifetime=0)
    s.close_notify()


@case("NewSessionTicket with an empty ticket",
      dict(exit=35, error="no_session_ticket", alerts=["decode_error@app"], finished=True), args=["--resume"])
def _(s):
    s.full()
    s.hs(NST, u32(3600) + u32(0) + vec8(b"\x00") + vec16(b"") + vec16(b""), hash=False)
    s.flush()


# =========================================================================
# After the handshake (the blocking example client reads and writes)
# =========================================================================

@case("change_cipher_spec after the handshake", bfail("read: unexpected message", "unexpected_message"),
      client="blocking")
def _(s):
    s.full()
    s.expect_app(b"ping\n")
    s.ccs()
    s.flush()


@case("bad AEAD tag on application data", bfail("read: bad record MAC", "bad_record_mac"), client="blocking")
def _(s):
    s.full()
    s.expect_app(b"ping\n")
    s.raw(s.wkeys.seal(APPDATA, b"pong\n", tamper=True))
    s.flush()


@case("KeyUpdate with request_update = 2", bfail("read: illegal parameter", "illegal_parameter"),
      client="blocking")
def _(s):
    s.full()
    s.expect_app(b"ping\n")
    s.hs(KU, b"\x02", hash=False)
    s.flush()


@case("KeyUpdate followed by data in the same record", bfail("read: unexpected message", "unexpected_message"),
      client="blocking")
def _(s):
    s.full()
    s.expect_app(b"ping\n")
    s.raw(s.wkeys.seal(HANDSHAKE, u8(KU) + u24(1) + b"\x00" + u8(KU) + u24(1) + b"\x00"))
    s.flush()


@case("alert record of three bytes", bfail("read: decode error", "decode_error"), client="blocking")
def _(s):
    s.full()
    s.expect_app(b"ping\n")
    s.raw(s.wkeys.seal(ALERT, b"\x02\x28\x00"))
    s.flush()


# =========================================================================
# Legal but odd: must work
# =========================================================================

@case("every handshake record 1 byte long", ok(cipher="TLS_AES_128_GCM_SHA256"))
def _(s):
    s.frag = 1
    s.full()


@case("all records (each message its own) in one write", ok())
def _(s):
    s.split = True
    s.hello()
    s.server_hello()
    s.ccs()
    s.flight()
    s.flush()
    s.client_finished()


@case("change_cipher_spec before the ServerHello", ok())
def _(s):
    s.hello()
    s.ccs()
    s.server_hello()
    s.flight()
    s.flush()
    s.client_finished()


@case("handshake records padded (1000 zero bytes each)", ok())
def _(s):
    s.pad = 1000
    s.split = True
    s.full()


@case("zero-length application data records with padding, then data", bok("pong\n"), client="blocking")
def _(s):
    s.full()
    s.expect_app(b"ping\n")
    s.app(b"", pad=0)
    s.app(b"", pad=300)
    s.app(b"pong\n", pad=7)
    s.close_notify()


@case("KeyUpdate(update_requested) then data", bok("pong\n", alerts=["close_notify@app:1"]), client="blocking")
def _(s):
    s.full()
    s.expect_app(b"ping\n")
    s.key_update(1)
    s.app(b"pong\n")
    s.flush()
    s.wait_client_update(1)
    s.close_notify()


@case("NewSessionTicket with unknown extensions, then resumption",
      dict(exit=0, alerts=["close_notify@app", "close_notify@app"], finished=True,
           probe=dict(resumed=True, signature_scheme=None)),
      args=["--resume"], conns=2)
def _(s, i):
    s.full(resume=(i == 1))
    if i == 0:
        s.new_session_ticket([(0x4a4a, b"grease"), (E_EARLY, u32(0)), (0x7777, os.urandom(40))])
        s.flush()
    elif not s.psk_accepted:
        raise Bad("the second connection did not offer the ticket")


# =========================================================================
# Runner
# =========================================================================

def run_client(c, port):
    ca = os.path.join(ARGS.pki, "p256", "ca.pem")
    stdin = None
    if c.client == "probe":
        argv = [ARGS.dtls_send, "probe", "--json", "--cacert", ca]
        if "--max-time" not in c.args:
            argv += ["--max-time", "10"]
        argv += c.args + ["localhost:%d" % port]
    elif c.client == "blocking":
        argv = [ARGS.client, "--cacert", ca, "localhost", str(port), "ping\n"]
    elif c.client == "openssl":
        argv = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-servername", "localhost",
                "-tls1_3", "-CAfile", ca, "-verify_return_error", "-verify_hostname", "localhost", "-ign_eof"]
        stdin = b"ping\n"
    elif c.client == "curl":
        argv = ["curl", "-sS", "--max-time", "10", "--cacert", ca, "--resolve", "localhost:%d:127.0.0.1" % port,
                "https://localhost:%d/hostile" % port]
    p = subprocess.run(argv, input=stdin, stdin=None if stdin else subprocess.DEVNULL, capture_output=True,
                       timeout=15)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def run_case(c):
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(0 if c.full_backlog else 4)
    lsock.settimeout(20)
    port = lsock.getsockname()[1]
    sessions, problems = [], []
    fillers = []
    if c.full_backlog:
        # backlog 0 queues one connection; with it never accepted, later SYNs are dropped
        f = socket.create_connection(("127.0.0.1", port))
        fillers.append(f)

    def serve():
        for i in range(c.conns):
            try:
                conn, _ = lsock.accept()
            except socket.timeout:
                problems.append("the client did not connect (connection %d)" % (i + 1))
                return
            s = Session(conn, IDENT)
            sessions.append(s)
            try:
                if c.conns == 1:
                    c.fn(s)
                else:
                    c.fn(s, i)
                s.drain()
            except ClientGone:
                s.drain()
            except Bad as e:
                problems.append("server: " + str(e))
            except Exception:
                problems.append("server crashed: " + traceback.format_exc().strip().splitlines()[-1])
                if ARGS.verbose:
                    traceback.print_exc()
            conn.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        rc, out, err = run_client(c, port)
    except subprocess.TimeoutExpired:
        rc, out, err = None, "", "client timed out"
    t.join(15)
    lsock.close()
    for f in fillers:
        f.close()
    if t.is_alive():
        problems.append("server did not finish")

    e = c.expect
    if rc != e["exit"]:
        problems.append("exit %s, expected %d" % (rc, e["exit"]))
    if c.client == "probe":
        ev = {}
        for line in out.splitlines():
            try:
                ev = json.loads(line)
            except ValueError:
                pass
        if "error" in e and ev.get("error") != e["error"]:
            problems.append("error %r, expected %r" % (ev.get("error"), e["error"]))
        for k, v in e.get("probe", {}).items():
            if ev.get(k) != v:
                problems.append("%s = %r, expected %r" % (k, ev.get(k), v))
    if "Sanitizer" in err or "runtime error:" in err:
        problems.append("sanitizer report: " + err.strip()[:500])
    if "stderr" in e and e["stderr"] not in err:
        problems.append("stderr %r does not contain %r" % (err.strip(), e["stderr"]))
    if "stdout" in e and out != e["stdout"]:
        problems.append("stdout %r, expected %r" % (out[:200], e["stdout"]))
    for want in e.get("stdout_has", []):
        if want not in out:
            problems.append("output lacks %r" % want)
    alerts = [a for s in sessions for a in s.alerts]
    if "alerts" in e and alerts != e["alerts"]:
        problems.append("client alerts %s, expected %s" % (alerts, e["alerts"]))
    if e.get("finished") and not all(s.finished_ok for s in sessions):
        problems.append("the client Finished was not verified by the server")
    if len(sessions) != c.conns and not problems:
        problems.append("%d connections, expected %d" % (len(sessions), c.conns))
    if ARGS.verbose:
        print("  exit %s alerts %s\n  stdout %s\n  stderr %s" % (rc, alerts, out.strip()[:300], err.strip()[:300]))
    return problems


def markdown(rows):
    """The cases as a Markdown table: what the client must do, and whether it did."""
    where = {"plain": "plaintext", "hs": "handshake keys", "app": "application keys"}
    out = ["| Case | Client | Outcome | Alert the client sent | Result |", "|---|---|---|---|---|"]
    for c, passed in rows:
        e = c.expect
        client = {"probe": "probe", "blocking": "data", "openssl": "s_client", "curl": "curl"}[c.client]
        if e["exit"] == 0:
            outcome = "success" + ("" if c.client not in ("probe",) or not e.get("probe") else " (" + ", ".join(
                "%s=%s" % (k, json.dumps(v)) for k, v in e["probe"].items()) + ")")
        elif "error" in e:
            outcome = "exit %d `%s`" % (e["exit"], e["error"])
        else:
            outcome = "exit %d, \"%s\"" % (e["exit"], e.get("stderr", ""))
        alerts = []
        for a in e.get("alerts", []):
            name, epoch = a.split("@")
            alerts.append("%s (%s)" % (name, where.get(epoch, epoch.replace("app:", "application keys after KeyUpdate "))))
        if "alerts" not in e:
            alert = "(not checked)"
        else:
            alert = ", ".join(alerts) if alerts else "none"
        out.append("| %s | %s | %s | %s | %s |" % (c.name.replace("|", "\\|"), client, outcome, alert,
                                                   "pass" if passed else "**FAIL**"))
    return "\n".join(out)


def main():
    global ARGS, IDENT, UNKNOWN_CA
    ap = argparse.ArgumentParser()
    ap.add_argument("--dtls-send", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--pki", required=True)
    ap.add_argument("--filter")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--markdown", action="store_true", help="also print a Markdown table of the results")
    ARGS = ap.parse_args()
    if ARGS.list:
        for c in CASES:
            print(c.name)
        return 0
    IDENT = Identity(os.path.join(ARGS.pki, "p256"))
    UNKNOWN_CA = Identity(os.path.join(ARGS.pki, "unknown-ca"))
    npass = nfail = 0
    t0 = time.time()
    rows = []
    for c in CASES:
        if ARGS.filter and ARGS.filter not in c.name:
            continue
        problems = run_case(c)
        if problems:
            nfail += 1
            print("FAIL %s: %s" % (c.name, "; ".join(problems)), flush=True)
        else:
            npass += 1
            print("PASS %s" % c.name, flush=True)
        rows.append((c, not problems))
    print("hostile: %d cases in %.1f s" % (npass + nfail, time.time() - t0))
    if ARGS.markdown:
        print(markdown(rows))
    print("%d passed, %d failed" % (npass, nfail))
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Interop suite: dtls-send probe (and the blocking example client) against real
OpenSSL s_server and gnutls-serv processes, each started fresh on a free
loopback port. Every case states exactly what must be negotiated, or the exact
error. Prints one line per case and ends with "N passed, N failed".

Usage: interop.py --dtls-send PATH --client PATH --pki DIR [--filter SUBSTR]
"""
import argparse, base64, json, os, shutil, signal, socket, subprocess, sys, tempfile, time

ARGS = None
RESULTS = []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server process on 127.0.0.1:port; kill on exit."""

    def __init__(self, argv, port, stdin=subprocess.PIPE):
        self.port = port
        self.log = tempfile.NamedTemporaryFile(prefix="srv-", suffix=".log", delete=False)
        self.p = subprocess.Popen(argv, stdin=stdin, stdout=self.log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        self.argv = argv
        # Wait for the listening socket without connecting (a connect would use up -naccept).
        end = time.time() + 10
        while time.time() < end and self.p.poll() is None:
            if self._listening():
                break
            time.sleep(0.05)

    def _listening(self):
        hexport = "%04X" % self.port
        for f in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                for line in open(f).read().splitlines()[1:]:
                    parts = line.split()
                    if parts[1].endswith(":" + hexport) and parts[3] == "0A":
                        return True
            except OSError:
                pass
        return False

    def output(self):
        self.log.flush()
        return open(self.log.name, errors="replace").read()

    def wait_output(self, needle, timeout=5):
        """The log once it holds needle (or the server exited, or timeout s passed)."""
        end = time.time() + timeout
        while time.time() < end and needle not in self.output() and self.p.poll() is None:
            time.sleep(0.05)
        return self.output()

    def stop(self):
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(3)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
        os.unlink(self.log.name)


def pki(case, name):
    return os.path.join(ARGS.pki, case, name)


def s_server(port, case="p256", extra=(), naccept=1, stdin=subprocess.PIPE):
    argv = ["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-tls1_3",
            "-cert", pki(case, "leaf.pem"), "-key", pki(case, "key.pem"),
            "-cert_chain", pki(case, "chain.pem"), "-naccept", str(naccept)] + list(extra)
    return Server(argv, port, stdin=stdin)


def gnutls_serv(port, case="p256", priority="NORMAL:-VERS-ALL:+VERS-TLS1.3", extra=()):
    # (gnutls-serv -d 5 and up logs each alert it receives: "Alert[2|43] ... was received")
    argv = ["gnutls-serv", "--port", str(port), "--x509certfile", pki(case, "chain.pem"),
            "--x509keyfile", pki(case, "key.pem"), "--priority", priority] + list(extra)
    return Server(argv, port)


def probe(port, *opts, case="p256", verify=True, timeout=20):
    argv = [ARGS.dtls_send, "probe", "--json", "--max-time", "10"]
    if verify:
        argv += ["--cacert", pki(case, "ca.pem")]
    elif verify is False:
        argv += ["-k"]
    argv += list(opts) + ["localhost:%d" % port]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    events = []
    for line in p.stdout.splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            pass
    return p.returncode, events, p.stderr


def record(name, ok, detail=""):
    RESULTS.append((name, ok))
    print("%s %s%s" % ("PASS" if ok else "FAIL", name, "" if ok else ": " + detail), flush=True)


def expect_probe(name, srv, opts, want, exit_code=0, case="p256", verify=True, server_says=(),
                 server_never=()):
    """Run probe against srv; check exit code and every key of want in the last event;
    then that the server's output holds every string of server_says (waiting for the
    first one a little: the server logs after the client is gone) and none of
    server_never."""
    if ARGS.filter and ARGS.filter not in name:
        srv.stop()
        return
    try:
        rc, events, err = probe(srv.port, *opts, case=case, verify=verify)
    except subprocess.TimeoutExpired:
        srv.stop()
        record(name, False, "probe timed out")
        return
    ev = events[-1] if events else {}
    problems = []
    if rc != exit_code:
        problems.append("exit %d, expected %d" % (rc, exit_code))
    for k, v in want.items():
        if ev.get(k) != v:
            problems.append("%s=%r, expected %r" % (k, ev.get(k), v))
    out = srv.wait_output(server_says[0]) if server_says else srv.output()
    for needle in server_says:
        if needle not in out:
            problems.append("server output lacks %r" % needle)
    for needle in server_never:
        if needle in out:
            problems.append("server output has %r" % needle)
    if problems:
        problems.append("stderr: " + err.strip()[-400:])
        problems.append("server: " + srv.output().strip()[-400:])
    srv.stop()
    record(name, not problems, "; ".join(problems))


SUITES = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"]
GROUPS = [("x25519", "X25519"), ("secp256r1", "P-256")]


def openssl_cases():
    for suite in SUITES:
        for g, og in GROUPS:
            port = free_port()
            srv = s_server(port, extra=["-ciphersuites", suite, "-groups", og])
            expect_probe("openssl suite %s group %s" % (suite, g), srv, ["--ciphers", suite, "--groups", g],
                         {"event": "probe", "tls_version": "TLSv1.3", "cipher": suite, "group": g,
                          "hello_retry": False, "verified": True})
    # HelloRetryRequest: we send an x25519 share, the server only takes P-256.
    port = free_port()
    srv = s_server(port, extra=["-groups", "P-256"])
    expect_probe("openssl HRR x25519 -> secp256r1", srv, ["--groups", "x25519:secp256r1"],
                 {"group": "secp256r1", "hello_retry": True})
    # Server certificate / signature types.
    for case, scheme in [("rsa2048", "rsa_pss_rsae_sha256"), ("p256", "ecdsa_secp256r1_sha256"),
                         ("p384", "ecdsa_secp384r1_sha384"), ("ed25519", "ed25519"),
                         ("rsapss", "rsa_pss_pss_sha256"), ("rsa4096", "rsa_pss_rsae_sha256")]:
        if not os.path.exists(pki(case, "leaf.pem")):
            record("openssl certificate %s" % case, False, "pki case missing")
            continue
        port = free_port()
        srv = s_server(port, case=case)
        expect_probe("openssl certificate %s" % case, srv, [], {"signature_scheme": scheme, "verified": True},
                     case=case)
    # max_fragment_length: OpenSSL honours it as a server.
    port = free_port()
    srv = s_server(port)
    expect_probe("openssl max_fragment 512", srv, ["--max-fragment", "512"], {"max_fragment": 512})
    # Record padding on every record the server sends.
    port = free_port()
    srv = s_server(port, extra=["-record_padding", "512"])
    expect_probe("openssl record padding", srv, [], {"cipher": "TLS_AES_128_GCM_SHA256"})
    # Resumption from a NewSessionTicket.
    port = free_port()
    srv = s_server(port, naccept=2)
    expect_probe("openssl resumption", srv, ["--resume"], {"resumed": True})
    # ALPN.
    port = free_port()
    srv = s_server(port, extra=["-alpn", "http/1.1"])
    expect_probe("openssl ALPN", srv, ["--alpn", "h2,http/1.1"], {"alpn": "http/1.1"})
    # A TLS 1.2-only server fails cleanly.
    port = free_port()
    argv = ["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-tls1_2", "-naccept", "1",
            "-cert", pki("p256", "leaf.pem"), "-key", pki("p256", "key.pem")]
    srv = Server(argv, port)
    expect_probe("openssl TLS 1.2-only server -> protocol_version", srv, [],
                 {"event": "error", "error": "protocol_version"}, exit_code=35)
    # Server-initiated KeyUpdate followed by data (s_server's interactive 'k').
    keyupdate_case()


def keyupdate_case():
    name = "openssl server KeyUpdate then data"
    if ARGS.filter and ARGS.filter not in name:
        return
    port = free_port()
    srv = s_server(port, stdin=subprocess.PIPE)
    cli = subprocess.Popen([ARGS.client, "--cacert", pki("p256", "ca.pem"), "localhost", str(port)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    ok = True
    detail = ""
    try:
        srv.p.stdin.write(b"k\n")
        srv.p.stdin.flush()
        time.sleep(0.3)
        srv.p.stdin.write(b"after-key-update\n")
        srv.p.stdin.flush()
        time.sleep(0.3)
        srv.p.stdin.write(b"Q\n")
        srv.p.stdin.flush()
        out, err = cli.communicate(timeout=10)
        if "after-key-update" not in out:
            ok = False
            detail = "client output %r, stderr %r, server %r" % (out[-300:], err[-300:], srv.output()[-300:])
        elif "KEYUPDATE" not in srv.output().upper() and "KeyUpdate" not in srv.output():
            pass  # s_server -quiet prints nothing about it; the data arriving is the proof
    except Exception as e:  # noqa
        ok = False
        detail = repr(e)
        cli.kill()
    srv.stop()
    record(name, ok, detail)


def gnutls_cases():
    base = "NORMAL:-VERS-ALL:+VERS-TLS1.3"
    for suite, gsuite in [("TLS_AES_128_GCM_SHA256", "AES-128-GCM"), ("TLS_AES_256_GCM_SHA384", "AES-256-GCM"),
                          ("TLS_CHACHA20_POLY1305_SHA256", "CHACHA20-POLY1305")]:
        for g, gg in [("x25519", "X25519"), ("secp256r1", "SECP256R1")]:
            port = free_port()
            srv = gnutls_serv(port, priority="%s:-CIPHER-ALL:+%s:-GROUP-ALL:+GROUP-%s" % (base, gsuite, gg))
            expect_probe("gnutls suite %s group %s" % (suite, g), srv, ["--ciphers", suite, "--groups", g],
                         {"cipher": suite, "group": g, "hello_retry": False})
    port = free_port()
    srv = gnutls_serv(port, priority=base + ":-GROUP-ALL:+GROUP-SECP256R1")
    expect_probe("gnutls HRR x25519 -> secp256r1", srv, ["--groups", "x25519:secp256r1"],
                 {"group": "secp256r1", "hello_retry": True})
    for case, scheme in [("rsa2048", "rsa_pss_rsae_sha256"), ("ed25519", "ed25519"),
                         ("p384", "ecdsa_secp384r1_sha384")]:
        port = free_port()
        srv = gnutls_serv(port, case=case)
        expect_probe("gnutls certificate %s" % case, srv, [], {"signature_scheme": scheme}, case=case)
    port = free_port()
    srv = gnutls_serv(port, extra=["--alpn", "http/1.1"])
    expect_probe("gnutls ALPN", srv, ["--alpn", "http/1.1"], {"alpn": "http/1.1"})
    port = free_port()
    srv = gnutls_serv(port)
    expect_probe("gnutls resumption", srv, ["--resume"], {"resumed": True})


def tshark_case():
    name = "tshark decrypts a capture with the key log"
    if ARGS.filter and ARGS.filter not in name:
        return
    if not shutil.which("tshark") or os.geteuid() != 0:
        print("SKIP %s: needs tshark and root to capture on lo" % name)
        return
    tmp = tempfile.mkdtemp()
    cap, keys = os.path.join(tmp, "c.pcapng"), os.path.join(tmp, "keys.txt")
    port = free_port()
    srv = s_server(port)
    # "any", not "lo": on some kernels a capture on lo sees nothing while "any" does.
    errlog = os.path.join(tmp, "tshark.err")
    ts = subprocess.Popen(["tshark", "-q", "-i", "any", "-f", "tcp port %d" % port, "-w", cap],
                          stdout=subprocess.DEVNULL, stderr=open(errlog, "w"))
    end = time.time() + 15
    while time.time() < end and "Capture started" not in open(errlog).read():
        time.sleep(0.1)
    time.sleep(0.5)
    rc, events, err = probe(port, "--keylog", keys)
    time.sleep(0.5)
    ts.send_signal(signal.SIGINT)
    ts.wait(10)
    srv.stop()
    out = subprocess.run(["tshark", "-r", cap, "-o", "tls.keylog_file:" + keys, "-Y",
                          "tls.handshake.type == 8 || tls.handshake.type == 11", "-T", "fields",
                          "-e", "tls.handshake.type"], capture_output=True, text=True)
    ok = rc == 0 and "8" in out.stdout
    record(name, ok, "probe rc %d; tshark found %r; %s; %s" % (rc, out.stdout.strip(), out.stderr.strip()[-200:],
                                                                open(errlog).read()[-200:]))
    shutil.rmtree(tmp, ignore_errors=True)


# ---- certificate validation through the real handshake --------------------------------

# The alert the client must send for each X.509 error (the table in <dtls/x509.h>).
X509_ALERTS = {
    "certificate_expired": 45, "certificate_not_yet_valid": 45, "hostname_mismatch": 46,
    "unknown_ca": 48, "bad_signature": 42, "not_a_ca": 48, "path_length_exceeded": 48,
    "bad_key_usage": 43, "bad_extended_key_usage": 43, "name_constraints_violation": 46,
    "unsupported_critical_extension": 43, "weak_key": 43, "weak_signature": 43,
}
GNUTLS_ALERT_NAMES = {42: "Certificate is bad", 43: "Certificate is not supported",
                      45: "Certificate is expired", 46: "Unknown certificate",
                      48: "CA is unknown"}


def pki_cases():
    with open(os.path.join(ARGS.pki, "cases.txt")) as f:
        return [line.split() for line in f if line.strip()]


def chain_cases():
    """Every server case of gen-pki through a real handshake: the good ones verify, each
    broken one fails with exit 60, its exact error name, and the alert it calls for,
    as the server saw it."""
    for case, expect, purpose, _host in pki_cases():
        if purpose != "server":
            continue
        name = "chain %s -> %s" % (case, expect)
        port = free_port()
        if expect == "ok":
            expect_probe(name, s_server(port, case=case), [], {"event": "probe", "verified": True}, case=case)
            continue
        alert = X509_ALERTS[expect]
        want = {"event": "error", "exit": 60, "error": expect}
        if case == "sha1":
            # s_server will not send a SHA-1-signed chain to a client whose
            # signature_algorithms_cert leaves SHA-1 out ("no suitable signature
            # algorithm", handshake_failure); gnutls-serv sends it regardless.
            srv = gnutls_serv(port, case=case, extra=["-d", "5"])
            says = ["Alert[2|%d] - %s - was received" % (alert, GNUTLS_ALERT_NAMES[alert])]
        else:
            # weak-key: OpenSSL refuses to load an RSA-1024 key at its default level
            extra = ["-cipher", "DEFAULT@SECLEVEL=0"] if case == "weak-key" else []
            srv = s_server(port, case=case, extra=extra)
            says = ["SSL alert number %d" % alert]
        expect_probe(name + " (alert %d)" % alert, srv, [], want, exit_code=60, case=case, server_says=says)


def client_auth_cases():
    """--cert/--key answering CertificateRequest, the server confirming it verified us."""
    for cc, subject, sigtype in [("client-p256", "P-256 client", "Peer signature type: ECDSA"),
                                 ("client-ed25519", "Ed25519 client", "Peer signature type: ed25519"),
                                 ("client-rsa", "RSA client", "Peer signature type: RSA-PSS")]:
        mine = ["--cert", pki(cc, "chain.pem"), "--key", pki(cc, "key.pem")]
        port = free_port()
        # -verify_return_error: s_server's verify callback otherwise lets a failure pass
        srv = s_server(port, extra=["-Verify", "1", "-verify_return_error", "-CAfile", pki(cc, "ca.pem")])
        expect_probe("openssl client auth %s" % cc, srv, mine,
                     {"event": "probe", "client_auth": True, "client_cert_sent": True},
                     server_says=["subject=CN = %s" % subject, "depth=0 CN = %s, O = dtls test\nverify return:1" % subject,
                                  sigtype], server_never=["verify error"])
        port = free_port()
        srv = gnutls_serv(port, extra=["--require-client-cert", "--verify-client-cert", "--x509cafile", pki(cc, "ca.pem")])
        expect_probe("gnutls client auth %s" % cc, srv, mine,
                     {"event": "probe", "client_auth": True, "client_cert_sent": True},
                     server_says=["The certificate is trusted", "Subject: O=dtls test,CN=%s" % subject])
    # No certificate: TLS 1.3 servers say so after our Finished; probe waits for that
    # verdict when a certificate was asked for, and reports it as exit 58.
    port = free_port()
    srv = s_server(port, extra=["-Verify", "1", "-CAfile", pki("client-p256", "ca.pem")])
    expect_probe("openssl client auth, no --cert -> certificate_required", srv, [],
                 {"event": "error", "exit": 58, "error": "certificate_required"}, exit_code=58,
                 server_says=["peer did not return a certificate"])
    port = free_port()
    srv = gnutls_serv(port, extra=["--require-client-cert", "--verify-client-cert", "--x509cafile",
                                   pki("client-p256", "ca.pem"), "-d", "5"])
    expect_probe("gnutls client auth, no --cert -> certificate_required", srv, [],
                 {"event": "error", "exit": 58, "error": "certificate_required"}, exit_code=58,
                 server_says=["Sending Alert[2|116]"])
    # A certificate the server does not trust (its CA list has another root).
    port = free_port()
    srv = s_server(port, extra=["-Verify", "1", "-verify_return_error", "-CAfile", pki("rsa2048", "ca.pem")])
    expect_probe("openssl client auth, untrusted certificate -> exit 58", srv,
                 ["--cert", pki("client-p256", "chain.pem"), "--key", pki("client-p256", "key.pem")],
                 {"event": "error", "exit": 58, "error": "unknown_ca"}, exit_code=58,
                 server_says=["verify error"])
    # A server that only asks (-verify, not -Verify) takes the empty Certificate.
    port = free_port()
    srv = s_server(port, extra=["-verify", "1", "-CAfile", pki("client-p256", "ca.pem")])
    expect_probe("openssl optional client auth, no --cert -> ok", srv, [],
                 {"event": "probe", "client_auth": True, "client_cert_sent": False})
    # The RSA key as PKCS#1 ("RSA PRIVATE KEY"), both servers checking the RSA-PSS signature.
    mine = ["--cert", pki("client-rsa", "chain.pem"), "--key", pki("client-rsa", "key-pkcs1.pem")]
    port = free_port()
    srv = s_server(port, extra=["-Verify", "1", "-verify_return_error", "-CAfile", pki("client-rsa", "ca.pem")])
    expect_probe("openssl client auth client-rsa, PKCS#1 key", srv, mine,
                 {"event": "probe", "client_auth": True, "client_cert_sent": True},
                 server_says=["subject=CN = RSA client", "Peer signature type: RSA-PSS"], server_never=["verify error"])
    port = free_port()
    srv = gnutls_serv(port, extra=["--require-client-cert", "--verify-client-cert", "--x509cafile",
                                   pki("client-rsa", "ca.pem")])
    expect_probe("gnutls client auth client-rsa, PKCS#1 key", srv, mine,
                 {"event": "probe", "client_auth": True, "client_cert_sent": True},
                 server_says=["The certificate is trusted", "Subject: O=dtls test,CN=RSA client"])
    # Keys the CLI refuses, said clearly before connecting (nothing listens on the port).
    for name, cert, key, error in [
            ("RSA-1024 key -> weak_key", pki("weak-key", "leaf.pem"), pki("weak-key", "key.pem"), "weak_key"),
            ("key of another certificate -> client_key_mismatch", pki("client-rsa", "leaf.pem"),
             pki("client-p256", "key.pem"), "client_key_mismatch")]:
        name = "client auth, " + name
        if ARGS.filter and ARGS.filter not in name:
            continue
        rc, events, err = probe(free_port(), "--cert", cert, "--key", key)
        ev = events[-1] if events else {}
        ok = rc == 58 and (ev.get("error") == error or error in ev.get("message", ""))
        record(name, ok, "exit %d, event %r" % (rc, ev))


def spki_pin(case):
    """curl's --pinnedpubkey value for a case's leaf, computed with the openssl CLI."""
    pub = subprocess.run(["openssl", "x509", "-in", pki(case, "leaf.pem"), "-pubkey", "-noout"],
                         capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pub,
                         capture_output=True, check=True).stdout
    digest = subprocess.run(["openssl", "dgst", "-sha256", "-binary"], input=der,
                            capture_output=True, check=True).stdout
    return "sha256//" + base64.b64encode(digest).decode()


def pin_cases():
    right, other = spki_pin("p256"), spki_pin("rsa2048")
    for verify, how in [(True, "verified"), (False, "-k")]:
        port = free_port()
        expect_probe("pinnedpubkey right (%s)" % how, s_server(port), ["--pinnedpubkey", right],
                     {"event": "probe"}, verify=verify)
        port = free_port()
        expect_probe("pinnedpubkey one of two right (%s)" % how, s_server(port),
                     ["--pinnedpubkey", other + ";" + right], {"event": "probe"}, verify=verify)
        port = free_port()
        expect_probe("pinnedpubkey wrong (%s) -> exit 90" % how, s_server(port), ["--pinnedpubkey", other],
                     {"event": "error", "exit": 90, "error": "pinned_key_mismatch"}, exit_code=90, verify=verify)
    name = "pinnedpubkey malformed -> exit 2"
    if not ARGS.filter or ARGS.filter in name:
        rc, events, err = probe(free_port(), "--pinnedpubkey", "sha256//not base64!")
        record(name, rc == 2, "exit %d, stderr %r" % (rc, err[-200:]))


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--dtls-send", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--pki", required=True)
    ap.add_argument("--filter", default="")
    ARGS = ap.parse_args()
    openssl_cases()
    gnutls_cases()
    chain_cases()
    client_auth_cases()
    pin_cases()
    tshark_case()
    passed = sum(1 for _, ok in RESULTS if ok)
    failed = len(RESULTS) - passed
    print("interop: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""dtls-send next to curl, publishing to the test cloud on loopback (scripts/bench cli).

Measured, for the same JSON messages to the same cloud (drogue dialect, verified TLS):
  - dtls-send --stream: N messages over kept-open connections (one process);
  - curl, one process per message (what a shell loop does);
  - curl keep-alive: one process, N requests over one connection (a -K config
    with `next` between requests);
  - dtls-send one process per message (the one-shot form), for completeness.
For each: wall-clock messages/s, client CPU (user + system) per message, and peak RSS
(ru_maxrss of the client process). Start-up: the mean of `--version` runs. Client CPU is
the fair comparison: the Python cloud is the bottleneck for the fast ones, and its
limit is reported alongside.

Prints a markdown section on stdout.
  bench_cli.py --dtls-send BIN --pki PKI_DIR [--messages N] [--per-process N]
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time

TIME = "/usr/bin/time"   # GNU time (Debian package time)
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cloud"))
from cloudctl import Cloud  # noqa: E402


def run_measured(argv, stdin_bytes=None, env=None):
    """Run argv under GNU time; return (wall s, cpu s, peak RSS KB, returncode). GNU time
    forks the client from its own small process, so the peak RSS is the client's alone
    (a child forked from Python would carry Python's RSS into ru_maxrss)."""
    fd, tf = tempfile.mkstemp(prefix="dtls-bench-time.")
    os.close(fd)
    t0 = time.monotonic()
    p = subprocess.Popen([TIME, "-q", "-f", "%U %S %M", "-o", tf] + argv,
                         stdin=subprocess.PIPE if stdin_bytes is not None else subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    if stdin_bytes is not None:
        def feed():
            try:
                p.stdin.write(stdin_bytes)
                p.stdin.close()
            except BrokenPipeError:
                pass
        threading.Thread(target=feed, daemon=True).start()
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = rc = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - t0
    with open(tf) as f:
        fields = f.read().split()
    os.unlink(tf)
    m = int(fields[-1])
    if rc != 0:
        sys.stderr.write("bench: %s exited %d: %s\n" % (argv[0], rc, err.decode(errors="replace")[-400:]))
    # CPU from wait4 (microseconds; it includes the client, which time waited for, and
    # time's own small share); GNU time's %U/%S have only 10 ms resolution.
    return wall, ru.ru_utime + ru.ru_stime, m, rc


def real_binary(path, env):
    """A libtool wrapper script (build/dtls-send) runs a shell first: use the real
    binary in .libs/ with LD_LIBRARY_PATH instead, so start-up is the program's own."""
    d, b = os.path.split(os.path.abspath(path))
    real = os.path.join(d, ".libs", b)
    if os.path.exists(real):
        env["LD_LIBRARY_PATH"] = os.path.join(d, ".libs") + (
            ":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
        return real
    return path


def message(i):
    return '{"seq":%d,"temp":21.5,"unit":"C"}' % i


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dtls-send", required=True)
    ap.add_argument("--pki", required=True)
    ap.add_argument("--messages", type=int, default=5000, help="messages for the kept-open runs")
    ap.add_argument("--no-title", action="store_true", help="leave out the markdown heading")
    ap.add_argument("--per-process", type=int, default=200, help="messages for the one-process-per-message runs")
    a = ap.parse_args()
    curl = shutil.which("curl")
    if not curl:
        print("bench cli: curl not found (apt-get install curl)", file=sys.stderr)
        return 1
    case = os.path.join(a.pki, "p256")
    ca = os.path.join(case, "ca.pem")
    env = dict(os.environ, DTLS_SEND_PASSWORD="secret")
    a.dtls_send = real_binary(a.dtls_send, env)
    work = tempfile.mkdtemp(prefix="dtls-bench-cli.")
    rows = []
    with Cloud.start(pki_case=case, workdir=work) as cloud:
        url = cloud.url("/v1/bench")
        n = a.messages
        k = a.per_process
        body = "".join(message(i) + "\n" for i in range(n)).encode()

        # dtls-send --stream
        cloud.reset()
        w, c, rss, rc = run_measured([a.dtls_send, "-s", "--cacert", ca, "-u", "device1@app1", "-w", "0",
                                      "--stream", url], stdin_bytes=body, env=env)
        got = len(cloud.messages(dialect="drogue"))
        rows.append(("dtls-send --stream (one process)", n, w, c, rss, rc == 0 and got >= n))

        # curl keep-alive: one process, n requests (config file with `next`)
        cfg = os.path.join(work, "curl.cfg")
        with open(cfg, "w") as f:
            for i in range(n):
                if i:
                    f.write("next\n")
                f.write('url = "%s"\ncacert = "%s"\nuser = "device1@app1:secret"\nsilent\n'
                        'header = "Content-Type: application/json"\ndata = "%s"\noutput = "/dev/null"\n'
                        % (url, ca, message(i).replace('"', '\\"')))
        cloud.reset()
        w, c, rss, rc = run_measured([curl, "-K", cfg])
        got = len(cloud.messages(dialect="drogue"))
        rows.append(("curl keep-alive (one process, -K with next)", n, w, c, rss, rc == 0 and got >= n))

        # one process per message: curl, then dtls-send
        for name, argv_for in (
            ("curl, one process per message",
             lambda i: [curl, "-s", "-o", "/dev/null", "--cacert", ca, "-u", "device1@app1:secret",
                        "-H", "Content-Type: application/json", "-d", message(i), url]),
            ("dtls-send, one process per message",
             lambda i: [a.dtls_send, "-s", "--cacert", ca, "-u", "device1@app1", url, "-d", message(i)]),
        ):
            cloud.reset()
            tw = tc = 0.0
            peak = 0
            ok = True
            for i in range(k):
                w, c, rss, rc = run_measured(argv_for(i), env=env)
                tw += w
                tc += c
                peak = max(peak, rss)
                ok = ok and rc == 0
            got = len(cloud.messages(dialect="drogue"))
            rows.append((name, k, tw, tc, peak, ok and got >= k))
        stats = cloud.stats()

    # start-up time
    def startup(argv, runs=50):
        t0 = time.monotonic()
        for _ in range(runs):
            subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        return (time.monotonic() - t0) / runs * 1000.0

    st_dtls = startup([a.dtls_send, "--version"])
    st_curl = startup([curl, "--version"])
    shutil.rmtree(work, ignore_errors=True)

    base = {r[0]: r for r in rows}
    curl_pp = base["curl, one process per message"]
    curl_ka = base["curl keep-alive (one process, -K with next)"]
    if not a.no_title:
        print("## dtls-send vs curl (publishing to the test cloud on loopback)")
        print()
    print("Drogue dialect, P-256 chain verified, one JSON message per request; the same test cloud "
          "(Python, tests/cloud) for every row. Client CPU is user + system time of the client process "
          "(wait4, including GNU time's own share of about 1 ms per process); peak RSS is the client's maximum resident set (GNU time %M).")
    print()
    print("| Client | messages | msg/s (wall) | client CPU per message | peak RSS | vs curl per process (CPU) | vs curl keep-alive (CPU) | all delivered |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for name, cnt, w, c, rss, ok in rows:
        cpm = c / cnt * 1e3
        r_pp = (curl_pp[3] / curl_pp[1]) / (c / cnt) if c > 0 else float("inf")
        r_ka = (curl_ka[3] / curl_ka[1]) / (c / cnt) if c > 0 else float("inf")
        print("| %s | %d | %.0f | %.3f ms | %.1f MB | %.1f× | %.2f× | %s |"
              % (name, cnt, cnt / w, cpm, rss / 1024.0, r_pp, r_ka, "yes" if ok else "NO"))
    print()
    dl = base["dtls-send --stream (one process)"]
    print("Throughput ratios (wall clock, messages/s): --stream is %.1f× curl one-process-per-message and "
          "%.2f× curl keep-alive; the cloud, not the client, limits the kept-open rows."
          % ((dl[1] / dl[2]) / (curl_pp[1] / curl_pp[2]), (dl[1] / dl[2]) / (curl_ka[1] / curl_ka[2])))
    print()
    print("Peak RSS: dtls-send --stream %.1f MB, curl one request %.1f MB (%.2f×)."
          % (dl[4] / 1024.0, curl_pp[4] / 1024.0, dl[4] / curl_pp[4]))
    print()
    print("Start-up (`--version`, mean of 50): dtls-send %.2f ms, curl %.2f ms." % (st_dtls, st_curl))
    return 0 if all(r[5] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

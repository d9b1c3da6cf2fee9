#!/usr/bin/env python3
"""More of `dtls-send --stream` and `--spool` end to end, on the harness of e2e.py (the
same cloud, helpers and output): what docs/dtls-send.1 (STREAMING) promises.

    stream_cases.py --dtls-send PATH --pki DIR [--keep] [NAME...]

  - invalid lines are reported with their number, skipped, counted; exit 26; the valid
    lines arrive byte for byte; one "published" event per line with its line number
  - a message the cloud refuses (4xx) is dropped, not retried for ever: exit 22
  - bad credentials: exit 22, reported once, nothing more sent
  - commands arrive on the second connection while telemetry keeps flowing past a long
    poll, for each dialect with commands; --on-command answers (hono, thingsboard)
  - --poll-interval polls briefly instead of holding a poll
  - a second dtls-send on a locked spool exits 26
  - SIGTERM with --spool: exit 143, what is unsent stays in the spool, a restart on the
    same file offset delivers everything
  - SIGKILL with --spool reading a FIFO, again and again, restarting on the same FIFO:
    no line is lost (a line is taken off the pipe only once it is spooled)
  - --max-time with an idle stdin: exit 28
  - on a terminal, a status line on stderr; -s silences it
"""
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402
from e2e import Bg, args_for, case, check, ds, expect_rc, note  # noqa: E402

FIRST_CASE = len(e2e.CASES)          # e2e.py's own cases come before ours


def lines_of(n, start=0, pad=""):
    return e2e.stream_lines(n, start, pad)


def summary(out):
    evs = [json.loads(x) for x in out.splitlines() if x.strip().startswith("{")]
    s = [e for e in evs if e.get("event") == "summary"]
    check(len(s) == 1, "expected one summary event, got %d in %r" % (len(s), out[-800:]))
    return s[0], evs


def delivered(dialect="drogue"):
    return e2e.seq_counts(e2e.new_messages(dialect))


@case("stream-invalid-lines")
def invalid_lines():
    good = lines_of(5)
    data = "%s\n%s\r\n{\"seq\":\n\n%s\n  \n%s\nnot json\n%s" % (good[0], good[1], good[2], good[3], good[4])
    # lines: 1 good0, 2 good1 (CRLF), 3 invalid, 4 blank, 5 good2, 6 blank-ish, 7 good3, 8 invalid, 9 good4
    r = ds(*args_for("drogue", "--json", "--stream", e2e.CLOUD.url(e2e.PATHS["drogue"])), input=data)
    expect_rc(r, 26, "invalid lines")
    check("line 3" in r.err and "line 8" in r.err, "the invalid lines are named by number:\n%s" % r)
    s, evs = summary(r.out)
    check(s["sent"] == 5 and s["invalid"] == 2 and s["unsent"] == 0, "summary %r" % s)
    pub = [e for e in evs if e.get("event") == "published"]
    check(sorted(e["line"] for e in pub) == [1, 2, 5, 7, 9], "published events by line: %r" % pub)
    msgs = e2e.new_messages("drogue")
    bodies = [e2e.body_bytes(m) for m in msgs if m.get("body_len")]
    check(bodies == [g.encode() for g in good], "the cloud got %r" % bodies)


@case("stream-refused")
def refused():
    # drogue's endpoints are /v1/...: the cloud answers 404 for each message
    n = 20
    r = ds(*args_for("drogue", "--json", "-w", "0", "--stream", e2e.CLOUD.url("/nowhere/x")),
           input="\n".join(lines_of(n)) + "\n", timeout=60)
    expect_rc(r, 22, "every message refused")
    s, evs = summary(r.out)
    check(s["refused"] == n and s["sent"] == 0, "summary %r" % s)
    check(len([e for e in evs if e.get("event") == "refused" and e.get("status") == 404]) == n,
          "one refused event per message:\n%s" % r)
    check(e2e.CLOUD.stats()["requests"] == n, "each refused message was sent once, not retried: %r"
          % e2e.CLOUD.stats())


@case("stream-bad-credentials")
def bad_credentials():
    for dialect in ("drogue", "hono"):
        e2e.CLOUD.reset()
        r = ds(*args_for(dialect, "--stream", e2e.CLOUD.url(e2e.PATHS[dialect]), password="wrong"),
               input="\n".join(lines_of(50)) + "\n")
        expect_rc(r, 22, dialect)
        check(r.err.count("authentication failed") == 1, "%s: reported once:\n%s" % (dialect, r))
        check(e2e.CLOUD.stats()["messages"] == 0, "%s: nothing accepted" % dialect)


def feeder(p, lines, every=0.05, stop=None):
    """Write lines to p's stdin one by one; close when done (or when stop is set)."""
    def run():
        try:
            for ln in lines:
                if stop is not None and stop.is_set():
                    break
                p.stdin.write((ln + "\n").encode())
                p.stdin.flush()
                time.sleep(every)
            p.stdin.close()
        except (BrokenPipeError, OSError):
            pass
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


@case("stream-commands")
def commands():
    handler = e2e.write("handler.sh", "#!/bin/sh\ncat >/dev/null\necho '{\"handled\":\"'$DTLS_COMMAND_NAME'\"}'\n")
    os.chmod(handler, 0o755)
    for dialect in e2e.COMMAND_DIALECTS:
        e2e.CLOUD.reset()
        n = 60
        # A 60 s poll: if telemetry waited behind it, nothing below would arrive in time.
        bg = Bg(args_for(dialect, "--json", "-w", "60", "--on-command", handler, "--stream",
                         e2e.CLOUD.url(e2e.PATHS[dialect])), stdin=subprocess.PIPE)
        first, rest = lines_of(10), lines_of(n - 10, 10)
        for ln in first:
            bg.p.stdin.write((ln + "\n").encode())
        bg.p.stdin.flush()
        e2e.CLOUD.wait_for(lambda s: s["polls"] >= 1 and len(delivered(dialect)) >= 10, timeout=20,
                           what="%s: a poll open and the first 10 messages" % dialect)
        e2e.CLOUD.command(dialect, "device1", "set-led", {"on": True})
        ev = json.loads(bg.wait_line(lambda ln: '"command"' in ln, 20, "%s: the command event" % dialect))
        check(ev["name"] == "set-led" and ev["payload"] == {"on": True}, "%s: command %r" % (dialect, ev))
        t = feeder(bg.p, rest, every=0.01)
        e2e.CLOUD.wait_for(lambda s: len(delivered(dialect)) >= n, timeout=20,
                           what="%s: the rest of the stream while a 60 s poll is open" % dialect)
        t.join(10)
        rc = bg.wait(30)
        check(rc == 0, "%s: exit %s\n%s" % (dialect, rc, bg.describe()))
        s, _ = summary("".join(bg.out))
        check(s["sent"] == n and s["commands"] == 1, "%s: summary %r" % (dialect, s))
        if dialect in ("hono", "thingsboard"):
            resp = e2e.CLOUD.responses()
            check(len(resp) == 1 and b"set-led" in e2e.body_bytes(resp[0]), "%s: the response %r" % (dialect, resp))


@case("stream-poll-interval")
def poll_interval():
    bg = Bg(args_for("drogue", "--json", "--poll-interval", "0.5", "--stream", e2e.CLOUD.url(e2e.PATHS["drogue"])),
            stdin=subprocess.PIPE)
    e2e.CLOUD.wait_for(lambda s: s["polls"] >= 3, timeout=20, what="three polls")
    e2e.CLOUD.command("drogue", "device1", "reboot", {"delay": 1})
    bg.wait_line(lambda ln: '"reboot"' in ln, 20, "the command event")
    bg.p.stdin.close()
    check(bg.wait(20) == 0, "exit\n" + bg.describe())
    polls = [m for m in e2e.new_messages("drogue") if m.get("body_len") == 0]
    check(polls and all(m["query"].get("ct") == "0" for m in polls),
          "with --poll-interval every poll is a short one (ct=0): %r" % [m["query"] for m in polls][:5])


@case("stream-spool-locked")
def spool_locked():
    spool = os.path.join(e2e.TMP, "spool-locked")
    argv = args_for("drogue", "--spool", spool, "--stream", e2e.CLOUD.url(e2e.PATHS["drogue"]))
    bg = Bg(argv, stdin=subprocess.PIPE)
    bg.p.stdin.write(b'{"seq":0}\n')
    bg.p.stdin.flush()
    e2e.CLOUD.wait_for(lambda s: s["messages"] >= 1, timeout=20, what="the first run to start")
    r = ds(*argv, input='{"seq":1}\n')
    expect_rc(r, 26, "a second dtls-send on the same spool")
    check("in use" in r.err, "the message says why:\n%s" % r)
    check(os.stat(spool).st_mode & 0o077 == 0, "the spool directory is private")
    bg.p.stdin.close()
    check(bg.wait(20) == 0, "the first run\n" + bg.describe())


@case("stream-spool-sigterm")
def spool_sigterm():
    n = 3000
    data = ("\n".join(lines_of(n)) + "\n").encode()
    inp = e2e.write("sigterm-input.jsonl", data)
    spool = os.path.join(e2e.TMP, "spool-term")
    argv = args_for("drogue", "--json", "--spool", spool, "--stream", e2e.CLOUD.url(e2e.PATHS["drogue"]))
    e2e.CLOUD.faults(delay_ms=5)
    with open(inp, "rb") as f:
        bg = Bg(argv, stdin=f)
        e2e.CLOUD.wait_for(lambda s: s["messages"] >= 100 or bg.p.poll() is not None, timeout=60,
                           what="100 messages before SIGTERM")
        check(bg.p.poll() is None, "finished before the signal; nothing tested\n" + bg.describe())
        bg.kill(signal.SIGTERM)
        rc = bg.wait(30)
        check(rc == 128 + signal.SIGTERM, "SIGTERM with messages left: exit %s\n%s" % (rc, bg.describe()))
        s, _ = summary("".join(bg.out))
        consumed = os.lseek(f.fileno(), 0, os.SEEK_CUR)
        boundary = data.rfind(b"\n", 0, consumed) + 1
        check(boundary == consumed, "stdin stopped mid-line (%d, line ends at %d)" % (consumed, boundary))
        read_lines = data[:consumed].count(b"\n")
        note("SIGTERM after %d lines read, %d sent, %d left in the spool" % (read_lines, s["sent"], s["unsent"]))
        check(s["unsent"] > 0 and s.get("spooled"), "summary %r" % s)
        got = delivered()
        check(len(got) + s["unsent"] >= read_lines, "read %d, delivered %d, spooled %d" % (read_lines, len(got),
                                                                                          s["unsent"]))
        e2e.CLOUD.clear_faults()
        bg2 = Bg(argv, stdin=f)                       # same spool, stdin from where it stopped
        rc = bg2.wait(60)
    check(rc == 0, "the restart: exit %s\n%s" % (rc, bg2.describe()))
    e2e.check_all_delivered(n, "--spool across SIGTERM")
    left = [x for x in os.listdir(spool) if not x.startswith(".")]
    check(not left, "files left in the spool after a clean exit: %s" % left[:5])


@case("stream-spool-kill-pipe")
def spool_kill_pipe():
    """stdin is a FIFO that outlives each dtls-send: it is SIGKILLed several times while
    a writer keeps the pipe full, and restarted on the same FIFO and spool. A line it
    took off the pipe and did not spool, or a line it took only half of, is lost, and
    the last run (to the end of the input) cannot deliver it."""
    import random
    n = 20000
    lines = lines_of(n, pad=',"pad":"%s"' % ("q" * 40))
    data = ("\n".join(lines) + "\n").encode()
    fifo = os.path.join(e2e.TMP, "stream.fifo")
    if os.path.exists(fifo):
        os.unlink(fifo)
    os.mkfifo(fifo)
    spool = os.path.join(e2e.TMP, "spool-pipe")
    argv = args_for("drogue", "--spool", spool, "--stream", e2e.CLOUD.url(e2e.PATHS["drogue"]))
    rfd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)    # the test keeps a reader: the pipe outlives the kills
    wfd = os.open(fifo, os.O_WRONLY)
    os.set_blocking(rfd, True)

    def write_all():
        # Odd-sized pieces, paced, so that lines are cut anywhere and dtls-send is
        # reading (and spooling) whenever it is killed.
        for i in range(0, len(data), 3000):
            os.write(wfd, data[i:i + 3000])
            time.sleep(0.003)
        os.close(wfd)
    t = threading.Thread(target=write_all, daemon=True)
    t.start()
    kills = 0
    while t.is_alive() and kills < 20:
        bg = Bg(argv, stdin=rfd)
        time.sleep(0.1 + random.random() * 0.1)
        if bg.p.poll() is not None:
            break
        bg.kill(signal.SIGKILL)
        kills += 1
    bg = Bg(argv, stdin=rfd)                            # the last run: to the end of the input
    rc = bg.wait(120)
    t.join(10)
    os.close(rfd)
    check(kills >= 5, "only %d kills before the input ran out; nothing much tested" % kills)
    check(rc == 0, "the last run: exit %s\n%s" % (rc, bg.describe()))
    note("%d SIGKILLs while reading a pipe" % kills)
    # Duplicates are expected: the message in flight at each kill, and the lines of a
    # read that were on disk but not yet taken off the pipe.
    e2e.check_all_delivered(n, "--spool on a pipe across %d SIGKILLs" % kills)
    left = [x for x in os.listdir(spool) if not x.startswith(".")]
    check(not left, "files left in the spool after a clean exit: %s" % left[:5])


@case("stream-tty-status")
def tty_status():
    """On a terminal, stderr carries one status line redrawn in place; -s silences it."""
    import pty
    n = 1000
    for silent in (False, True):
        e2e.CLOUD.reset()
        e2e.CLOUD.faults(delay_ms=1)                    # a run long enough for a few redraws
        master, slave = pty.openpty()
        argv = [e2e.BIN] + args_for("drogue", *(["-s"] if silent else []), "--stream",
                                    e2e.CLOUD.url(e2e.PATHS["drogue"]))
        p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=slave,
                             env=e2e.base_env())
        os.close(slave)
        out = bytearray()

        def drain():
            while True:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    return
                if not chunk:
                    return
                out.extend(chunk)
        t = threading.Thread(target=drain, daemon=True)
        t.start()
        p.stdin.write(("\n".join(lines_of(n)) + "\n").encode())
        p.stdin.close()
        rc = p.wait(60)
        t.join(5)
        os.close(master)
        text = out.decode(errors="replace")
        check(rc == 0, "exit %s: %r" % (rc, text[-500:]))
        redraws = text.count("\r\x1b[Ksent ")
        if silent:
            check(redraws == 0 and "sent in" not in text, "-s: nothing on the terminal, got %r" % text[-300:])
        else:
            check(redraws >= 1 and "msg/s" in text and "queued" in text and "reconnects" in text,
                  "no status line on the terminal: %r" % text[-300:])
            last = text.rstrip().splitlines()[-1]
            check("%d sent in" % n in last, "the summary comes last, on a cleared line: %r" % last)
            note("%d status redraws" % redraws)


@case("stream-max-time")
def max_time():
    bg = Bg(args_for("drogue", "--max-time", "2", "--stream", e2e.CLOUD.url(e2e.PATHS["drogue"])),
            stdin=subprocess.PIPE)
    bg.p.stdin.write(b'{"seq":0}\n')
    bg.p.stdin.flush()                                  # and then nothing, stdin stays open
    rc = bg.wait(30)
    check(rc == 28, "--max-time with stdin still open: exit %s\n%s" % (rc, bg.describe()))
    check(delivered().get(0) == 1, "the one line was sent")


if __name__ == "__main__":
    # Only the cases above: e2e.main runs what is registered, filtered by name.
    del e2e.CASES[:FIRST_CASE]
    sys.exit(e2e.main())

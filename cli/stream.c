/*
 * dtls-send --stream: publish each JSON line of standard input over one kept-open
 * connection while a second connection waits for commands.
 *
 * Threads (the library has none; these live only here):
 *   reader     reads stdin, checks each line is JSON (a bad line is reported with its
 *              number, skipped and counted), and queues it: in memory (bounded; when
 *              full the reader stops reading, which is the backpressure on the
 *              producer) or, with --spool DIR, durably on disk as fast as stdin
 *              delivers: the lines of each read become one spool batch (one fsync), and
 *              only then are they taken off stdin (see enum in_mode).
 *   publisher  takes the oldest queued message, POSTs it on the publish connection and
 *              retries it until the cloud accepts (2xx) or refuses it for good (4xx other
 *              than 408/429); only then is it removed from the queue or the spool. Pending
 *              spool messages of an earlier run come first.
 *   poller     holds a long poll for commands on a second connection (re-polled as soon as
 *              one returns, or every --poll-interval seconds), prints the commands, runs
 *              --on-command and sends its answer (oncommand.c), so telemetry never waits
 *              behind a poll.
 *   main       signals, --max-time, the TTY status line, flushing --json output, and the
 *              end: when stdin is exhausted and the queue is empty, the poll is abandoned
 *              and the summary printed.
 *
 * How each dialect waits for commands on the second connection (dialect_poll_req):
 *   drogue       POST of an EMPTY body to the URL with ?ct=S. Drogue has no separate poll
 *                endpoint: the wait rides on a publish. Putting ?ct= on the telemetry
 *                itself would hold each message's acceptance (and the next message) for up
 *                to S seconds, so the poll is an empty publish of its own; the cloud sees
 *                it as a telemetry event with no payload.
 *   hono         POST of an empty body with hono-ttd: S (Hono's "empty notification":
 *                a poll that carries no telemetry).
 *   thingsboard  GET .../rpc?timeout=S*1000 (408: nothing).
 *   plain        no commands, no second connection.
 *
 * Delivery is at-least-once: a message whose request may have reached the cloud but whose
 * response was lost (dropped connection) is sent again, and counted as "re-sent". Order is
 * the input's order (one request at a time on one connection; a retried message is retried
 * before the next one is sent).
 */
#define _GNU_SOURCE
#include "commands.h"
#include "dialect.h"
#include "exitcodes.h"
#include "message.h"
#include "oncommand.h"
#include "output.h"
#include "spool.h"
#include "transport.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STREAM_MAX_LINE (4u << 20)          /* longer lines are reported and skipped */
#define QUEUE_MAX_MSGS 1024                 /* in-memory queue without --spool ... */
#define QUEUE_MAX_BYTES (8u << 20)          /* ... and its size in bytes */
#define BACKOFF_FIRST_MS 100.0
#define BACKOFF_MAX_MS 10000.0
#define STOP_GRACE_MS 3000                  /* after SIGINT/SIGTERM: time to finish the request in flight */
#define END_POLLER_GRACE_MS 10000           /* at the end: time for a running --on-command to finish */
#define TICK_MS 250                         /* status line, --json flushing, deadline checks */

/* One message between the reader and the publisher. */
struct item {
    char *data;
    size_t len;
    uint64_t line;          /* stdin line number; 0 for a message spooled by an earlier run */
    uint64_t spool_id;      /* 0 without --spool */
};

/* Line numbers of this run's spooled messages, in spool order (spool ids increase). */
struct idline {
    uint64_t id, line;
};

struct stream {
    const struct options *o;
    struct dtls_url url;
    struct dialect d;
    struct transport *pub, *poll;
    struct spool *sp;
    const char *content_type;
    int64_t t0_ms, deadline_ms;

    pthread_mutex_t mu;
    pthread_cond_t cv;                  /* any change below */
    /* the queue without --spool: a ring of items */
    struct item *q;
    size_t q_head, q_len, q_cap, q_bytes;
    /* with --spool: line numbers of what the reader put */
    struct idline *il;
    size_t il_head, il_len, il_cap;
    int reader_done, publisher_done;
    int stopping;                       /* SIGINT/SIGTERM, a fatal failure, --max-time: take nothing new */
    int finished;                       /* the publisher is done: the poller should end */
    int in_poll;                        /* the poller is waiting in a poll request */
    int fatal;                          /* exit code of the failure that ended the run, 0 if none */
    int quit_pipe[2];                   /* written once: the reader stops reading */

    /* counters (under mu) */
    uint64_t lines, invalid, queued_total, sent, refused, resent, commands;
    int read_error, refused_exit, poll_exit;
    uint64_t inflight;                  /* 1 while the publisher holds a message */
    uint64_t lost;                      /* read but dropped from memory by a stop (no --spool) */
    unsigned pub_connects, poll_connects; /* transport_connects(), copied by the owning thread */
};

/* The signal handler's view (async-signal-safe: flags, write(2), transport_abort). */
static volatile sig_atomic_t g_signal;
static int g_sig_pipe[2] = { -1, -1 };
static struct transport *volatile g_pub_t, *volatile g_poll_t;

static void on_signal(int sig)
{
    int again = g_signal != 0;
    g_signal = sig;
    int e = errno;
    if (g_sig_pipe[1] >= 0) {
        ssize_t w = write(g_sig_pipe[1], "s", 1);
        (void)w;
    }
    if (g_poll_t)
        transport_abort(g_poll_t); /* commands can wait for the next run */
    if (again && g_pub_t)
        transport_abort(g_pub_t);  /* second signal: do not wait for the request in flight */
    errno = e;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------ stderr and stdout
 * Diagnostics go to stderr, where on a TTY a one-line status is redrawn every tick:
 * every other stderr line first clears it (the next tick redraws it). --json events go to
 * stdout, fully buffered when it is not a TTY and flushed every tick and at the end;
 * each event is written under the stdout lock so lines of two threads never mix. */
static pthread_mutex_t err_mu = PTHREAD_MUTEX_INITIALIZER;
static int status_on, status_shown;

static void status_clear_locked(void)
{
    if (status_shown) {
        fputs("\r\033[K", stderr);
        status_shown = 0;
    }
}

static void say(const struct options *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const struct options *o, const char *fmt, ...)
{
    if (o->silent)
        return;
    pthread_mutex_lock(&err_mu);
    status_clear_locked();
    fputs("dtls-send: ", stderr);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    pthread_mutex_unlock(&err_mu);
}

/* A failure that is reported the usual way (error event with --json). */
static int report(const struct options *o, const struct conn_error *e)
{
    pthread_mutex_lock(&err_mu);
    status_clear_locked();
    int rc = out_error(o, e);
    pthread_mutex_unlock(&err_mu);
    return rc;
}

static void fail_with(struct conn_error *e, int exit, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void fail_with(struct conn_error *e, int exit, const char *name, const char *fmt, ...)
{
    e->exit = exit;
    e->name = name;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

static void emit(cJSON *ev)
{
    char *s = cJSON_PrintUnformatted(ev);
    cJSON_Delete(ev);
    if (!s)
        return;
    flockfile(stdout);
    fputs_unlocked(s, stdout);
    putc_unlocked('\n', stdout);
    funlockfile(stdout);
    free(s);
}

/* ------------------------------------------------------------------ helpers */

/* Wait on s->cv until the absolute monotonic time `until` (ms) or a broadcast. */
static void cv_wait_until(struct stream *s, int64_t until)
{
    struct timespec ts = { (time_t)(until / 1000), (long)(until % 1000) * 1000000L };
    pthread_cond_timedwait(&s->cv, &s->mu, &ts);
}

/* Sleep ms, waking early when the run is stopping or finished. Returns 1 if woken so. */
static int nap(struct stream *s, double ms, int for_poller)
{
    int64_t until = now_ms() + (int64_t)ms;
    pthread_mutex_lock(&s->mu);
    while (!s->stopping && !(for_poller && s->finished) && now_ms() < until)
        cv_wait_until(s, until);
    int woken = s->stopping || (for_poller && s->finished);
    pthread_mutex_unlock(&s->mu);
    return woken;
}

/* Exponential backoff with ±50% jitter: 100 ms, 200 ms, ... capped at 10 s. */
struct backoff {
    double ms;
    uint64_t rng;
};

static double backoff_next(struct backoff *b)
{
    b->ms = b->ms <= 0 ? BACKOFF_FIRST_MS : b->ms * 2;
    if (b->ms > BACKOFF_MAX_MS)
        b->ms = BACKOFF_MAX_MS;
    b->rng ^= b->rng << 13; /* xorshift64: jitter needs no cryptographic randomness */
    b->rng ^= b->rng >> 7;
    b->rng ^= b->rng << 17;
    double u = (double)(b->rng >> 11) / (double)(1ull << 53);
    return b->ms * (0.5 + u);
}

static void backoff_init(struct backoff *b, uint64_t salt)
{
    b->ms = 0;
    b->rng = (uint64_t)now_ms() * 0x9E3779B97F4A7C15ull ^ (uint64_t)getpid() << 20 ^ salt;
    if (!b->rng)
        b->rng = 1;
}

/* The wait before trying again after an HTTP status: Retry-After for 429/503, else backoff. */
static double retry_wait_ms(struct backoff *b, const struct http_resp *rs)
{
    double ms = backoff_next(b);
    if ((rs->status == 429 || rs->status == 503) && rs->retry_after_s >= 0)
        ms = rs->retry_after_s * 1000;
    return ms;
}

/* End the run with exit code `code` (the first failure wins). Returns 1 for the first. */
static int set_fatal(struct stream *s, int code)
{
    pthread_mutex_lock(&s->mu);
    int first = !s->fatal;
    if (first)
        s->fatal = code;
    s->stopping = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return first;
}

/* A failure that ends the run, reported once (the publisher and the poller often meet the
 * same one, e.g. bad credentials). */
static void fatal_report(struct stream *s, const struct conn_error *e)
{
    if (set_fatal(s, e->exit ? e->exit : EXIT_HTTP))
        report(s->o, e);
}

static int deadline_passed(const struct stream *s)
{
    return s->deadline_ms && now_ms() >= s->deadline_ms;
}

/* --max-time is up: stop the run with exit 28, reported once whoever notices first. */
static void timed_out(struct stream *s, const char *what)
{
    pthread_mutex_lock(&s->mu);
    int first = !s->fatal;
    if (first)
        s->fatal = EXIT_TIMEOUT;
    s->stopping = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    ssize_t w = write(s->quit_pipe[1], "q", 1);
    (void)w;
    if (first) {
        struct conn_error e;
        fail_with(&e, EXIT_TIMEOUT, "timeout", "--max-time %.3g s reached%s%s", s->o->max_time, what ? " with " : "",
                  what ? what : "");
        report(s->o, &e);
    }
}

/* ------------------------------------------------------------------ reader */

static void count_invalid(struct stream *s)
{
    pthread_mutex_lock(&s->mu);
    s->invalid++;
    pthread_mutex_unlock(&s->mu);
}


static int enqueue_memory(struct stream *s, const char *line, size_t len, uint64_t lineno)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, line, len);
    copy[len] = 0;
    pthread_mutex_lock(&s->mu);
    /* Backpressure: a full queue stops the reader, and so the producer, until the
     * publisher catches up. One message is always let in, however large. */
    while (!s->stopping && s->q_len && (s->q_len >= QUEUE_MAX_MSGS || s->q_bytes + len > QUEUE_MAX_BYTES))
        pthread_cond_wait(&s->cv, &s->mu);
    if (s->stopping) {
        s->lost++;
        pthread_mutex_unlock(&s->mu);
        free(copy);
        return 1;
    }
    if (s->q_len == s->q_cap) {
        size_t cap = s->q_cap ? s->q_cap * 2 : 64;
        struct item *q = malloc(cap * sizeof *q);
        if (!q) {
            pthread_mutex_unlock(&s->mu);
            free(copy);
            return -1;
        }
        for (size_t i = 0; i < s->q_len; i++)
            q[i] = s->q[(s->q_head + i) % s->q_cap];
        free(s->q);
        s->q = q;
        s->q_head = 0;
        s->q_cap = cap;
    }
    s->q[(s->q_head + s->q_len) % s->q_cap] = (struct item){ copy, len, lineno, 0 };
    s->q_len++;
    s->q_bytes += len;
    s->queued_total++;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return 0;
}

/* Lines read and checked, waiting to be spooled together: one file and one fsync for
 * all the complete lines one read brought (up to the limits below). */
#define SPOOL_BATCH_MSGS 1000
#define SPOOL_BATCH_BYTES (4u << 20)

struct batch {
    struct spool_msg m[SPOOL_BATCH_MSGS];
    uint64_t line[SPOOL_BATCH_MSGS];
    size_t n, bytes;
};

/* Spool the batch. 0; 1 when stopping (nothing spooled); -1 on failure (reported). */
static int spool_batch(struct stream *s, struct batch *b)
{
    if (b->n == 0)
        return 0;
    pthread_mutex_lock(&s->mu);
    int stopping = s->stopping;
    pthread_mutex_unlock(&s->mu);
    if (stopping)
        return 1; /* not consumed from stdin either (SEEK/TEE input) */
    uint64_t first;
    int rc = spool_put_batch(s->sp, b->m, b->n, &first);
    if (rc != SPOOL_OK) {
        struct conn_error e;
        fail_with(&e, EXIT_READ_INPUT, "spool", "--spool: %s (lines %llu to %llu are not spooled)",
                  spool_last_error(s->sp), (unsigned long long)b->line[0], (unsigned long long)b->line[b->n - 1]);
        report(s->o, &e);
        set_fatal(s, EXIT_READ_INPUT);
        return -1;
    }
    pthread_mutex_lock(&s->mu);
    if (s->il_len + b->n > s->il_cap) {
        size_t cap = s->il_cap ? s->il_cap : 256;
        while (cap < s->il_len + b->n)
            cap *= 2;
        struct idline *p = malloc(cap * sizeof *p);
        if (p) {
            for (size_t i = 0; i < s->il_len; i++)
                p[i] = s->il[(s->il_head + i) % s->il_cap];
            free(s->il);
            s->il = p;
            s->il_head = 0;
            s->il_cap = cap;
        }
    }
    for (size_t i = 0; i < b->n && s->il_len < s->il_cap; i++) /* without memory: no line numbers */
        s->il[(s->il_head + s->il_len++) % s->il_cap] = (struct idline){ first + i, b->line[i] };
    s->queued_total += b->n;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    b->n = b->bytes = 0;
    return 0;
}

/* One line of input (without its newline): 1 when it is a message, 0 when it is blank or
 * invalid (reported and counted). */
static int check_line(struct stream *s, const char *line, size_t *len, uint64_t lineno)
{
    if (*len && line[*len - 1] == '\r')
        (*len)--;
    size_t i = 0;
    while (i < *len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
        i++;
    if (i == *len)
        return 0; /* blank lines separate nothing and are not messages */
    size_t jl, jc;
    const char *why;
    if (*len > STREAM_MAX_LINE)
        say(s->o, "stdin line %llu: longer than %u bytes, skipped", (unsigned long long)lineno, STREAM_MAX_LINE);
    else if (json_check((const uint8_t *)line, *len, &jl, &jc, &why) != 0)
        say(s->o, "stdin line %llu: invalid JSON at column %zu: %s; skipped", (unsigned long long)lineno, jc, why);
    else
        return 1;
    count_invalid(s);
    return 0;
}

/* Queue one line: in memory, or into the batch (the caller made room: batch_fits). 0, or
 * -1 to stop reading (stopping, or a failure already reported). */
static int take_line(struct stream *s, struct batch *b, const char *line, size_t len, uint64_t lineno)
{
    if (!check_line(s, line, &len, lineno))
        return 0;
    if (!s->sp) {
        int rc = enqueue_memory(s, line, len, lineno);
        if (rc < 0) {
            struct conn_error e;
            fail_with(&e, EXIT_READ_INPUT, "out_of_memory", "out of memory queueing line %llu",
                      (unsigned long long)lineno);
            report(s->o, &e);
            set_fatal(s, EXIT_READ_INPUT);
        }
        return rc == 0 ? 0 : -1;
    }
    b->m[b->n] = (struct spool_msg){ line, len };
    b->line[b->n++] = lineno;
    b->bytes += len;
    return 0;
}

/* How the reader takes bytes from stdin. With --spool a complete line is consumed from
 * stdin only after it is on disk, so a SIGKILL at any moment loses no line that stdin
 * gave up (and a restart on the same file offset resumes exactly after what is spooled):
 *   SEEK  stdin is a regular file: pread(2) ahead of our offset, lseek(2) past each line
 *         once it is spooled; a partial last line is left unconsumed;
 *   TEE   stdin is a pipe: tee(2) copies what the pipe holds without consuming it, read(2)
 *         then consumes the lines once they are spooled. A partial line stays in the pipe
 *         (so a dtls-send started on the same FIFO after a crash reads it whole); since
 *         poll(2) cannot wait for "more than is there", the reader then re-peeks after a
 *         short nap (1 ms doubling to 50 ms). A partial line longer than what tee(2) can
 *         show (64 KiB) is consumed as it comes;
 *   READ  anything else, and all input without --spool: plain read(2). */
enum in_mode { IN_READ, IN_SEEK, IN_TEE };
#define TEE_MAX (1u << 16)

struct input {
    enum in_mode mode;
    off_t off;      /* IN_SEEK: the offset of the first unconsumed byte */
    int peek[2];    /* IN_TEE: the pipe tee(2) copies into */
};

static void in_init(struct input *in, int spool)
{
    struct stat st;
    in->mode = IN_READ;
    in->peek[0] = in->peek[1] = -1;
    if (!spool || fstat(STDIN_FILENO, &st) != 0)
        return;
    if (S_ISREG(st.st_mode)) {
        in->off = lseek(STDIN_FILENO, 0, SEEK_CUR);
        if (in->off >= 0)
            in->mode = IN_SEEK;
    } else if (S_ISFIFO(st.st_mode) && pipe2(in->peek, O_CLOEXEC) == 0) {
        in->mode = IN_TEE;
    }
}

static void in_free(struct input *in)
{
    for (int i = 0; i < 2; i++)
        if (in->peek[i] >= 0)
            close(in->peek[i]);
}

static ssize_t read_full(int fd, char *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? -1 : (ssize_t)got;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* Up to room more bytes, not yet consumed (ahead = bytes already peeked and unconsumed).
 * >0 bytes, 0 at the end of input, -1 on error (errno), -2: nothing yet, poll again. */
static ssize_t in_peek(struct input *in, char *p, size_t room, size_t ahead)
{
    if (in->mode == IN_SEEK)
        return pread(STDIN_FILENO, p, room, in->off + (off_t)ahead);
    if (in->mode == IN_TEE) { /* from the head of the pipe: ahead bytes are peeked again */
        if (room > TEE_MAX)
            room = TEE_MAX; /* what the peek pipe holds */
        ssize_t n = tee(STDIN_FILENO, in->peek[1], room, SPLICE_F_NONBLOCK);
        if (n > 0)
            return read_full(in->peek[0], p, (size_t)n) == n ? n : -1;
        if (n == 0)
            return 0;
        if (errno == EAGAIN)
            return -2;
        if (errno != EINVAL)
            return -1;
        in->mode = IN_READ; /* not a pipe tee(2) accepts: fall back */
    }
    return read(STDIN_FILENO, p, room);
}

/* n bytes that in_peek returned are dealt with: consume them from stdin. */
static int in_consume(struct input *in, size_t n)
{
    if (n == 0 || in->mode == IN_READ)
        return 0;
    if (in->mode == IN_SEEK) {
        in->off += (off_t)n;
        return lseek(STDIN_FILENO, in->off, SEEK_SET) < 0 ? -1 : 0;
    }
    char scratch[4096];
    while (n) {
        size_t k = n < sizeof scratch ? n : sizeof scratch;
        if (read_full(STDIN_FILENO, scratch, k) != (ssize_t)k)
            return -1;
        n -= k;
    }
    return 0;
}

/* Consume stdin up to buffer offset pos (what lies before it is spooled or skipped). */
static int commit_to(struct input *in, size_t *done, size_t pos)
{
    if (pos <= *done)
        return 0;
    int rc = in_consume(in, pos - *done);
    *done = pos;
    return rc;
}

static int batch_fits(const struct batch *b, size_t len)
{
    return b->n < SPOOL_BATCH_MSGS && (b->n == 0 || b->bytes + len <= SPOOL_BATCH_BYTES);
}

static void *reader_main(void *arg)
{
    struct stream *s = arg;
    struct input in;
    in_init(&in, s->sp != NULL);
    /* buf[0..len): bytes of the current partial line and what follows; buf[0..done) are
     * consumed from stdin already, buf[done..len) only peeked. With --spool the lines of
     * one read are spooled as one batch, then consumed. */
    size_t cap = 1 << 16, len = 0, done = 0, scanned = 0;
    char *buf = malloc(cap);
    struct batch *b = s->sp ? calloc(1, sizeof *b) : NULL;
    uint64_t lineno = 0;
    int skipping = 0; /* inside a line already reported as too long */
    size_t tee_last = 0;
    int tee_nap_ms = 1;
    const char *fail = NULL;
    if (!buf || (s->sp && !b)) {
        set_fatal(s, EXIT_READ_INPUT);
        goto out;
    }
    for (;;) {
        struct pollfd p[2] = { { STDIN_FILENO, POLLIN, 0 }, { s->quit_pipe[0], POLLIN, 0 } };
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            fail = "poll";
            break;
        }
        if (p[1].revents)
            break;
        int hup = (p[0].revents & POLLHUP) != 0; /* no writer left: what is in the pipe is all */
        if (len == cap) {
            char *nb = cap < STREAM_MAX_LINE + 2 ? realloc(buf, cap * 2) : NULL;
            if (nb) {
                buf = nb;
                cap *= 2;
            } else { /* a line beyond the limit: report it once, drop its bytes */
                if (!skipping)
                    say(s->o, "stdin line %llu: longer than %u bytes, skipped", (unsigned long long)lineno + 1,
                        STREAM_MAX_LINE);
                skipping = 1;
                if (commit_to(&in, &done, len) != 0) {
                    fail = "consume";
                    break;
                }
                len = done = scanned = 0;
            }
        }
        if (in.mode == IN_TEE) { /* tee(2) shows the pipe from its head: peek the partial line again */
            len = done;
            scanned = done;
        }
        ssize_t n = in_peek(&in, buf + len, cap - len, len - done);
        if (n == -2)
            continue;
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            fail = "read";
            break;
        }
        if (n == 0) { /* end of input; a last line without a newline still counts */
            if (len) {
                lineno++;
                if (skipping)
                    count_invalid(s);
                else if (take_line(s, b, buf, len, lineno) < 0)
                    break;
                if (b && spool_batch(s, b) != 0)
                    break;
                commit_to(&in, &done, len);
            }
            break;
        }
        len += (size_t)n;
        if (in.mode == IN_READ)
            done = len;
        size_t start = 0;
        char *nl;
        int stop = 0;
        while ((nl = memchr(buf + scanned, '\n', len - scanned)) != NULL) {
            size_t end = (size_t)(nl - buf);
            lineno++;
            if (skipping) {
                skipping = 0;
                count_invalid(s);
            } else {
                if (b && !batch_fits(b, end - start)) {
                    /* Spool what is gathered; only then is it consumed from stdin. */
                    if (spool_batch(s, b) != 0 || commit_to(&in, &done, start) != 0) {
                        stop = 1;
                        break;
                    }
                }
                if (take_line(s, b, buf + start, end - start, lineno) < 0) {
                    stop = 1;
                    break;
                }
            }
            start = scanned = end + 1;
        }
        if (!stop && b && spool_batch(s, b) != 0)
            stop = 1;
        if (stop)
            break;
        if (commit_to(&in, &done, start) != 0) {
            fail = "consume";
            break;
        }
        memmove(buf, buf + start, len - start);
        len -= start;
        done -= start;
        scanned = len;
        if (in.mode == IN_TEE) { /* see enum in_mode */
            if (len - done >= TEE_MAX) { /* a partial line too long to peek whole */
                if (commit_to(&in, &done, len) != 0) {
                    fail = "consume";
                    break;
                }
            } else if (start == 0 && (size_t)n == tee_last && hup) {
                /* The writers are gone: the partial line is the last line. */
                if (len) {
                    lineno++;
                    if (take_line(s, b, buf, len, lineno) < 0 || spool_batch(s, b) != 0)
                        break;
                    commit_to(&in, &done, len);
                }
                break;
            } else if (start == 0 && (size_t)n == tee_last) {
                /* Nothing new since the last peek: nap instead of spinning on poll(2). */
                struct pollfd q = { s->quit_pipe[0], POLLIN, 0 };
                poll(&q, 1, tee_nap_ms);
                tee_nap_ms = tee_nap_ms < 50 ? tee_nap_ms * 2 : 50;
            } else {
                tee_nap_ms = 1;
            }
            tee_last = (size_t)n;
        }
    }
    if (fail) {
        struct conn_error e;
        fail_with(&e, EXIT_READ_INPUT, "read_error", "cannot read standard input (%s): %s", fail, strerror(errno));
        report(s->o, &e);
        pthread_mutex_lock(&s->mu);
        s->read_error = 1;
        pthread_mutex_unlock(&s->mu);
    }
out:
    free(buf);
    free(b);
    in_free(&in);
    pthread_mutex_lock(&s->mu);
    s->lines = lineno;
    s->reader_done = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* ------------------------------------------------------------------ publisher */

/* The next message to send: 1 with *it, 0 when the run is over (input done and queue
 * empty, or stopping). */
static int take_item(struct stream *s, struct item *it)
{
    pthread_mutex_lock(&s->mu);
    for (;;) {
        if (s->stopping) {
            pthread_mutex_unlock(&s->mu);
            return 0;
        }
        if (s->sp) {
            uint64_t puts_before = s->queued_total;
            pthread_mutex_unlock(&s->mu);
            int rc = spool_next(s->sp, &it->spool_id, &it->data, &it->len);
            pthread_mutex_lock(&s->mu);
            if (rc < 0) {
                pthread_mutex_unlock(&s->mu);
                struct conn_error e;
                fail_with(&e, EXIT_READ_INPUT, "spool", "--spool: %s", spool_last_error(s->sp));
                report(s->o, &e);
                set_fatal(s, EXIT_READ_INPUT);
                return 0;
            }
            if (rc == 1) {
                it->line = 0;
                while (s->il_len && s->il[s->il_head].id <= it->spool_id) {
                    if (s->il[s->il_head].id == it->spool_id)
                        it->line = s->il[s->il_head].line;
                    s->il_head = (s->il_head + 1) % s->il_cap;
                    s->il_len--;
                }
                s->inflight = 1;
                pthread_mutex_unlock(&s->mu);
                return 1;
            }
            /* Nothing pending: done if the reader is, else wait for its next put. The
             * reader broadcasts after each put, so re-check under the lock first. */
            if (s->reader_done && spool_count(s->sp) == 0) {
                pthread_mutex_unlock(&s->mu);
                return 0;
            }
            if (s->reader_done) {
                /* Entries exist but were all handed out: only possible after a failure
                 * left one behind; nothing more will come. */
                pthread_mutex_unlock(&s->mu);
                return 0;
            }
            while (s->queued_total == puts_before && !s->reader_done && !s->stopping)
                pthread_cond_wait(&s->cv, &s->mu);
            continue;
        }
        if (s->q_len) {
            *it = s->q[s->q_head];
            s->q_head = (s->q_head + 1) % s->q_cap;
            s->q_len--;
            s->q_bytes -= it->len;
            s->inflight = 1;
            pthread_cond_broadcast(&s->cv); /* room for the reader */
            pthread_mutex_unlock(&s->mu);
            return 1;
        }
        if (s->reader_done) {
            pthread_mutex_unlock(&s->mu);
            return 0;
        }
        pthread_cond_wait(&s->cv, &s->mu);
    }
}

static void describe_item(const struct item *it, char *out, size_t cap)
{
    if (it->line)
        snprintf(out, cap, "line %llu", (unsigned long long)it->line);
    else
        snprintf(out, cap, "spooled message %llu", (unsigned long long)it->spool_id);
}

enum { PUB_ACCEPTED, PUB_REFUSED, PUB_STOP };

/* Send one message until it is accepted, refused for good, or the run stops. */
static int publish_one(struct stream *s, const struct item *it, struct backoff *bo)
{
    const struct options *o = s->o;
    int failures = 0, maybe_sent = 0;
    char what[64];
    describe_item(it, what, sizeof what);
    for (;;) {
        pthread_mutex_lock(&s->mu);
        int stop = s->stopping;
        pthread_mutex_unlock(&s->mu);
        if (stop)
            return PUB_STOP;
        struct conn_error err;
        memset(&err, 0, sizeof err);
        if (deadline_passed(s)) {
            char w[96];
            snprintf(w, sizeof w, "%s not yet accepted", what);
            timed_out(s, w);
            return PUB_STOP;
        }
        struct dialect_req r;
        if (dialect_publish_req(&s->d, &r, (const uint8_t *)it->data, it->len, s->content_type, -1, &err) != 0) {
            dialect_req_free(&r);
            fatal_report(s, &err);
            return PUB_STOP;
        }
        struct http_resp rs;
        memset(&rs, 0, sizeof rs);
        int rc = transport_request(s->pub, &r.rq, &rs, &err);
        dialect_req_free(&r);
        unsigned nc = transport_connects(s->pub);
        pthread_mutex_lock(&s->mu);
        s->pub_connects = nc;
        pthread_mutex_unlock(&s->mu);
        double wait_ms;
        if (rc != 0) {
            if (rs.aborted)
                return PUB_STOP;
            if (!rs.retriable) {
                fatal_report(s, &err);
                return PUB_STOP;
            }
            if (rs.maybe_sent)
                maybe_sent = 1; /* the cloud may have it: the next attempt may duplicate */
            wait_ms = backoff_next(bo);
        } else {
            struct cloud_command cmd;
            int v = dialect_read_response(&s->d, DIALECT_OP_PUBLISH, &rs, &cmd, &err);
            if (v != DIALECT_FAIL) {
                if (o->json) {
                    cJSON *ev = cJSON_CreateObject();
                    cJSON_AddStringToObject(ev, "event", "published");
                    cJSON_AddNumberToObject(ev, "status", rs.status);
                    cJSON_AddNumberToObject(ev, "ms", (double)(int64_t)(rs.ms * 1000) / 1000);
                    if (it->line)
                        cJSON_AddNumberToObject(ev, "line", (double)it->line);
                    if (it->spool_id)
                        cJSON_AddNumberToObject(ev, "spool_id", (double)it->spool_id);
                    if (maybe_sent)
                        cJSON_AddTrueToObject(ev, "resent");
                    emit(ev);
                }
                http_resp_free(&rs);
                bo->ms = 0;
                if (maybe_sent) { /* counted once per message: the duplicates there may be */
                    pthread_mutex_lock(&s->mu);
                    s->resent++;
                    pthread_mutex_unlock(&s->mu);
                }
                if (v == DIALECT_COMMAND) { /* a cloud may attach one to any publish */
                    struct conn_error ce;
                    if (command_handle(o, &s->d, s->pub, &cmd, &ce) != 0)
                        report(o, &ce);
                    command_free(&cmd);
                    pthread_mutex_lock(&s->mu);
                    s->commands++;
                    pthread_mutex_unlock(&s->mu);
                }
                return PUB_ACCEPTED;
            }
            int st = rs.status;
            if (st == 401 || st == 403) {
                http_resp_free(&rs);
                fatal_report(s, &err);
                return PUB_STOP;
            }
            if (!http_status_retriable(st)) {
                http_resp_free(&rs);
                say(o, "%s: %s", what, err.message);
                if (o->json) {
                    cJSON *ev = cJSON_CreateObject();
                    cJSON_AddStringToObject(ev, "event", "refused");
                    cJSON_AddNumberToObject(ev, "status", st);
                    if (it->line)
                        cJSON_AddNumberToObject(ev, "line", (double)it->line);
                    if (it->spool_id)
                        cJSON_AddNumberToObject(ev, "spool_id", (double)it->spool_id);
                    cJSON_AddStringToObject(ev, "message", err.message);
                    emit(ev);
                }
                return PUB_REFUSED;
            }
            wait_ms = retry_wait_ms(bo, &rs);
            http_resp_free(&rs);
        }
        failures++;
        if (o->retry > 0 && failures > o->retry) {
            struct conn_error e2 = err;
            snprintf(e2.message, sizeof e2.message, "%s: giving up after %d attempts: %.400s", what, failures,
                     err.message);
            fatal_report(s, &e2);
            return PUB_STOP;
        }
        if (o->verbose || failures == 3 || (failures > 3 && failures % 10 == 0))
            say(o, "%s: %s; trying again in %.1f s (attempt %d)", what, err.message, wait_ms / 1000, failures + 1);
        if (s->deadline_ms && now_ms() + (int64_t)wait_ms > s->deadline_ms)
            wait_ms = (double)(s->deadline_ms - now_ms() + 1);
        if (nap(s, wait_ms, 0))
            return PUB_STOP;
    }
}

static void *publisher_main(void *arg)
{
    struct stream *s = arg;
    struct backoff bo;
    backoff_init(&bo, 1);
    struct item it;
    while (take_item(s, &it)) {
        int r = publish_one(s, &it, &bo);
        if (r == PUB_ACCEPTED && s->sp && spool_done(s->sp, it.spool_id) != SPOOL_OK)
            say(s->o, "--spool: %s (the message may be sent again by the next run)", spool_last_error(s->sp));
        if (r == PUB_REFUSED && s->sp)
            spool_done(s->sp, it.spool_id); /* refused for good: retrying it in every run helps nobody */
        pthread_mutex_lock(&s->mu);
        s->inflight = 0;
        if (r == PUB_ACCEPTED)
            s->sent++;
        else if (r == PUB_REFUSED) {
            s->refused++;
            s->refused_exit = EXIT_HTTP;
        }
        pthread_mutex_unlock(&s->mu);
        free(it.data);
        if (r == PUB_STOP) {
            pthread_mutex_lock(&s->mu);
            if (!s->sp)
                s->lost++; /* the one in hand (with --spool it stays on disk) */
            pthread_mutex_unlock(&s->mu);
            break;
        }
    }
    pthread_mutex_lock(&s->mu);
    s->publisher_done = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    ssize_t w = write(g_sig_pipe[1], "p", 1); /* wake the main loop now, not at its next tick */
    (void)w;
    return NULL;
}

/* ------------------------------------------------------------------ poller */

static void *poller_main(void *arg)
{
    struct stream *s = arg;
    const struct options *o = s->o;
    struct backoff bo;
    backoff_init(&bo, 2);
    double wait_s = o->poll_interval > 0 ? 0 : o->wait > 0 ? o->wait : DIALECT_LISTEN_WAIT_S;
    for (;;) {
        struct conn_error err;
        memset(&err, 0, sizeof err);
        struct dialect_req r;
        if (dialect_poll_req(&s->d, &r, wait_s, &err) != 0) {
            dialect_req_free(&r);
            report(o, &err);
            break;
        }
        pthread_mutex_lock(&s->mu);
        if (s->finished || s->stopping) {
            pthread_mutex_unlock(&s->mu);
            dialect_req_free(&r);
            break;
        }
        s->in_poll = 1;
        pthread_mutex_unlock(&s->mu);
        struct http_resp rs;
        memset(&rs, 0, sizeof rs);
        int rc = transport_request(s->poll, &r.rq, &rs, &err);
        dialect_req_free(&r);
        unsigned nc = transport_connects(s->poll);
        pthread_mutex_lock(&s->mu);
        s->in_poll = 0;
        s->poll_connects = nc;
        int ending = s->finished || s->stopping;
        pthread_mutex_unlock(&s->mu);
        double again_ms = o->poll_interval > 0 ? o->poll_interval * 1000 : 0;
        if (rc != 0) {
            if (rs.aborted || ending)
                break;
            if (!rs.retriable) {
                fatal_report(s, &err);
                break;
            }
            if (o->verbose)
                say(o, "command poll: %s; polling again", err.message);
            again_ms = backoff_next(&bo);
        } else {
            struct cloud_command cmd;
            int v = dialect_read_response(&s->d, DIALECT_OP_POLL, &rs, &cmd, &err);
            if (v == DIALECT_FAIL) {
                int st = rs.status;
                if (st == 401 || st == 403) {
                    http_resp_free(&rs);
                    fatal_report(s, &err);
                    break;
                }
                if (!http_status_retriable(st) && err.exit == EXIT_HTTP) {
                    http_resp_free(&rs);
                    struct conn_error e2 = err;
                    snprintf(e2.message, sizeof e2.message, "%.440s; commands are not polled any more", err.message);
                    report(o, &e2);
                    pthread_mutex_lock(&s->mu);
                    s->poll_exit = EXIT_HTTP;
                    pthread_mutex_unlock(&s->mu);
                    break;
                }
                if (o->verbose)
                    say(o, "command poll: %s; polling again", err.message);
                again_ms = rs.status ? retry_wait_ms(&bo, &rs) : backoff_next(&bo);
            } else {
                bo.ms = 0;
                if (v == DIALECT_COMMAND) {
                    /* An abort meant for the poll may have landed after it returned. */
                    transport_reset(s->poll);
                    struct conn_error ce;
                    if (command_handle(o, &s->d, s->poll, &cmd, &ce) != 0) {
                        report(o, &ce);
                        pthread_mutex_lock(&s->mu);
                        s->poll_exit = ce.exit;
                        pthread_mutex_unlock(&s->mu);
                    }
                    command_free(&cmd);
                    pthread_mutex_lock(&s->mu);
                    s->commands++;
                    pthread_mutex_unlock(&s->mu);
                    fflush(stdout);
                }
            }
            http_resp_free(&rs);
        }
        if (again_ms > 0 && nap(s, again_ms, 1))
            break;
    }
    return NULL;
}

/* ------------------------------------------------------------------ main */

/* Connections opened again after the first, both paths (under s->mu; the counts are
 * copied from the transports by the threads that own them). */
static unsigned reconnects(const struct stream *s)
{
    unsigned a = s->pub_connects, b = s->poll_connects;
    return (a > 1 ? a - 1 : 0) + (b > 1 ? b - 1 : 0);
}

static size_t queued_now(struct stream *s)
{
    /* under s->mu */
    return s->sp ? spool_count(s->sp) - (size_t)s->inflight : s->q_len;
}

#define RATE_SAMPLES 8
static void status_draw(struct stream *s, uint64_t sent_hist[RATE_SAMPLES], int64_t t_hist[RATE_SAMPLES],
                        unsigned *tick)
{
    pthread_mutex_lock(&s->mu);
    uint64_t sent = s->sent;
    size_t queued = queued_now(s);
    unsigned rec = reconnects(s);
    pthread_mutex_unlock(&s->mu);
    int64_t t = now_ms();
    unsigned i = *tick % RATE_SAMPLES, oldest = *tick >= RATE_SAMPLES ? (*tick + 1) % RATE_SAMPLES : 0;
    sent_hist[i] = sent;
    t_hist[i] = t;
    double rate = 0;
    if (*tick > 0 && t > t_hist[oldest])
        rate = (double)(sent - sent_hist[oldest]) * 1000.0 / (double)(t - t_hist[oldest]);
    (*tick)++;
    pthread_mutex_lock(&err_mu);
    fprintf(stderr, "\r\033[Ksent %llu  %.0f msg/s  queued %zu  reconnects %u", (unsigned long long)sent, rate, queued,
            rec);
    status_shown = 1;
    fflush(stderr);
    pthread_mutex_unlock(&err_mu);
}

static int open_transport(struct stream *s, struct transport **t, struct conn_error *err)
{
    *t = transport_open(s->o, &s->url, err);
    return *t ? 0 : -1;
}

int cmd_stream(const struct options *o)
{
    struct stream *s = calloc(1, sizeof *s);
    struct conn_error err;
    memset(&err, 0, sizeof err);
    if (!s) {
        fputs("dtls-send: out of memory\n", stderr);
        return EXIT_READ_INPUT;
    }
    s->o = o;
    s->quit_pipe[0] = s->quit_pipe[1] = -1;
    int rc = 0, have_poller = 0, have_publisher = 0;
    pthread_t reader, publisher, poller;
    if (o->data || o->data_binary || o->n_items) {
        fail_with(&err, EXIT_USAGE, "usage", "--stream reads its messages from standard input: drop -d, --data-binary and items");
        rc = out_error(o, &err);
        goto free_s;
    }
    int urc = dtls_url_parse(&s->url, o->url);
    if (urc != 0) {
        fail_with(&err, EXIT_BAD_URL, "bad_url", "bad URL '%s': %s", o->url, dtls_url_strerror(urc));
        rc = out_error(o, &err);
        goto free_s;
    }
    if (dialect_init(&s->d, o, &s->url, &err) != 0) {
        rc = out_error(o, &err);
        goto free_s;
    }
    int want_poll = dialect_has_commands(&s->d) && o->wait != 0;
    if (!dialect_has_commands(&s->d) && o->on_command)
        say(o, "warning: the %s dialect has no commands; --on-command is never run", s->d.name);
    s->content_type = o->content_type ? o->content_type : "application/json";

    if (o->spool) {
        char e[512];
        int src = spool_open(o->spool, &s->sp, e, sizeof e);
        if (src != SPOOL_OK) {
            fail_with(&err, EXIT_READ_INPUT, src == SPOOL_E_LOCKED ? "spool_locked" : "spool", "--spool: %s", e);
            rc = out_error(o, &err);
            goto free_d;
        }
        size_t pending = spool_count(s->sp);
        if (pending && o->verbose)
            say(o, "--spool: %zu message%s left by an earlier run go%s first", pending, pending == 1 ? "" : "s",
                pending == 1 ? "es" : "");
    }
    if (open_transport(s, &s->pub, &err) != 0 || (want_poll && open_transport(s, &s->poll, &err) != 0)) {
        rc = out_error(o, &err);
        goto close_all;
    }

    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&s->mu, NULL);
    if (pipe2(s->quit_pipe, O_CLOEXEC) != 0 || pipe2(g_sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        fail_with(&err, EXIT_READ_INPUT, "pipe", "cannot create a pipe: %s", strerror(errno));
        rc = out_error(o, &err);
        goto close_all;
    }
    s->t0_ms = now_ms();
    s->deadline_ms = o->max_time > 0 ? s->t0_ms + (int64_t)(o->max_time * 1000) : 0;
    if (!isatty(STDOUT_FILENO))
        setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    status_on = isatty(STDERR_FILENO) && !o->silent && !o->verbose;

    g_pub_t = s->pub;
    g_poll_t = s->poll;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    if (pthread_create(&reader, NULL, reader_main, s) != 0) {
        fail_with(&err, EXIT_READ_INPUT, "thread", "cannot start a thread");
        rc = out_error(o, &err);
        goto close_all;
    }
    have_publisher = pthread_create(&publisher, NULL, publisher_main, s) == 0;
    if (!have_publisher) { /* nothing would take from the queue: end through the usual path */
        say(o, "cannot start a thread");
        set_fatal(s, EXIT_READ_INPUT);
        s->publisher_done = 1;
    }
    if (want_poll)
        have_poller = pthread_create(&poller, NULL, poller_main, s) == 0;

    /* The main loop: signals, deadline, status, flushing; until the publisher is done. */
    uint64_t sent_hist[RATE_SAMPLES] = { 0 };
    int64_t t_hist[RATE_SAMPLES] = { 0 };
    unsigned tick = 0;
    int64_t grace_until = 0;
    for (;;) {
        struct pollfd p = { g_sig_pipe[0], POLLIN, 0 };
        if (poll(&p, 1, TICK_MS) > 0) {
            char drain[16];
            while (read(g_sig_pipe[0], drain, sizeof drain) > 0)
                ;
        }
        pthread_mutex_lock(&s->mu);
        int done = s->publisher_done;
        int stopping = s->stopping;
        pthread_mutex_unlock(&s->mu);
        if (done)
            break;
        if (g_signal && !grace_until) {
            /* Stop reading and taking messages; give the request in flight a moment. */
            ssize_t w = write(s->quit_pipe[1], "q", 1);
            (void)w;
            pthread_mutex_lock(&s->mu);
            s->stopping = 1;
            pthread_cond_broadcast(&s->cv);
            pthread_mutex_unlock(&s->mu);
            grace_until = now_ms() + STOP_GRACE_MS;
        }
        if (grace_until && now_ms() > grace_until)
            transport_abort(s->pub);
        if (deadline_passed(s) && !stopping) {
            /* --max-time bounds the whole run, idle input included. A request in flight
             * ends by the transport's own --max-time limit. */
            timed_out(s, NULL);
            grace_until = now_ms() + STOP_GRACE_MS;
        }
        if (status_on)
            status_draw(s, sent_hist, t_hist, &tick);
        fflush(stdout);
    }

    /* The end: stop the reader (if still reading) and the command poll. */
    {
        ssize_t w = write(s->quit_pipe[1], "q", 1);
        (void)w;
    }
    pthread_mutex_lock(&s->mu);
    s->finished = 1;
    s->stopping = 1; /* wakes a reader blocked on a full queue */
    if (s->in_poll && s->poll)
        transport_abort(s->poll);
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    if (have_publisher)
        pthread_join(publisher, NULL);
    pthread_join(reader, NULL);
    if (have_poller) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += END_POLLER_GRACE_MS / 1000;
        if (pthread_timedjoin_np(poller, NULL, &ts) != 0) {
            say(o, "the command handler is still running; not waiting for it");
            transport_abort(s->poll);
            have_poller = -1; /* not joined: leave its transport alone */
        }
    }
    g_pub_t = g_poll_t = NULL;
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);

    if (status_on) {
        pthread_mutex_lock(&err_mu);
        status_clear_locked();
        pthread_mutex_unlock(&err_mu);
    }

    /* What is left, and the exit code. */
    size_t unsent = s->sp ? spool_count(s->sp) : s->q_len + (size_t)s->lost;
    double secs = (double)(now_ms() - s->t0_ms) / 1000.0;
    double rate = secs > 0 ? (double)s->sent / secs : 0;
    if (s->fatal)
        rc = s->fatal;
    else if (g_signal && unsent)
        rc = 128 + g_signal;
    else if (s->refused_exit)
        rc = s->refused_exit;
    else if (s->poll_exit)
        rc = s->poll_exit;
    else if (s->invalid || s->read_error)
        rc = EXIT_READ_INPUT;
    else
        rc = EXIT_OK;

    if (o->json) {
        cJSON *ev = cJSON_CreateObject();
        cJSON_AddStringToObject(ev, "event", "summary");
        cJSON_AddNumberToObject(ev, "sent", (double)s->sent);
        cJSON_AddNumberToObject(ev, "refused", (double)s->refused);
        cJSON_AddNumberToObject(ev, "invalid", (double)s->invalid);
        cJSON_AddNumberToObject(ev, "resent", (double)s->resent);
        cJSON_AddNumberToObject(ev, "reconnects", reconnects(s));
        cJSON_AddNumberToObject(ev, "commands", (double)s->commands);
        cJSON_AddNumberToObject(ev, "unsent", (double)unsent);
        if (s->sp)
            cJSON_AddTrueToObject(ev, "spooled");
        cJSON_AddNumberToObject(ev, "seconds", (double)(int64_t)(secs * 1000) / 1000);
        cJSON_AddNumberToObject(ev, "rate", (double)(int64_t)(rate * 10) / 10);
        cJSON_AddNumberToObject(ev, "exit", rc);
        emit(ev);
    }
    fflush(stdout);
    if (!o->silent) {
        /* One line: what was sent, and only the other counts that are not zero. */
        char line[512];
        size_t n = (size_t)snprintf(line, sizeof line, "dtls-send: %llu sent in %.2f s (%.0f msg/s)",
                                    (unsigned long long)s->sent, secs, rate);
        unsigned rec = reconnects(s);
        if (s->refused && n < sizeof line)
            n += (size_t)snprintf(line + n, sizeof line - n, ", %llu refused", (unsigned long long)s->refused);
        if (s->invalid && n < sizeof line)
            n += (size_t)snprintf(line + n, sizeof line - n, ", %llu invalid line%s skipped",
                                  (unsigned long long)s->invalid, s->invalid == 1 ? "" : "s");
        if (s->resent && n < sizeof line)
            n += (size_t)snprintf(line + n, sizeof line - n, ", %llu re-sent after a lost response (possible duplicates)",
                                  (unsigned long long)s->resent);
        if (rec && n < sizeof line)
            n += (size_t)snprintf(line + n, sizeof line - n, ", %u reconnect%s", rec, rec == 1 ? "" : "s");
        if (s->commands && n < sizeof line)
            n += (size_t)snprintf(line + n, sizeof line - n, ", %llu command%s", (unsigned long long)s->commands,
                                  s->commands == 1 ? "" : "s");
        if (unsent && n < sizeof line)
            snprintf(line + n, sizeof line - n, ", %zu %s", unsent, s->sp ? "left in the spool" : "NOT sent");
        fprintf(stderr, "%s\n", line);
    }

close_all:
    if (have_poller < 0)
        return rc; /* the poller still runs and uses s; the process is about to exit */
    transport_close(s->poll);
    transport_close(s->pub);
    spool_close(s->sp);
    for (int i = 0; i < 2; i++) {
        if (s->quit_pipe[i] >= 0)
            close(s->quit_pipe[i]);
        if (g_sig_pipe[i] >= 0)
            close(g_sig_pipe[i]);
        g_sig_pipe[i] = -1;
    }
    if (s->q)
        for (size_t i = 0; i < s->q_len; i++)
            free(s->q[(s->q_head + i) % s->q_cap].data);
    free(s->q);
    free(s->il);
free_d:
    dialect_free(&s->d);
free_s:
    free(s);
    return rc;
}

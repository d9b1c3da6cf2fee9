/*
 * The embedded engine: HTTP/1.1 over libdtls (https://) or over a plain TCP
 * socket (http://, e.g. a device behind the HAProxy gateway), with src/http
 * writing the request head and parsing the response.
 *
 * One connection is kept open between requests. Before a request goes out on
 * an idle connection we look whether the server has closed it meanwhile (a
 * readable socket that yields EOF, close_notify or unexpected bytes); then we
 * reconnect, and nothing is lost because nothing was sent. Once request bytes
 * have been written, a connection that dies without a response is reported
 * (rs->maybe_sent = 1) and the request is repeated only when the caller said
 * it is safe to repeat (rq->resend_ok) and the connection was a reused one —
 * the classic keep-alive race.
 */
#define _GNU_SOURCE
#include "exitcodes.h"
#include "transport_int.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define HEAD_MAX 8192
#define IO_BUF 16384

struct emb {
    struct transport base;
    int https;
    struct conn_settings *s;        /* https only */
    struct conn *k;                 /* https only */
    struct dtls_posix_sock plain;   /* http only */
    char host[256], port[8];        /* http: where to connect */
    int64_t connect_timeout_ms;
    int64_t deadline_ms;            /* --max-time, absolute; 0 = none */
    int open;
    unsigned used;                  /* requests completed on this connection */
    volatile int fd;                /* for transport_abort */
    char head[HEAD_MAX];
    uint8_t io[IO_BUF];
};

static struct dtls_posix_sock *sock_of(struct emb *e)
{
    return e->https ? &e->k->sock : &e->plain;
}

static void drop(struct emb *e, int graceful)
{
    if (!e->open)
        return;
    __atomic_store_n(&e->fd, -1, __ATOMIC_SEQ_CST);
    if (e->https) {
        if (graceful) {
            conn_close(e->k);
        } else {
            dtls_posix_close(&e->k->sock);
            memset(&e->k->tls, 0, sizeof e->k->tls);
        }
    } else {
        dtls_posix_close(&e->plain);
    }
    e->open = 0;
    e->used = 0;
}

static int64_t min_deadline(int64_t a, int64_t b)
{
    if (a == 0)
        return b;
    if (b == 0)
        return a;
    return a < b ? a : b;
}

static int plain_connect(struct emb *e, int64_t deadline, struct conn_error *err)
{
    int64_t now = dtls_posix_now_ms();
    int timeout = (int)e->connect_timeout_ms;
    if (deadline) {
        int64_t left = deadline - now;
        if (left <= 0) {
            transport_fail(err, EXIT_TIMEOUT, "timeout", "time limit reached before connecting");
            return -1;
        }
        if (timeout == 0 || left < timeout)
            timeout = (int)left;
    }
    if (e->base.verbose)
        fprintf(stderr, "* connecting to %s port %s (plain HTTP, no TLS)\n", e->host, e->port);
    int rc = dtls_posix_connect(&e->plain, e->host, e->port, timeout);
    if (rc == DTLS_POSIX_E_RESOLVE) {
        transport_fail(err, EXIT_RESOLVE, "resolve_failed", "could not resolve host %s", e->host);
        return -1;
    }
    if (rc == DTLS_POSIX_E_TIMEOUT) {
        transport_fail(err, EXIT_TIMEOUT, "timeout", "connect to %s port %s timed out", e->host, e->port);
        return -1;
    }
    if (rc != 0) {
        transport_fail(err, EXIT_CONNECT, "connect_failed", "could not connect to %s port %s: %s", e->host, e->port,
                       strerror(e->plain.sys_errno));
        return -1;
    }
    if (e->base.verbose)
        fprintf(stderr, "* connected to %s port %s\n", e->plain.peer, e->port);
    return 0;
}

static int do_connect(struct emb *e, int64_t deadline, struct conn_error *err)
{
    int rc;
    if (e->https) {
        /* the request's own limit also bounds connect and handshake */
        int64_t saved = e->s->deadline_ms;
        e->s->deadline_ms = deadline;
        rc = conn_open(e->k, e->s, err);
        e->s->deadline_ms = saved;
        e->s->use_ticket = 1; /* reconnects resume the session when the server gave a ticket */
    } else {
        rc = plain_connect(e, deadline, err);
    }
    if (rc != 0)
        return -1;
    e->open = 1;
    e->used = 0;
    e->base.connects++;
    __atomic_store_n(&e->fd, sock_of(e)->fd, __ATOMIC_SEQ_CST);
    if (e->base.aborted) {
        drop(e, 0);
        transport_fail(err, EXIT_RECV, "aborted", "interrupted");
        return -1;
    }
    return 0;
}

/* Is the idle connection still usable? Reads (without waiting) what the server sent
 * meanwhile: session tickets and key updates are fine; EOF, close_notify, an error or
 * unexpected bytes (e.g. a 408 before closing) mean it is gone. */
static int still_open(struct emb *e)
{
    struct dtls_posix_sock *s = sock_of(e);
    struct pollfd p = { .fd = s->fd, .events = POLLIN };
    int r = poll(&p, 1, 0);
    if (r <= 0)
        return r == 0;
    if (p.revents & (POLLERR | POLLNVAL))
        return 0;
    if (!e->https) {
        char c;
        ssize_t n = recv(s->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
    s->nonblocking = 1;
    long n = dtls_read(&e->k->tls, e->io, sizeof e->io); /* application data here is unexpected */
    s->nonblocking = 0;
    return n == DTLS_WANT_READ;
}

static long io_write_all(struct emb *e, const uint8_t *p, size_t len)
{
    while (len > 0) {
        long n = e->https ? dtls_write(&e->k->tls, p, len) : dtls_posix_send(&e->plain, p, len);
        if (n <= 0)
            return n < 0 ? n : DTLS_E_IO;
        p += n;
        len -= (size_t)n;
    }
    return e->https ? dtls_flush(&e->k->tls) : 0;
}

static long io_read(struct emb *e, uint8_t *p, size_t cap)
{
    return e->https ? dtls_read(&e->k->tls, p, cap) : dtls_posix_recv(&e->plain, p, cap);
}

/* An I/O failure after connecting, as an error. */
static void io_fail(struct emb *e, long rc, int sending, double timeout_s, struct conn_error *err)
{
    struct dtls_posix_sock *s = sock_of(e);
    if (s->timed_out) {
        if (timeout_s > 0 && !(e->deadline_ms && dtls_posix_now_ms() >= e->deadline_ms))
            transport_fail(err, EXIT_TIMEOUT, "timeout", "no response within %.3g s", timeout_s);
        else
            transport_fail(err, EXIT_TIMEOUT, "timeout", "--max-time reached while %s",
                           sending ? "sending the request" : "waiting for the response");
        return;
    }
    if (e->https && rc != DTLS_E_IO && rc != DTLS_E_EOF) {
        conn_fail(err, e->k, (int)rc, sending ? "sending the request" : "reading the response");
        err->exit = sending ? EXIT_SEND : EXIT_RECV;
        return;
    }
    if (rc == 0 || rc == DTLS_E_EOF)
        transport_fail(err, sending ? EXIT_SEND : EXIT_RECV, "connection_closed", "the server closed the connection %s",
                       sending ? "while the request was being sent" : "without a complete response");
    else
        transport_fail(err, sending ? EXIT_SEND : EXIT_RECV, "io_error", "socket error while %s%s%s",
                       sending ? "sending the request" : "reading the response", s->sys_errno ? ": " : "",
                       s->sys_errno ? strerror(s->sys_errno) : "");
}

enum { ATTEMPT_OK = 0, ATTEMPT_FAIL = 1, ATTEMPT_LOST = 2 };

/* One attempt on the current connection. ATTEMPT_LOST: the connection died after the request
 * was (perhaps) sent and before any response byte arrived. */
static int attempt(struct emb *e, const struct http_req *rq, size_t head_len, struct http_resp *rs,
                   struct conn_error *err)
{
    struct dtls_posix_sock *s = sock_of(e);
    int64_t t0 = dtls_posix_now_ms();
    struct timespec ts0, ts1;
    clock_gettime(CLOCK_MONOTONIC, &ts0);
    s->deadline_ms = min_deadline(e->deadline_ms, rq->timeout_s > 0 ? t0 + (int64_t)(rq->timeout_s * 1000) : 0);
    s->timed_out = 0;
    rs->reused = e->used > 0;

    /* Head and a small body go out together, in one record. */
    long rc;
    if (head_len + rq->body_len <= sizeof e->io) {
        memcpy(e->io, e->head, head_len);
        if (rq->body_len)
            memcpy(e->io + head_len, rq->body, rq->body_len);
        rc = io_write_all(e, e->io, head_len + rq->body_len);
    } else {
        rc = io_write_all(e, (const uint8_t *)e->head, head_len);
        if (rc >= 0 && rq->body_len)
            rc = io_write_all(e, rq->body, rq->body_len);
    }
    if (rc < 0) {
        io_fail(e, rc, 1, rq->timeout_s, err);
        rs->maybe_sent = 1;
        int lost = rs->reused && !s->timed_out;
        drop(e, 0);
        return lost ? ATTEMPT_LOST : ATTEMPT_FAIL;
    }

    struct dtls_http_response r;
    dtls_http_response_init(&r, strcmp(rq->method, "HEAD") == 0);
    size_t body_cap = 0;
    int got_bytes = 0, done = 0;
    while (!done) {
        long n = io_read(e, e->io, sizeof e->io);
        int ev;
        if (n <= 0 && (n == 0 || n == DTLS_E_EOF) && !s->timed_out) {
            if (got_bytes && dtls_http_parse_eof(&r) == DTLS_HTTP_EV_DONE) {
                r.keep_alive = 0;
                break;
            }
            io_fail(e, n, 0, rq->timeout_s, err);
            rs->maybe_sent = 1;
            if (got_bytes)
                snprintf(err->message, sizeof err->message, "the server closed the connection in the middle of the response");
            int lost = !got_bytes && rs->reused;
            drop(e, 0);
            return lost ? ATTEMPT_LOST : ATTEMPT_FAIL;
        }
        if (n < 0) {
            io_fail(e, n, 0, rq->timeout_s, err);
            rs->maybe_sent = 1;
            int lost = !got_bytes && rs->reused && !s->timed_out && !e->base.aborted;
            drop(e, 0);
            return lost ? ATTEMPT_LOST : ATTEMPT_FAIL;
        }
        got_bytes = 1;
        size_t off = 0;
        for (;;) {
            size_t used = 0;
            struct dtls_http_event hev;
            ev = dtls_http_parse(&r, e->io + off, (size_t)n - off, &used, &hev);
            off += used;
            if (ev == DTLS_HTTP_EV_NEED_MORE)
                break;
            if (ev < 0) {
                transport_fail(err, EXIT_RECV, "bad_response", "malformed HTTP response from the server: %s",
                               dtls_http_strerror(ev));
                rs->maybe_sent = 1;
                drop(e, 0);
                return ATTEMPT_FAIL;
            }
            if (ev == DTLS_HTTP_EV_STATUS) {
                /* an interim (1xx) response's headers are forgotten */
                http_resp_free(rs);
            } else if (ev == DTLS_HTTP_EV_HEADER) {
                if (http_resp_add_header(rs, hev.name, hev.name_len, hev.value, hev.value_len) != 0) {
                    transport_fail(err, EXIT_RECV, "out_of_memory", "out of memory reading the response");
                    drop(e, 0);
                    return ATTEMPT_FAIL;
                }
            } else if (ev == DTLS_HTTP_EV_BODY) {
                if (http_resp_add_body(rs, &body_cap, hev.data, hev.len) != 0) {
                    transport_fail(err, EXIT_RECV, "response_too_large", "the response body is larger than %u bytes",
                                   HTTP_RESP_MAX_BODY);
                    rs->maybe_sent = 1;
                    drop(e, 0);
                    return ATTEMPT_FAIL;
                }
            } else if (ev == DTLS_HTTP_EV_DONE) {
                done = 1;
                if (off < (size_t)n)
                    r.keep_alive = 0; /* bytes beyond the response: do not trust this connection */
                break;
            }
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &ts1);
    rs->ms = (double)(ts1.tv_sec - ts0.tv_sec) * 1e3 + (double)(ts1.tv_nsec - ts0.tv_nsec) / 1e6;
    rs->status = r.status;
    e->used++;
    s->deadline_ms = 0;
    if (!r.keep_alive) {
        if (e->base.verbose)
            fprintf(stderr, "* the server closes the connection after this response\n");
        drop(e, 1);
    }
    return ATTEMPT_OK;
}

static int emb_request(struct transport *t, const struct http_req *rq, struct http_resp *rs, struct conn_error *err)
{
    struct emb *e = (struct emb *)t;
    char target[DTLS_URL_MAX + 256];
    if (transport_target(t, rq, target, sizeof target) != 0) {
        transport_fail(err, EXIT_BAD_URL, "bad_url", "request target too long");
        return err->exit;
    }
    long head_len = transport_head(t, rq, target, e->head, sizeof e->head, err);
    if (head_len < 0)
        return err->exit;
    int64_t req_deadline =
        min_deadline(e->deadline_ms, rq->timeout_s > 0 ? dtls_posix_now_ms() + (int64_t)(rq->timeout_s * 1000) : 0);
    for (int tries = 0;; tries++) {
        if (e->open && !still_open(e)) {
            if (t->verbose)
                fprintf(stderr, "* the server closed the idle connection; reconnecting\n");
            drop(e, 0);
        }
        if (!e->open && do_connect(e, req_deadline, err) != 0) {
            rs->retriable = transport_exit_retriable(err) && !t->aborted;
            rs->maybe_sent = 0;
            return err->exit;
        }
        if (t->verbose)
            transport_trace_request(t, rq, e->head, (size_t)head_len);
        int a = attempt(e, rq, (size_t)head_len, rs, err);
        if (a == ATTEMPT_OK)
            return 0;
        http_resp_free(rs);
        if (a == ATTEMPT_LOST && rq->resend_ok && tries == 0 && !t->aborted) {
            if (t->verbose)
                fprintf(stderr, "* the kept-alive connection was lost before the response; "
                                "sending the request again on a new connection\n");
            rs->maybe_sent = 0;
            continue;
        }
        if (a == ATTEMPT_LOST && t->verbose && !t->aborted)
            fprintf(stderr, "* the kept-alive connection was lost before the response; not resending on my own\n");
        rs->retriable = transport_exit_retriable(err) && !t->aborted;
        return err->exit;
    }
}

static void emb_abort(struct transport *t)
{
    struct emb *e = (struct emb *)t;
    int fd = __atomic_load_n(&e->fd, __ATOMIC_SEQ_CST);
    if (fd >= 0)
        shutdown(fd, SHUT_RDWR);
}

static void emb_close(struct transport *t)
{
    struct emb *e = (struct emb *)t;
    drop(e, 1);
    if (e->s) {
        conn_settings_free(e->s);
        free(e->s);
    }
    free(e->k);
    free(e);
}

static const struct transport_ops emb_ops = { "embedded", emb_request, emb_abort, emb_close };

struct transport *engine_embedded_open(const struct options *o, const struct dtls_url *u, struct conn_error *err)
{
    struct emb *e = calloc(1, sizeof *e);
    if (!e) {
        transport_fail(err, EXIT_USAGE, "out_of_memory", "out of memory");
        return NULL;
    }
    e->base.ops = &emb_ops;
    e->fd = -1;
    e->plain.fd = -1;
    e->https = u->https;
    e->connect_timeout_ms = (int64_t)(o->connect_timeout * 1000);
    if (o->max_time > 0)
        e->deadline_ms = dtls_posix_now_ms() + (int64_t)(o->max_time * 1000);
    if (e->https) {
        e->s = calloc(1, sizeof *e->s);
        e->k = calloc(1, sizeof *e->k);
        if (!e->s || !e->k) {
            transport_fail(err, EXIT_USAGE, "out_of_memory", "out of memory");
            goto fail;
        }
        if (conn_settings_init(e->s, o, u, err) != 0)
            goto fail;
        e->deadline_ms = e->s->deadline_ms;
        return &e->base;
    }
    /* plain http: only where to connect matters */
    if (o->cert || o->key || o->pinnedpubkey || o->insecure || o->cacert) {
        if (o->verbose)
            fprintf(stderr, "* plain http:// URL: TLS options are ignored\n");
    }
    if (o->connect_to) {
        struct dtls_url ct;
        if (dtls_url_parse_hostport(&ct, o->connect_to) != 0 || !ct.port_explicit) {
            transport_fail(err, EXIT_USAGE, "usage", "--connect-to needs HOST:PORT, got '%s'", o->connect_to);
            goto fail;
        }
        snprintf(e->host, sizeof e->host, "%.*s", (int)ct.host_len, ct.host);
        snprintf(e->port, sizeof e->port, "%u", ct.port);
    } else {
        if (u->host_len >= sizeof e->host) {
            transport_fail(err, EXIT_BAD_URL, "bad_url", "host name too long");
            goto fail;
        }
        snprintf(e->host, sizeof e->host, "%.*s", (int)u->host_len, u->host);
        snprintf(e->port, sizeof e->port, "%u", u->port);
    }
    return &e->base;
fail:
    if (e->s)
        conn_settings_free(e->s);
    free(e->s);
    free(e->k);
    free(e);
    return NULL;
}

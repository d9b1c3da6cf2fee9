/*
 * The transport interface: engine choice, and what both engines share —
 * header handling, the response collector, Retry-After, the -v trace (which
 * never shows a credential), and which failures are worth another attempt.
 */
#define _GNU_SOURCE
#include "transport_int.h"
#include "exitcodes.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

void transport_fail(struct conn_error *err, int exit, const char *name, const char *fmt, ...)
{
    va_list ap;
    err->exit = exit;
    err->name = name;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

int transport_exit_retriable(const struct conn_error *err)
{
    switch (err->exit) {
    case EXIT_CONNECT:
    case EXIT_TIMEOUT:
    case EXIT_SEND:
    case EXIT_RECV:
        return 1;
    case EXIT_TLS: /* a connection reset during the handshake, not a protocol verdict */
        return err->name && (strcmp(err->name, "io_error") == 0 || strcmp(err->name, "connection_closed") == 0);
    default:
        return 0;
    }
}

struct transport *transport_open(const struct options *o, const struct dtls_url *u, struct conn_error *err)
{
    const char *engine = o->engine ? o->engine : "embedded";
    struct transport *t;
    if (strcmp(engine, "embedded") == 0) {
        t = engine_embedded_open(o, u, err);
    } else if (strcmp(engine, "curl") == 0) {
        t = engine_curl_open(o, u, err);
    } else {
        transport_fail(err, EXIT_USAGE, "usage", "--engine must be embedded or curl, got '%s'", engine);
        return NULL;
    }
    if (t) {
        t->o = o;
        t->url = *u;
        t->verbose = o->verbose;
    }
    return t;
}

int transport_request(struct transport *t, const struct http_req *rq, struct http_resp *rs, struct conn_error *err)
{
    memset(rs, 0, sizeof *rs);
    rs->retry_after_s = -1;
    if (t->aborted) {
        rs->aborted = 1;
        transport_fail(err, EXIT_RECV, "aborted", "interrupted");
        return EXIT_RECV;
    }
    int rc = t->ops->request(t, rq, rs, err);
    if (rc != 0) {
        http_resp_free(rs);
        if (t->aborted) {
            rs->aborted = 1;
            rs->retriable = 0;
        }
        return rc;
    }
    http_resp_finish(rs);
    if (t->verbose)
        transport_trace_response(t, rs);
    return 0;
}

void transport_abort(struct transport *t)
{
    t->aborted = 1;
    t->ops->abort(t);
}

void transport_reset(struct transport *t)
{
    t->aborted = 0;
}

void transport_close(struct transport *t)
{
    if (t)
        t->ops->close(t);
}

unsigned transport_connects(const struct transport *t)
{
    return t->connects;
}

const char *transport_engine(const struct transport *t)
{
    return t->ops->name;
}

int transport_target(const struct transport *t, const struct http_req *rq, char *out, size_t cap)
{
    int n;
    if (rq->target)
        n = snprintf(out, cap, "%s", rq->target);
    else
        n = snprintf(out, cap, "%s%.*s", t->url.query_only ? "/" : "", (int)t->url.path_len, t->url.path);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int transport_split_header(const char *line, char *name, size_t name_cap, const char **value)
{
    const char *colon = strchr(line, ':');
    if (!colon || colon == line)
        return -1;
    size_t n = (size_t)(colon - line);
    while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
        n--;
    if (n == 0 || n >= name_cap)
        return -1;
    memcpy(name, line, n);
    name[n] = 0;
    const char *v = colon + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    *value = v;
    return 0;
}

long transport_head(const struct transport *t, const struct http_req *rq, const char *target, char *out, size_t cap,
                    struct conn_error *err)
{
    struct dtls_http_header h[HTTP_REQ_MAX_HEADERS + 3];
    char names[HTTP_REQ_MAX_HEADERS][128];
    size_t n = 0;
    int user_agent = 0;
    for (size_t i = 0; i < rq->n_headers && i < HTTP_REQ_MAX_HEADERS; i++) {
        const char *value;
        if (transport_split_header(rq->headers[i], names[i], sizeof names[i], &value) != 0) {
            transport_fail(err, EXIT_USAGE, "usage", "bad header '%s': it must be 'Name: value'", rq->headers[i]);
            return -1;
        }
        h[n].name = names[i];
        h[n].value = value;
        n++;
        if (strcasecmp(names[i], "User-Agent") == 0)
            user_agent = 1;
    }
    if (!user_agent) { /* as curl does; -H 'User-Agent: ...' replaces it */
        h[n].name = "User-Agent";
        h[n].value = "dtls-send/" PACKAGE_VERSION;
        n++;
    }
    if (rq->content_type) {
        h[n].name = "Content-Type";
        h[n].value = rq->content_type;
        n++;
    }
    if (rq->authorization) {
        h[n].name = "Authorization";
        h[n].value = rq->authorization;
        n++;
    }
    struct dtls_url u = t->url;
    u.path = target;
    u.path_len = strlen(target);
    u.query_only = 0;
    long len = dtls_http_request_head(out, cap, rq->method, &u, h, n, rq->no_body ? -1 : (long)rq->body_len, 1);
    if (len == DTLS_HTTP_E_BAD_HEADER) {
        transport_fail(err, EXIT_USAGE, "usage",
                       "a request header is not valid HTTP (names are tokens; values hold no CR/LF; "
                       "Content-Length, Transfer-Encoding and Connection are set by dtls-send)");
        return -1;
    }
    if (len < 0) {
        transport_fail(err, EXIT_USAGE, "usage", "the request head is longer than %zu bytes", cap);
        return -1;
    }
    return len;
}

static int is_secret_header(const char *line, size_t len)
{
    static const char *const names[] = { "authorization:", "proxy-authorization:", "cookie:" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t n = strlen(names[i]);
        if (len >= n && strncasecmp(line, names[i], n) == 0)
            return (int)n;
    }
    return 0;
}

void transport_trace_request(const struct transport *t, const struct http_req *rq, const char *head, size_t len)
{
    (void)t;
    const char *secret = rq->secret_in_target && *rq->secret_in_target ? rq->secret_in_target : NULL;
    size_t i = 0;
    while (i < len) {
        const char *line = head + i;
        const char *nl = memchr(line, '\n', len - i);
        size_t n = nl ? (size_t)(nl - line) : len - i;
        i += n + (nl ? 1 : 0);
        if (n > 0 && line[n - 1] == '\r')
            n--;
        int hidden = is_secret_header(line, n);
        if (hidden) {
            fprintf(stderr, "> %.*s <redacted>\n", hidden, line);
            continue;
        }
        fputs("> ", stderr);
        /* the request line may hold a token (thingsboard): print it masked */
        size_t sl = secret ? strlen(secret) : 0;
        for (size_t j = 0; j < n;) {
            if (sl && n - j >= sl && memcmp(line + j, secret, sl) == 0) {
                fputs("<redacted>", stderr);
                j += sl;
            } else {
                fputc(line[j++], stderr);
            }
        }
        fputc('\n', stderr);
    }
}

void transport_trace_response(const struct transport *t, const struct http_resp *rs)
{
    (void)t;
    fprintf(stderr, "< HTTP/1.1 %d\n", rs->status);
    for (size_t i = 0; i < rs->n_headers; i++) {
        const char *n = rs->headers[i].name;
        if (strcasecmp(n, "set-cookie") == 0)
            fprintf(stderr, "< %s: <redacted>\n", n);
        else
            fprintf(stderr, "< %s: %s\n", n, rs->headers[i].value);
    }
    fprintf(stderr, "< (%zu body bytes, %.3f ms%s)\n", rs->body_len, rs->ms, rs->reused ? ", connection reused" : "");
}

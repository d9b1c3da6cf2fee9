/*
 * What the two engines share behind cli/transport.h: the common part of a
 * transport (the engine's functions, the target URL, the abort flag) and the
 * helpers both use (the -v trace, failure classification). Only transport.c,
 * engine_embedded.c and engine_curl.c include this.
 */
#ifndef DTLS_SEND_TRANSPORT_INT_H
#define DTLS_SEND_TRANSPORT_INT_H

#include <signal.h>

#include "transport.h"

struct transport_ops {
    const char *name;
    int (*request)(struct transport *t, const struct http_req *rq, struct http_resp *rs, struct conn_error *err);
    void (*abort)(struct transport *t);   /* async-signal-safe; the flag is already set */
    void (*close)(struct transport *t);   /* close and free */
};

struct transport {
    const struct transport_ops *ops;
    const struct options *o;
    struct dtls_url url;
    int verbose;
    unsigned connects;
    _Atomic int aborted;            /* set from a signal handler or another thread */
};

struct transport *engine_embedded_open(const struct options *o, const struct dtls_url *u, struct conn_error *err);
struct transport *engine_curl_open(const struct options *o, const struct dtls_url *u, struct conn_error *err);

/* Fill err (printf-style message). */
void transport_fail(struct conn_error *err, int exit, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Would trying again later plausibly succeed? (connect failures, timeouts, lost connections) */
int transport_exit_retriable(const struct conn_error *err);

/* The request target: rq->target, or the URL's own path and query. Writes at most cap bytes
 * (NUL included); returns 0 or -1 when it does not fit. */
int transport_target(const struct transport *t, const struct http_req *rq, char *out, size_t cap);
/* Write the request head (request line, Host, rq's headers, Content-Type, Authorization,
 * Content-Length) with src/http into out; both engines use it, so both refuse the same bad
 * headers with the same exit code. Returns the length, or -1 with err filled (EXIT_USAGE). */
long transport_head(const struct transport *t, const struct http_req *rq, const char *target, char *out, size_t cap,
                    struct conn_error *err);
/* Split "Name: value" into out_name/out_value (trimmed; the value may be empty).
 * Returns 0, or -1 for a malformed line. */
int transport_split_header(const char *line, char *name, size_t name_cap, const char **value);

/* -v trace on stderr: the request head as written (Authorization and Proxy-Authorization
 * values and rq->secret_in_target replaced by <redacted>), then the response status line and headers. */
void transport_trace_request(const struct transport *t, const struct http_req *rq, const char *head, size_t len);
void transport_trace_response(const struct transport *t, const struct http_resp *rs);

/* Collecting a response: headers (copied) and body (grown, limited to HTTP_RESP_MAX_BODY). */
int http_resp_add_header(struct http_resp *rs, const char *name, size_t name_len, const char *value,
                         size_t value_len);
int http_resp_add_body(struct http_resp *rs, size_t *cap, const uint8_t *p, size_t n);
/* Parse Retry-After (delta-seconds or an HTTP date) into rs->retry_after_s. */
void http_resp_finish(struct http_resp *rs);

#endif

/*
 * dtls-send transports: one keep-alive HTTP/1.1 connection to the URL's
 * server, behind one interface with two engines — "embedded" (libdtls +
 * src/http, the default; also plain http:// for the HAProxy gateway) and
 * "curl" (libcurl, loaded with dlopen only when --engine curl is chosen).
 * The dialect layer (dialect.h) builds requests and reads responses; it never
 * knows which engine carried them.
 *
 *   struct conn_error err;
 *   struct transport *t = transport_open(o, &url, &err);      // nothing is connected yet
 *   if (!t) return out_error(o, &err);
 *   struct http_req rq = { .method = "POST", .target = "/v1/telemetry?ct=30",
 *                          .body = buf, .body_len = n, .content_type = "application/json",
 *                          .timeout_s = 40 };
 *   http_req_add_header(&rq, "Authorization: Basic ...");   // never traced in -v output
 *   struct http_resp rs;
 *   int rc = transport_request(t, &rq, &rs, &err);          // 0: a response (any status)
 *   if (rc == 0) { ... rs.status, http_resp_header(&rs, "command"), rs.body ...
 *                  http_resp_free(&rs); }
 *   else if (rs.retriable && (!rs.maybe_sent || resend_is_safe)) ... try again
 *   transport_close(t);
 *
 * Keep-alive: a transport keeps its connection open between requests. When the
 * server closed an idle connection, the next request reconnects first (nothing
 * was sent, nothing is lost). When a connection fails after the request may
 * have reached the server and no response arrived, the request is NOT resent
 * unless the caller allowed it (http_req.resend_ok, meant for requests that
 * are safe to repeat such as command polls): the failure comes back with
 * rs.maybe_sent = 1 and the caller decides.
 *
 * Threads: a transport belongs to one thread at a time; two transports may be
 * used from two threads at once (--stream publishes on one while the other
 * holds a long poll). transport_abort() is the exception: it may be called
 * from another thread or from a signal handler.
 */
#ifndef DTLS_SEND_TRANSPORT_H
#define DTLS_SEND_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include <dtls/http.h>

#include "conn.h"
#include "options.h"

#define HTTP_REQ_MAX_HEADERS (MAX_HEADERS + 8)
#define HTTP_RESP_MAX_BODY (16u << 20)   /* larger responses fail with EXIT_RECV */

struct http_req {
    const char *method;               /* "POST", "GET" */
    const char *target;               /* path and query sent on the request line, e.g. "/v1/x?ct=5";
                                         NULL: the URL's own path and query */
    const char *headers[HTTP_REQ_MAX_HEADERS]; /* "Name: value" each (-H and the dialect's) */
    size_t n_headers;
    const char *authorization;        /* value of the Authorization header, or NULL; shown as
                                         "Authorization: <redacted>" in -v traces */
    const char *content_type;         /* NULL: no Content-Type header */
    const char *secret_in_target;     /* a credential inside target (thingsboard's token): shown as
                                         <redacted> in -v traces; NULL: none */
    const uint8_t *body;              /* may be NULL when body_len is 0 */
    size_t body_len;
    int no_body;                      /* 1: send no Content-Length at all (GET) */
    double timeout_s;                 /* > 0: limit for this exchange (the socket waits), e.g. a
                                         long poll's wait plus a margin; --max-time still applies */
    int resend_ok;                    /* 1: the request is safe to repeat; a transparent resend
                                         after a lost connection is allowed */
};

#define HTTP_RESP_MAX_HEADERS 64

struct http_resp {
    int status;                       /* 100..599 */
    size_t n_headers;
    struct { char *name, *value; } headers[HTTP_RESP_MAX_HEADERS]; /* beyond the limit: dropped */
    uint8_t *body;                    /* malloc'd, body_len bytes plus a NUL after them */
    size_t body_len;
    double retry_after_s;             /* Retry-After in seconds (delta form), -1 when absent */
    double ms;                        /* from the first byte sent to the last byte received */
    int reused;                       /* 1: went over a connection that had carried a request */
    /* On failure (transport_request returned non-zero): */
    int retriable;                    /* trying again later may succeed (connect, timeout, lost connection) */
    int maybe_sent;                   /* the request may have reached the server: resending may duplicate */
    int aborted;                      /* transport_abort() ended it */
};

struct transport;

/* Validate the options for the chosen engine (--engine embedded|curl) and prepare the
 * connection settings; no connection is made yet. NULL on failure with err filled
 * (EXIT_USAGE for an unknown engine, EXIT_CACERT, EXIT_CLIENT_CERT, ...). */
struct transport *transport_open(const struct options *o, const struct dtls_url *u, struct conn_error *err);

/* Send rq and read the whole response into rs (connecting or reconnecting first when
 * needed). Returns 0 with rs filled (any HTTP status; the caller judges it), or an exit
 * code with err filled and rs->retriable / rs->maybe_sent / rs->aborted set. rs needs no
 * http_resp_free() after a failure. */
int transport_request(struct transport *t, const struct http_req *rq, struct http_resp *rs, struct conn_error *err);

/* Make the request in progress (or the next one) fail promptly with rs->aborted = 1.
 * Async-signal-safe and callable from another thread; the transport stays usable after
 * transport_reset(). */
void transport_abort(struct transport *t);
void transport_reset(struct transport *t);

/* Close the connection (if any) and free t. NULL is fine. */
void transport_close(struct transport *t);

/* Number of connections opened so far (1 + reconnects), for status lines. */
unsigned transport_connects(const struct transport *t);
/* "embedded" or "curl". */
const char *transport_engine(const struct transport *t);

/* Append a "Name: value" header; returns 0, or -1 when the request has no room. */
int http_req_add_header(struct http_req *rq, const char *line);
/* Value of the first response header called name (case-insensitive), or NULL. */
const char *http_resp_header(const struct http_resp *rs, const char *name);
void http_resp_free(struct http_resp *rs);

#endif

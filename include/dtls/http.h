/*
 * dtls HTTP/1.1: a strict URL parser, a request writer and a streaming response
 * parser for devices. No heap: everything is slices of the caller's strings and
 * buffers.
 *
 *   struct dtls_url u;
 *   if (dtls_url_parse(&u, "https://cloud.example:8443/v1/telemetry?ct=30") != 0) ...
 *   // u.https 1, u.host "cloud.example" (u.host_len), u.port 8443, u.path "/v1/telemetry?ct=30"
 *
 *   struct dtls_http_header h[] = { { "Content-Type", "application/json" } };
 *   char head[512];
 *   long n = dtls_http_request_head(head, sizeof head, "POST", &u, h, 1, body_len, 1);
 *   write(head, n); write(body, body_len);
 *
 *   struct dtls_http_response r;
 *   struct dtls_http_event ev;
 *   dtls_http_response_init(&r, 0);
 *   // for each chunk of bytes read from the connection (in, len):
 *   size_t used = 0;
 *   while (used < len || more_events) {
 *       size_t u2;
 *       int e = dtls_http_parse(&r, in + used, len - used, &u2, &ev);
 *       used += u2;
 *       if (e == DTLS_HTTP_EV_NEED_MORE) break;          // read more bytes
 *       if (e == DTLS_HTTP_EV_HEADER) ...ev.name, ev.value...
 *       if (e == DTLS_HTTP_EV_BODY) ...ev.data, ev.len...
 *       if (e == DTLS_HTTP_EV_DONE) ...r.status, r.keep_alive...
 *       if (e < 0) ...dtls_http_strerror(e)...
 *   }
 *   // at end of stream: dtls_http_parse_eof(&r) says whether the body was complete
 */
#ifndef DTLS_HTTP_H
#define DTLS_HTTP_H

#include <stddef.h>
#include <stdint.h>

/* ---- URLs ------------------------------------------------------------------ */

enum dtls_url_error {
    DTLS_URL_OK = 0,
    DTLS_URL_E_SCHEME = -1,     /* missing, or not http/https */
    DTLS_URL_E_HOST = -2,       /* empty or invalid host, bad IP literal */
    DTLS_URL_E_PORT = -3,       /* not 1..65535 */
    DTLS_URL_E_USERINFO = -4,   /* user:pass@ in the URL (credentials go in -u) */
    DTLS_URL_E_CHAR = -5,       /* a space, control or non-ASCII byte, or bad %-escape */
    DTLS_URL_E_LONG = -6        /* longer than DTLS_URL_MAX */
};

#define DTLS_URL_MAX 2048

struct dtls_url {
    int https;                  /* 1: https, 0: http */
    const char *host;           /* not NUL-terminated: host_len bytes; IPv6 without brackets */
    size_t host_len;
    int host_is_ip;             /* 4 or 6 when the host is an IP literal, else 0 */
    uint16_t port;              /* explicit or the scheme's default */
    int port_explicit;
    const char *path;           /* "/..." including the query; "/" when absent */
    size_t path_len;
    int query_only;             /* 1 when path is "?query" (no path in the URL): send "/" first */
};

/* Parse an absolute http(s) URL. Returns DTLS_URL_OK or a DTLS_URL_E_* code. */
int dtls_url_parse(struct dtls_url *u, const char *url);
/* Parse "host", "host:port", "[v6]:port", or an https URL (for probe); default port 443. */
int dtls_url_parse_hostport(struct dtls_url *u, const char *s);
const char *dtls_url_strerror(int rc);

/* ---- requests -------------------------------------------------------------- */

struct dtls_http_header {
    const char *name;
    const char *value;
};

/*
 * Write "METHOD target HTTP/1.1", Host, the given headers, Content-Length
 * (when content_length >= 0) and "Connection: close" unless keep_alive, then
 * the empty line, into out. Header names must be tokens and values must not
 * contain CR, LF or NUL (no header injection). Returns the length, or
 * DTLS_HTTP_E_TOO_LONG (out too small) / DTLS_HTTP_E_BAD_HEADER.
 */
long dtls_http_request_head(char *out, size_t cap, const char *method, const struct dtls_url *u,
                            const struct dtls_http_header *headers, size_t n_headers, long content_length,
                            int keep_alive);

/* ---- responses ------------------------------------------------------------- */

#ifndef DTLS_HTTP_LINE_MAX
#define DTLS_HTTP_LINE_MAX 1024       /* longest status or header line accepted */
#endif
#ifndef DTLS_HTTP_HEADERS_MAX
#define DTLS_HTTP_HEADERS_MAX 100     /* most header fields accepted in one response */
#endif

enum {
    DTLS_HTTP_EV_NEED_MORE = 0,       /* all input used; feed more */
    DTLS_HTTP_EV_STATUS = 1,          /* status line parsed: r.status */
    DTLS_HTTP_EV_HEADER = 2,          /* ev.name / ev.value (valid until the next call) */
    DTLS_HTTP_EV_HEADERS_DONE = 3,    /* end of the header block (of the final response) */
    DTLS_HTTP_EV_BODY = 4,            /* ev.data / ev.len: body bytes (slice of the input) */
    DTLS_HTTP_EV_DONE = 5             /* response complete; r.keep_alive says if the connection may be reused */
};

enum {
    DTLS_HTTP_E_TOO_LONG = -1,        /* a line longer than DTLS_HTTP_LINE_MAX, or output buffer too small */
    DTLS_HTTP_E_BAD_STATUS = -2,      /* not "HTTP/1.x NNN reason" */
    DTLS_HTTP_E_BAD_HEADER = -3,      /* malformed header line (no colon, bad name, bare CR, obs-fold) */
    DTLS_HTTP_E_TOO_MANY = -4,        /* more than DTLS_HTTP_HEADERS_MAX headers */
    DTLS_HTTP_E_BAD_LENGTH = -5,      /* bad or conflicting Content-Length, or length with chunked */
    DTLS_HTTP_E_BAD_CHUNK = -6,       /* malformed chunk size or chunk framing */
    DTLS_HTTP_E_TRUNCATED = -7,       /* the connection ended inside the response */
    DTLS_HTTP_E_STATE = -8            /* called again after DONE or an error */
};

struct dtls_http_event {
    const char *name; size_t name_len;
    const char *value; size_t value_len;
    const uint8_t *data; size_t len;
};

struct dtls_http_response {
    int status;                       /* 100..599 once known */
    int keep_alive;                   /* 1 if the connection may carry another request */
    int head;                         /* the request was HEAD: no body */
    int64_t content_length;           /* -1 when absent */
    int chunked;
    uint8_t state;
    uint8_t version_minor;            /* HTTP/1.0 or 1.1 */
    uint8_t line_done;                /* line[] holds a complete line (consumed on the next call) */
    uint16_t n_headers;
    uint64_t left;                    /* body or chunk bytes still to come */
    size_t line_len;
    char line[DTLS_HTTP_LINE_MAX + 1];
};

void dtls_http_response_init(struct dtls_http_response *r, int head_request);
/* Parse from in[0..len): sets *used to the bytes taken and returns one event (or a negative
 * DTLS_HTTP_E_* error, sticky). Call again with the rest of the input until NEED_MORE. */
int dtls_http_parse(struct dtls_http_response *r, const uint8_t *in, size_t len, size_t *used,
                    struct dtls_http_event *ev);
/* The connection ended: DTLS_HTTP_EV_DONE if that completes a response delimited by the
 * end of the connection, else DTLS_HTTP_E_TRUNCATED. */
int dtls_http_parse_eof(struct dtls_http_response *r);
const char *dtls_http_strerror(int rc);

#endif

/*
 * Streaming HTTP/1.1 response parser (RFC 9112). Input arrives in arbitrary
 * pieces; the parser never needs more than one line of state (the status or
 * a header line, at most DTLS_HTTP_LINE_MAX bytes) and hands body bytes out
 * as slices of the input, so a response of any size passes through a small
 * buffer. Every call returns one event; errors are sticky.
 */
#include <dtls/http.h>

#include <string.h>

enum {
    S_STATUS, S_HEADERS, S_BODY_LEN, S_BODY_CLOSE, S_CHUNK_SIZE, S_CHUNK_DATA, S_CHUNK_END, S_TRAILER, S_FINISH,
    S_DONE, S_ERROR
};

void dtls_http_response_init(struct dtls_http_response *r, int head_request)
{
    memset(r, 0, sizeof *r);
    r->head = head_request;
    r->content_length = -1;
    r->state = S_STATUS;
}

static int fail(struct dtls_http_response *r, int e)
{
    r->state = S_ERROR;
    r->status = r->status ? r->status : 0;
    r->left = (uint64_t)(-(int64_t)e); /* remember which error */
    return e;
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static int eq_ci(const char *a, size_t n, const char *b)
{
    size_t m = strlen(b);
    if (n != m)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower(a[i]) != b[i])
            return 0;
    return 1;
}

/* Does the comma-separated list v contain token t (case-insensitive)? last: only as the last element. */
static int list_has(const char *v, size_t n, const char *t, int last)
{
    size_t i = 0;
    int found = 0;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t s = i;
        while (i < n && v[i] != ',')
            i++;
        size_t e = i;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
            e--;
        if (e > s) {
            found = eq_ci(v + s, e - s, t);
            if (found && !last)
                return 1;
        }
    }
    return found;
}

static int is_tchar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Accumulate a line into r->line. Returns 1 when complete (CRLF or LF stripped), 0 when more
 * input is needed, or an error. */
static int take_line(struct dtls_http_response *r, const uint8_t *in, size_t len, size_t *used)
{
    size_t i = 0;
    if (r->line_done) {
        r->line_len = 0;
        r->line_done = 0;
    }
    while (i < len) {
        uint8_t c = in[i++];
        if (c == '\n') {
            r->line_done = 1;
            if (r->line_len > 0 && r->line[r->line_len - 1] == '\r')
                r->line_len--;
            r->line[r->line_len] = 0;
            *used = i;
            for (size_t k = 0; k < r->line_len; k++)
                if (r->line[k] == '\r' || r->line[k] == 0)
                    return DTLS_HTTP_E_BAD_HEADER; /* bare CR or NUL inside a line */
            return 1;
        }
        if (r->line_len == DTLS_HTTP_LINE_MAX) {
            *used = i;
            return DTLS_HTTP_E_TOO_LONG;
        }
        r->line[r->line_len++] = (char)c;
    }
    *used = i;
    return 0;
}

static int parse_status(struct dtls_http_response *r)
{
    const char *l = r->line;
    if (r->line_len < 12 || memcmp(l, "HTTP/1.", 7) != 0 || (l[7] != '0' && l[7] != '1') || l[8] != ' ')
        return DTLS_HTTP_E_BAD_STATUS;
    if (l[9] < '1' || l[9] > '5' || l[10] < '0' || l[10] > '9' || l[11] < '0' || l[11] > '9')
        return DTLS_HTTP_E_BAD_STATUS;
    if (r->line_len > 12 && l[12] != ' ')
        return DTLS_HTTP_E_BAD_STATUS;
    r->version_minor = (uint8_t)(l[7] - '0');
    r->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
    r->keep_alive = r->version_minor == 1;
    return 0;
}

static int parse_header(struct dtls_http_response *r, struct dtls_http_event *ev)
{
    char *l = r->line;
    size_t n = r->line_len;
    if (l[0] == ' ' || l[0] == '\t')
        return DTLS_HTTP_E_BAD_HEADER; /* obsolete line folding is refused */
    size_t c = 0;
    while (c < n && l[c] != ':') {
        if (!is_tchar(l[c]))
            return DTLS_HTTP_E_BAD_HEADER;
        c++;
    }
    if (c == 0 || c == n)
        return DTLS_HTTP_E_BAD_HEADER;
    size_t vs = c + 1, ve = n;
    while (vs < ve && (l[vs] == ' ' || l[vs] == '\t'))
        vs++;
    while (ve > vs && (l[ve - 1] == ' ' || l[ve - 1] == '\t'))
        ve--;
    if (++r->n_headers > DTLS_HTTP_HEADERS_MAX)
        return DTLS_HTTP_E_TOO_MANY;
    ev->name = l;
    ev->name_len = c;
    ev->value = l + vs;
    ev->value_len = ve - vs;
    if (eq_ci(l, c, "content-length")) {
        if (ve == vs || ve - vs > 18)
            return DTLS_HTTP_E_BAD_LENGTH;
        int64_t v = 0;
        for (size_t i = vs; i < ve; i++) {
            if (l[i] < '0' || l[i] > '9')
                return DTLS_HTTP_E_BAD_LENGTH;
            v = v * 10 + (l[i] - '0');
        }
        if (r->content_length >= 0 && r->content_length != v)
            return DTLS_HTTP_E_BAD_LENGTH;
        r->content_length = v;
    } else if (eq_ci(l, c, "transfer-encoding")) {
        if (!list_has(l + vs, ve - vs, "chunked", 1))
            return DTLS_HTTP_E_BAD_LENGTH; /* only chunked framing is understood */
        r->chunked = 1;
    } else if (eq_ci(l, c, "connection")) {
        if (list_has(l + vs, ve - vs, "close", 0))
            r->keep_alive = 0;
        else if (list_has(l + vs, ve - vs, "keep-alive", 0) && r->version_minor == 0)
            r->keep_alive = 1;
    }
    return 0;
}

/* End of a header block: decide how the body is delimited. */
static int headers_done(struct dtls_http_response *r)
{
    if (r->status >= 100 && r->status < 200) {
        /* an interim response: the real one follows */
        int minor = r->version_minor;
        int head = r->head;
        dtls_http_response_init(r, head);
        r->version_minor = (uint8_t)minor;
        return 0;
    }
    if (r->chunked && r->content_length >= 0)
        return DTLS_HTTP_E_BAD_LENGTH; /* RFC 9112 6.3: a smuggling signal; refuse */
    if (r->head || r->status == 204 || r->status == 304) {
        r->state = S_FINISH;
    } else if (r->chunked) {
        r->state = S_CHUNK_SIZE;
    } else if (r->content_length >= 0) {
        r->left = (uint64_t)r->content_length;
        r->state = r->left ? S_BODY_LEN : S_FINISH;
    } else {
        r->state = S_BODY_CLOSE;
        r->keep_alive = 0;
    }
    return 1;
}

static int parse_chunk_size(struct dtls_http_response *r)
{
    const char *l = r->line;
    size_t i = 0;
    uint64_t v = 0;
    while (i < r->line_len) {
        char c = lower(l[i]);
        int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
        if (d < 0)
            break;
        if (i >= 15)
            return DTLS_HTTP_E_BAD_CHUNK;
        v = v * 16 + (uint64_t)d;
        i++;
    }
    if (i == 0)
        return DTLS_HTTP_E_BAD_CHUNK;
    while (i < r->line_len && (l[i] == ' ' || l[i] == '\t'))
        i++;
    if (i < r->line_len && l[i] != ';')
        return DTLS_HTTP_E_BAD_CHUNK; /* only extensions may follow */
    r->left = v;
    return 0;
}

int dtls_http_parse(struct dtls_http_response *r, const uint8_t *in, size_t len, size_t *used,
                    struct dtls_http_event *ev)
{
    size_t pos = 0;
    int rc;
    memset(ev, 0, sizeof *ev);
    *used = 0;
    for (;;) {
        switch (r->state) {
        case S_ERROR:
            return (int)-(int64_t)r->left;
        case S_DONE:
            return DTLS_HTTP_E_STATE;
        case S_FINISH:
            r->state = S_DONE;
            return DTLS_HTTP_EV_DONE;
        case S_STATUS:
        case S_HEADERS:
        case S_CHUNK_SIZE:
        case S_CHUNK_END:
        case S_TRAILER: {
            size_t u;
            rc = take_line(r, in + pos, len - pos, &u);
            pos += u;
            *used = pos;
            if (rc < 0)
                return fail(r, rc);
            if (rc == 0)
                return DTLS_HTTP_EV_NEED_MORE;
            if (r->state == S_STATUS) {
                if ((rc = parse_status(r)) < 0)
                    return fail(r, rc);
                r->state = S_HEADERS;
                return DTLS_HTTP_EV_STATUS;
            }
            if (r->state == S_HEADERS) {
                if (r->line[0] == 0) {
                    rc = headers_done(r);
                    if (rc < 0)
                        return fail(r, rc);
                    if (rc == 0)
                        continue; /* after a 1xx, parse the next status line */
                    return DTLS_HTTP_EV_HEADERS_DONE;
                }
                if ((rc = parse_header(r, ev)) < 0)
                    return fail(r, rc);
                return DTLS_HTTP_EV_HEADER;
            }
            if (r->state == S_CHUNK_SIZE) {
                if ((rc = parse_chunk_size(r)) < 0)
                    return fail(r, rc);
                r->state = r->left ? S_CHUNK_DATA : S_TRAILER;
                continue;
            }
            if (r->state == S_CHUNK_END) {
                if (r->line[0] != 0)
                    return fail(r, DTLS_HTTP_E_BAD_CHUNK);
                r->state = S_CHUNK_SIZE;
                continue;
            }
            /* trailer fields are skipped; the empty line ends the message */
            if (r->line[0] == 0) {
                r->state = S_DONE;
                return DTLS_HTTP_EV_DONE;
            }
            continue;
        }
        case S_BODY_LEN:
        case S_CHUNK_DATA:
        case S_BODY_CLOSE: {
            if (pos == len)
                return DTLS_HTTP_EV_NEED_MORE;
            size_t n = len - pos;
            if (r->state != S_BODY_CLOSE && n > r->left)
                n = (size_t)r->left;
            ev->data = in + pos;
            ev->len = n;
            pos += n;
            *used = pos;
            if (r->state != S_BODY_CLOSE)
                r->left -= n;
            if (r->state == S_CHUNK_DATA && r->left == 0)
                r->state = S_CHUNK_END;
            if (r->state == S_BODY_LEN && r->left == 0)
                r->state = S_FINISH;
            if (n == 0)
                continue;
            return DTLS_HTTP_EV_BODY;
        }
        }
    }
}

int dtls_http_parse_eof(struct dtls_http_response *r)
{
    if (r->state == S_BODY_CLOSE) {
        r->state = S_DONE;
        return DTLS_HTTP_EV_DONE;
    }
    if (r->state == S_DONE || r->state == S_FINISH) {
        r->state = S_DONE;
        return DTLS_HTTP_EV_DONE;
    }
    return fail(r, DTLS_HTTP_E_TRUNCATED);
}

const char *dtls_http_strerror(int rc)
{
    switch (rc) {
    case DTLS_HTTP_E_TOO_LONG: return "HTTP line too long";
    case DTLS_HTTP_E_BAD_STATUS: return "malformed HTTP status line";
    case DTLS_HTTP_E_BAD_HEADER: return "malformed HTTP header";
    case DTLS_HTTP_E_TOO_MANY: return "too many HTTP headers";
    case DTLS_HTTP_E_BAD_LENGTH: return "bad or conflicting HTTP message length";
    case DTLS_HTTP_E_BAD_CHUNK: return "malformed chunked encoding";
    case DTLS_HTTP_E_TRUNCATED: return "connection closed inside the HTTP response";
    case DTLS_HTTP_E_STATE: return "HTTP response already complete";
    default: return "HTTP error";
    }
}

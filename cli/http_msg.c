/*
 * struct http_req / struct http_resp helpers shared by both engines and the
 * dialect layer: adding request headers, collecting a response (headers
 * copied, body grown up to HTTP_RESP_MAX_BODY), Retry-After.
 */
#define _GNU_SOURCE
#include "transport_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int http_req_add_header(struct http_req *rq, const char *line)
{
    if (rq->n_headers >= HTTP_REQ_MAX_HEADERS)
        return -1;
    rq->headers[rq->n_headers++] = line;
    return 0;
}

const char *http_resp_header(const struct http_resp *rs, const char *name)
{
    for (size_t i = 0; i < rs->n_headers; i++)
        if (strcasecmp(rs->headers[i].name, name) == 0)
            return rs->headers[i].value;
    return NULL;
}

void http_resp_free(struct http_resp *rs)
{
    for (size_t i = 0; i < rs->n_headers; i++) {
        free(rs->headers[i].name);
        free(rs->headers[i].value);
        rs->headers[i].name = rs->headers[i].value = NULL;
    }
    rs->n_headers = 0;
    free(rs->body);
    rs->body = NULL;
    rs->body_len = 0;
}

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

int http_resp_add_header(struct http_resp *rs, const char *name, size_t name_len, const char *value,
                         size_t value_len)
{
    if (rs->n_headers == HTTP_RESP_MAX_HEADERS)
        return 0; /* more than we care about; the framing headers were read by the parser */
    char *n = dup_n(name, name_len), *v = dup_n(value, value_len);
    if (!n || !v) {
        free(n);
        free(v);
        return -1;
    }
    rs->headers[rs->n_headers].name = n;
    rs->headers[rs->n_headers].value = v;
    rs->n_headers++;
    return 0;
}

int http_resp_add_body(struct http_resp *rs, size_t *cap, const uint8_t *p, size_t n)
{
    if (n > HTTP_RESP_MAX_BODY - rs->body_len)
        return -1;
    if (rs->body_len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 1024;
        while (c < rs->body_len + n + 1)
            c *= 2;
        uint8_t *b = realloc(rs->body, c);
        if (!b)
            return -1;
        rs->body = b;
        *cap = c;
    }
    memcpy(rs->body + rs->body_len, p, n);
    rs->body_len += n;
    rs->body[rs->body_len] = 0;
    return 0;
}

void http_resp_finish(struct http_resp *rs)
{
    if (!rs->body) {
        rs->body = calloc(1, 1);
        rs->body_len = 0;
    }
    rs->retry_after_s = -1;
    const char *ra = http_resp_header(rs, "Retry-After");
    if (!ra)
        return;
    char *end;
    double v = strtod(ra, &end);
    if (end != ra && v >= 0 && *end == 0) {
        rs->retry_after_s = v;
        return;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *e = strptime(ra, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (e && *e == 0) {
        double d = difftime(timegm(&tm), time(NULL));
        rs->retry_after_s = d > 0 ? d : 0;
    }
}


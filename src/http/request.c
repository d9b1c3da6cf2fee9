/*
 * HTTP/1.1 request head writer. Everything the caller passes is checked so
 * that a value cannot smuggle a second header or request (CR, LF, NUL).
 */
#include <dtls/http.h>

#include <string.h>

struct out {
    char *p;
    size_t cap, len;
    int overflow;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->overflow || n > o->cap - o->len) {
        o->overflow = 1;
        return;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void put_uint(struct out *o, unsigned long v)
{
    char b[24];
    size_t i = sizeof b;
    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(o, b + i, sizeof b - i);
}

/* RFC 9110 token characters. */
static int is_tchar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int token_ok(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!is_tchar(*s))
            return 0;
    return 1;
}

static int value_ok(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\r' || c == '\n' || (c < 0x20 && c != '\t') || c == 0x7f)
            return 0;
    }
    return 1;
}

static int is_named(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'A' && x <= 'Z') x = (char)(x + 32);
        if (y >= 'A' && y <= 'Z') y = (char)(y + 32);
        if (x != y)
            return 0;
    }
    return *a == *b;
}

long dtls_http_request_head(char *out, size_t cap, const char *method, const struct dtls_url *u,
                            const struct dtls_http_header *headers, size_t n_headers, long content_length,
                            int keep_alive)
{
    struct out o = { out, cap, 0, 0 };
    if (!token_ok(method))
        return DTLS_HTTP_E_BAD_HEADER;
    int user_host = 0;
    for (size_t i = 0; i < n_headers; i++) {
        if (!token_ok(headers[i].name) || !value_ok(headers[i].value))
            return DTLS_HTTP_E_BAD_HEADER;
        if (is_named(headers[i].name, "Content-Length") || is_named(headers[i].name, "Transfer-Encoding") ||
            is_named(headers[i].name, "Connection"))
            return DTLS_HTTP_E_BAD_HEADER; /* framing is ours to write */
        if (is_named(headers[i].name, "Host"))
            user_host = 1;
    }
    puts_(&o, method);
    put(&o, " ", 1);
    if (u->query_only)
        put(&o, "/", 1);
    put(&o, u->path, u->path_len);
    puts_(&o, " HTTP/1.1\r\n");
    if (!user_host) {
        puts_(&o, "Host: ");
        if (u->host_is_ip == 6)
            put(&o, "[", 1);
        put(&o, u->host, u->host_len);
        if (u->host_is_ip == 6)
            put(&o, "]", 1);
        if (u->port_explicit && u->port != (u->https ? 443 : 80)) {
            put(&o, ":", 1);
            put_uint(&o, u->port);
        }
        puts_(&o, "\r\n");
    }
    for (size_t i = 0; i < n_headers; i++) {
        puts_(&o, headers[i].name);
        puts_(&o, ": ");
        puts_(&o, headers[i].value);
        puts_(&o, "\r\n");
    }
    if (content_length >= 0) {
        puts_(&o, "Content-Length: ");
        put_uint(&o, (unsigned long)content_length);
        puts_(&o, "\r\n");
    }
    if (!keep_alive)
        puts_(&o, "Connection: close\r\n");
    puts_(&o, "\r\n");
    if (o.overflow)
        return DTLS_HTTP_E_TOO_LONG;
    return (long)o.len;
}

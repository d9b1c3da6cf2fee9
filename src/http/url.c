/*
 * A strict URL parser (RFC 3986 subset for http/https). Devices need one to
 * turn a configured endpoint into host, port and request target; the CLI uses
 * the same code so both agree on what a URL means.
 *
 * Accepted: scheme "http" or "https" (case-insensitive), "//", a host that is
 * a DNS name (letters, digits, '-', '.', '_'), a dotted-quad IPv4 address or a
 * bracketed IPv6 address, an optional port 1..65535, then the path and query
 * (any visible ASCII except '#'; %-escapes must be two hex digits). A fragment
 * is dropped (it never goes on the wire). Refused: userinfo, spaces, control
 * and non-ASCII bytes, empty hosts, ports out of range.
 */
#include <dtls/http.h>

#include <string.h>

static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }

static size_t bounded_len(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

static int prefix_ci(const char *s, const char *p)
{
    for (; *p; s++, p++)
        if (lower(*s) != *p)
            return 0;
    return 1;
}

/* Dotted-quad IPv4, each part 0..255 without leading zeros. */
static int ipv4_ok(const char *s, size_t n)
{
    int parts = 0;
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        unsigned v = 0;
        while (i < n && is_digit(s[i])) {
            v = v * 10 + (unsigned)(s[i] - '0');
            if (v > 255)
                return 0;
            i++;
        }
        if (i == start || (i - start > 1 && s[start] == '0'))
            return 0;
        parts++;
        if (i < n) {
            if (s[i] != '.' || parts == 4)
                return 0;
            i++;
            if (i == n)
                return 0;
        }
    }
    return parts == 4;
}

/* IPv6 text per RFC 4291 2.2 (with an optional trailing dotted quad). */
static int ipv6_ok(const char *s, size_t n)
{
    int groups = 0, gap = 0;
    size_t i = 0;
    if (n >= 2 && s[0] == ':' && s[1] == ':') {
        gap = 1;
        i = 2;
    } else if (n >= 1 && s[0] == ':') {
        return 0;
    }
    while (i < n) {
        size_t start = i;
        while (i < n && is_hex(s[i]) && i - start < 5)
            i++;
        if (i < n && s[i] == '.') { /* embedded IPv4 must be the last 32 bits */
            if (!ipv4_ok(s + start, n - start))
                return 0;
            groups += 2;
            i = n;
            break;
        }
        if (i == start || i - start > 4)
            return 0;
        groups++;
        if (i == n)
            break;
        if (s[i] != ':')
            return 0;
        i++;
        if (i < n && s[i] == ':') {
            if (gap)
                return 0;
            gap = 1;
            i++;
        } else if (i == n) {
            return 0;
        }
    }
    return gap ? groups <= 7 : groups == 8;
}

static int dns_ok(const char *s, size_t n)
{
    if (n == 0 || n > 253)
        return 0;
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (label == 0)
                return 0;
            label = 0;
            continue;
        }
        if (!(is_alpha(c) || is_digit(c) || c == '-' || c == '_'))
            return 0;
        if (++label > 63)
            return 0;
    }
    return 1;
}

/* host [":" port] starting at s (length n), into u. */
static int parse_authority(struct dtls_url *u, const char *s, size_t n)
{
    size_t hend;
    const char *port = NULL;
    size_t port_len = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '@')
            return DTLS_URL_E_USERINFO;
    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close)
            return DTLS_URL_E_HOST;
        hend = (size_t)(close - s) + 1;
        if (!ipv6_ok(s + 1, hend - 2))
            return DTLS_URL_E_HOST;
        u->host = s + 1;
        u->host_len = hend - 2;
        u->host_is_ip = 6;
        if (hend < n) {
            if (s[hend] != ':')
                return DTLS_URL_E_HOST;
            port = s + hend + 1;
            port_len = n - hend - 1;
        }
    } else {
        const char *colon = memchr(s, ':', n);
        hend = colon ? (size_t)(colon - s) : n;
        if (colon) {
            port = colon + 1;
            port_len = n - hend - 1;
        }
        u->host = s;
        u->host_len = hend;
        if (ipv4_ok(s, hend))
            u->host_is_ip = 4;
        else if (!dns_ok(s, hend))
            return DTLS_URL_E_HOST;
        else {
            /* all-numeric labels that are not a valid IPv4 (e.g. 999.1.1.1) are refused */
            int alldigits = 1;
            for (size_t i = 0; i < hend; i++)
                if (!is_digit(s[i]) && s[i] != '.')
                    alldigits = 0;
            if (alldigits)
                return DTLS_URL_E_HOST;
        }
    }
    if (port) {
        if (port_len == 0 || port_len > 5)
            return DTLS_URL_E_PORT;
        unsigned v = 0;
        for (size_t i = 0; i < port_len; i++) {
            if (!is_digit(port[i]))
                return DTLS_URL_E_PORT;
            v = v * 10 + (unsigned)(port[i] - '0');
        }
        if (v == 0 || v > 65535)
            return DTLS_URL_E_PORT;
        u->port = (uint16_t)v;
        u->port_explicit = 1;
    }
    return DTLS_URL_OK;
}

static int chars_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f)
            return 0;
        if (c == '%' && (i + 2 >= n || !is_hex(s[i + 1]) || !is_hex(s[i + 2])))
            return 0;
    }
    return 1;
}

int dtls_url_parse(struct dtls_url *u, const char *url)
{
    memset(u, 0, sizeof *u);
    size_t n = bounded_len(url, DTLS_URL_MAX + 1);
    if (n > DTLS_URL_MAX)
        return DTLS_URL_E_LONG;
    if (!chars_ok(url, n))
        return DTLS_URL_E_CHAR;
    const char *p;
    if (prefix_ci(url, "https://")) {
        u->https = 1;
        u->port = 443;
        p = url + 8;
    } else if (prefix_ci(url, "http://")) {
        u->port = 80;
        p = url + 7;
    } else {
        return DTLS_URL_E_SCHEME;
    }
    const char *end = url + n;
    const char *frag = memchr(p, '#', (size_t)(end - p));
    if (frag)
        end = frag;
    const char *auth_end = p;
    while (auth_end < end && *auth_end != '/' && *auth_end != '?')
        auth_end++;
    if (auth_end == p)
        return DTLS_URL_E_HOST;
    int rc = parse_authority(u, p, (size_t)(auth_end - p));
    if (rc != DTLS_URL_OK)
        return rc;
    if (auth_end == end) {
        u->path = "/";
        u->path_len = 1;
        return DTLS_URL_OK;
    }
    u->query_only = *auth_end == '?'; /* "https://h?q": the request target is "/?q" */
    u->path = auth_end;
    u->path_len = (size_t)(end - auth_end);
    return DTLS_URL_OK;
}

int dtls_url_parse_hostport(struct dtls_url *u, const char *s)
{
    if (prefix_ci(s, "https://") || prefix_ci(s, "http://"))
        return dtls_url_parse(u, s);
    memset(u, 0, sizeof *u);
    size_t n = bounded_len(s, DTLS_URL_MAX + 1);
    if (n > DTLS_URL_MAX)
        return DTLS_URL_E_LONG;
    if (n == 0 || !chars_ok(s, n))
        return n == 0 ? DTLS_URL_E_HOST : DTLS_URL_E_CHAR;
    u->https = 1;
    u->port = 443;
    u->path = "/";
    u->path_len = 1;
    /* A bare IPv6 address without brackets ("::1") has more than one colon. */
    const char *c1 = memchr(s, ':', n);
    if (c1 && memchr(c1 + 1, ':', (size_t)(s + n - c1 - 1)) && s[0] != '[') {
        if (!ipv6_ok(s, n))
            return DTLS_URL_E_HOST;
        u->host = s;
        u->host_len = n;
        u->host_is_ip = 6;
        return DTLS_URL_OK;
    }
    return parse_authority(u, s, n);
}

const char *dtls_url_strerror(int rc)
{
    switch (rc) {
    case DTLS_URL_OK: return "ok";
    case DTLS_URL_E_SCHEME: return "URL scheme must be http:// or https://";
    case DTLS_URL_E_HOST: return "URL has an empty or invalid host";
    case DTLS_URL_E_PORT: return "URL port must be 1..65535";
    case DTLS_URL_E_USERINFO: return "URL must not carry user:password@ (use -u)";
    case DTLS_URL_E_CHAR: return "URL contains a space, control or non-ASCII character, or a bad %-escape";
    case DTLS_URL_E_LONG: return "URL is too long";
    default: return "invalid URL";
    }
}

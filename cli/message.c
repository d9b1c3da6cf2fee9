/*
 * Building the message of a publish. Input JSON is checked with cJSON and
 * then sent exactly as given; only items are serialised here, and then the
 * ":=" values are copied as the user wrote them (so 21.50 stays 21.50).
 */
#include "message.h"
#include "exitcodes.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(struct conn_error *err, int exit, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void fail(struct conn_error *err, int exit, const char *name, const char *fmt, ...)
{
    va_list ap;
    err->exit = exit;
    err->name = name;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap + 1);
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (n < cap) {
            if (ferror(f)) {
                int e = errno;
                free(buf);
                buf = NULL;
                errno = e ? e : EIO;
            }
            break;
        }
        uint8_t *nb = cap > (SIZE_MAX - 1) / 2 ? NULL : realloc(buf, cap * 2 + 1);
        if (!nb) {
            free(buf);
            buf = NULL;
            errno = ENOMEM;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    if (f != stdin)
        fclose(f);
    if (buf) {
        buf[n] = 0;
        *len = n;
    }
    return buf;
}

/* Length of the valid UTF-8 sequence at p (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF), or 0. */
static size_t utf8_len(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];
    if (c < 0x80)
        return 1;
    size_t len;
    uint32_t min, cp;
    if ((c & 0xe0) == 0xc0) { len = 2; min = 0x80; cp = c & 0x1fu; }
    else if ((c & 0xf0) == 0xe0) { len = 3; min = 0x800; cp = c & 0x0fu; }
    else if ((c & 0xf8) == 0xf0) { len = 4; min = 0x10000; cp = c & 0x07u; }
    else return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* 1-based line and column (in characters) of byte offset pos. */
static void position(const uint8_t *p, size_t pos, size_t *line, size_t *col)
{
    size_t l = 1, c = 1;
    for (size_t i = 0; i < pos;) {
        if (p[i] == '\n') {
            l++;
            c = 1;
            i++;
            continue;
        }
        size_t k = utf8_len(p + i, pos - i);
        i += k ? k : 1;
        c++;
    }
    *line = l;
    *col = c;
}

/*
 * A strict RFC 8259 reader that only says where the first error is and why. cJSON alone is
 * not enough to refuse what a strict cloud refuses: it takes 01, 1. and raw control
 * characters in strings, and its error offsets can point past the culprit.
 */
#define JSON_MAX_DEPTH 1000   /* cJSON's CJSON_NESTING_LIMIT */

struct jr {
    const uint8_t *p;
    size_t n, i;
    const char *why;
};

static void ws(struct jr *r)
{
    while (r->i < r->n && (r->p[r->i] == ' ' || r->p[r->i] == '\t' || r->p[r->i] == '\n' || r->p[r->i] == '\r'))
        r->i++;
}

static int jfail(struct jr *r, const char *why)
{
    if (r->i >= r->n && (strncmp(why, "unexpected", 10) == 0 || strncmp(why, "expected", 8) == 0))
        why = "unexpected end of input";
    r->why = why;
    return -1;
}

static int is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

static int j_lit(struct jr *r, const char *lit)
{
    size_t l = strlen(lit);
    for (size_t k = 0; k < l; k++, r->i++)
        if (r->i >= r->n || r->p[r->i] != (uint8_t)lit[k])
            return jfail(r, "unexpected character");
    return 0;
}

static int j_number(struct jr *r)
{
    if (r->p[r->i] == '-')
        r->i++;
    if (r->i >= r->n || !is_digit(r->p[r->i]))
        return jfail(r, "invalid number (a digit must follow)");
    if (r->p[r->i] == '0') {
        r->i++;
        if (r->i < r->n && is_digit(r->p[r->i]))
            return jfail(r, "invalid number (no leading zeros)");
    } else {
        while (r->i < r->n && is_digit(r->p[r->i]))
            r->i++;
    }
    if (r->i < r->n && r->p[r->i] == '.') {
        r->i++;
        if (r->i >= r->n || !is_digit(r->p[r->i]))
            return jfail(r, "invalid number (a digit must follow '.')");
        while (r->i < r->n && is_digit(r->p[r->i]))
            r->i++;
    }
    if (r->i < r->n && (r->p[r->i] == 'e' || r->p[r->i] == 'E')) {
        r->i++;
        if (r->i < r->n && (r->p[r->i] == '+' || r->p[r->i] == '-'))
            r->i++;
        if (r->i >= r->n || !is_digit(r->p[r->i]))
            return jfail(r, "invalid number (a digit must follow the exponent)");
        while (r->i < r->n && is_digit(r->p[r->i]))
            r->i++;
    }
    return 0;
}

static int j_string(struct jr *r)
{
    r->i++; /* the opening quote */
    for (;;) {
        if (r->i >= r->n)
            return jfail(r, "unterminated string");
        uint8_t c = r->p[r->i];
        if (c == '"') {
            r->i++;
            return 0;
        }
        if (c < 0x20)
            return jfail(r, "control character in a string (escape it)");
        if (c != '\\') {
            r->i++;
            continue;
        }
        r->i++;
        if (r->i >= r->n)
            return jfail(r, "unterminated string");
        c = r->p[r->i];
        if (c == 'u') {
            for (int k = 0; k < 4; k++) {
                r->i++;
                if (r->i >= r->n || !((r->p[r->i] >= '0' && r->p[r->i] <= '9') ||
                                      (r->p[r->i] >= 'a' && r->p[r->i] <= 'f') ||
                                      (r->p[r->i] >= 'A' && r->p[r->i] <= 'F')))
                    return jfail(r, "invalid \\u escape (four hex digits)");
            }
            r->i++;
        } else if (strchr("\"\\/bfnrt", c) && c) {
            r->i++;
        } else {
            return jfail(r, "invalid escape in a string");
        }
    }
}

static int j_value(struct jr *r, int depth)
{
    ws(r);
    if (r->i >= r->n)
        return jfail(r, "unexpected end of input");
    uint8_t c = r->p[r->i];
    switch (c) {
    case '{':
    case '[': {
        if (depth >= JSON_MAX_DEPTH)
            return jfail(r, "nested too deeply");
        uint8_t close = c == '{' ? '}' : ']';
        r->i++;
        ws(r);
        if (r->i < r->n && r->p[r->i] == close) {
            r->i++;
            return 0;
        }
        for (;;) {
            if (c == '{') {
                ws(r);
                if (r->i >= r->n || r->p[r->i] != '"')
                    return jfail(r, "expected a string key");
                if (j_string(r) != 0)
                    return -1;
                ws(r);
                if (r->i >= r->n || r->p[r->i] != ':')
                    return jfail(r, "expected ':' after the key");
                r->i++;
            }
            if (j_value(r, depth + 1) != 0)
                return -1;
            ws(r);
            if (r->i < r->n && r->p[r->i] == ',') {
                r->i++;
                ws(r);
                if (r->i < r->n && r->p[r->i] == close)
                    return jfail(r, "trailing comma");
                continue;
            }
            if (r->i < r->n && r->p[r->i] == close) {
                r->i++;
                return 0;
            }
            return jfail(r, c == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    case '"': return j_string(r);
    case 't': return j_lit(r, "true");
    case 'f': return j_lit(r, "false");
    case 'n': return j_lit(r, "null");
    default:
        if (c == '-' || is_digit(c))
            return j_number(r);
        return jfail(r, "unexpected character");
    }
}

int json_check(const uint8_t *p, size_t n, size_t *line, size_t *col, const char **why)
{
    /* bytes no JSON text may hold: NUL and invalid UTF-8 */
    for (size_t i = 0; i < n;) {
        if (p[i] == 0) {
            position(p, i, line, col);
            *why = "a NUL byte";
            return -1;
        }
        size_t k = utf8_len(p + i, n - i);
        if (k == 0) {
            position(p, i, line, col);
            *why = "invalid UTF-8";
            return -1;
        }
        i += k;
    }
    struct jr r = { p, n, 0, NULL };
    ws(&r);
    if (r.i == n) {
        position(p, n, line, col);
        *why = "no JSON value (empty input)";
        return -1;
    }
    if (j_value(&r, 0) == 0) {
        ws(&r);
        if (r.i < n)
            jfail(&r, "more after the JSON value");
    }
    if (r.why) {
        position(p, r.i, line, col);
        *why = r.why;
        return -1;
    }
    /* and cJSON, which reads every JSON we send, must agree */
    char *copy = malloc(n + 1);
    if (!copy) {
        *line = *col = 0;
        *why = "out of memory";
        return -1;
    }
    memcpy(copy, p, n);
    copy[n] = 0;
    const char *end = NULL;
    /* cJSON's require_null_terminated wants the terminating NUL inside buffer_length */
    cJSON *v = cJSON_ParseWithLengthOpts(copy, n + 1, &end, 1);
    int rc = 0;
    if (!v) {
        size_t pos = end && end >= copy && end <= copy + n ? (size_t)(end - copy) : n;
        position(p, pos, line, col);
        *why = "not accepted by cJSON";
        rc = -1;
    }
    cJSON_Delete(v);
    free(copy);
    return rc;
}

char *items_to_json(const char *const *items, size_t n, struct conn_error *err)
{
    size_t cap = 2, len = 0;
    for (size_t i = 0; i < n; i++)
        cap += 2 * strlen(items[i]) + 16;
    char *out = malloc(cap + 1);
    if (!out) {
        fail(err, EXIT_USAGE, "out_of_memory", "out of memory");
        return NULL;
    }
    out[len++] = '{';
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        const char *it = items[i];
        const char *eq = strchr(it, '=');
        if (!eq) {
            fail(err, EXIT_USAGE, "usage", "item '%s' is neither key=string nor key:=json", it);
            free(out);
            return NULL;
        }
        int raw = eq > it && eq[-1] == ':';
        size_t klen = (size_t)(eq - it) - (raw ? 1 : 0);
        if (klen == 0) {
            fail(err, EXIT_USAGE, "usage", "item '%s' has an empty key", it);
            free(out);
            return NULL;
        }
        const char *val = eq + 1;
        if (raw) {
            size_t line, col;
            const char *why;
            if (json_check((const uint8_t *)val, strlen(val), &line, &col, &why) != 0) {
                fail(err, EXIT_USAGE, "invalid_json", "invalid JSON in item '%.*s:=' at line %zu, column %zu: %s",
                     (int)klen, it, line, col, why);
                free(out);
                return NULL;
            }
        }
        /* a key given again later wins: skip this one */
        int later = 0;
        for (size_t j = i + 1; j < n && !later; j++) {
            const char *e2 = strchr(items[j], '=');
            if (!e2)
                continue;
            size_t k2 = (size_t)(e2 - items[j]) - (e2 > items[j] && e2[-1] == ':' ? 1 : 0);
            later = k2 == klen && memcmp(items[j], it, klen) == 0;
        }
        if (later)
            continue;
        char *key = malloc(klen + 1);
        if (!key) {
            fail(err, EXIT_USAGE, "out_of_memory", "out of memory");
            free(out);
            return NULL;
        }
        memcpy(key, it, klen);
        key[klen] = 0;
        cJSON *ks = cJSON_CreateString(key);
        cJSON *vs = raw ? NULL : cJSON_CreateString(val);
        char *kt = ks ? cJSON_PrintUnformatted(ks) : NULL;
        char *vt = vs ? cJSON_PrintUnformatted(vs) : NULL;
        free(key);
        cJSON_Delete(ks);
        cJSON_Delete(vs);
        if (!kt || (!raw && !vt)) {
            free(kt);
            free(vt);
            fail(err, EXIT_USAGE, "usage", "item '%s' is not valid text (keys and strings must be UTF-8)", it);
            free(out);
            return NULL;
        }
        /* the raw value without surrounding whitespace */
        const char *v = raw ? val : vt;
        size_t vl = strlen(v);
        if (raw) {
            while (vl && (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r'))
                v++, vl--;
            while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t' || v[vl - 1] == '\n' || v[vl - 1] == '\r'))
                vl--;
        }
        size_t need = len + strlen(kt) + vl + 3;
        if (need > cap) {
            char *nb = realloc(out, need + 1);
            if (!nb) {
                free(kt);
                free(vt);
                free(out);
                fail(err, EXIT_USAGE, "out_of_memory", "out of memory");
                return NULL;
            }
            out = nb;
            cap = need;
        }
        if (!first)
            out[len++] = ',';
        first = 0;
        memcpy(out + len, kt, strlen(kt));
        len += strlen(kt);
        out[len++] = ':';
        memcpy(out + len, v, vl);
        len += vl;
        free(kt);
        free(vt);
    }
    if (len + 2 > cap + 1) {
        char *nb = realloc(out, len + 2);
        if (!nb) {
            free(out);
            fail(err, EXIT_USAGE, "out_of_memory", "out of memory");
            return NULL;
        }
        out = nb;
    }
    out[len++] = '}';
    out[len] = 0;
    return out;
}

/* The bytes named by ARG: "@FILE", "@-" (stdin) or the literal. */
static int load_arg(const char *arg, const char *opt, struct message *m, const char **src, struct conn_error *err)
{
    if (arg[0] == '@') {
        const char *path = arg + 1;
        if (!*path) {
            fail(err, EXIT_USAGE, "usage", "%s @ needs a file name (or @- for standard input)", opt);
            return -1;
        }
        m->data = slurp(path, &m->len);
        if (!m->data) {
            fail(err, EXIT_READ_INPUT, "read_input", "cannot read %s: %s",
                 strcmp(path, "-") == 0 ? "standard input" : path, strerror(errno));
            return -1;
        }
        *src = strcmp(path, "-") == 0 ? "standard input" : path;
        return 0;
    }
    size_t n = strlen(arg);
    m->data = malloc(n + 1);
    if (!m->data) {
        fail(err, EXIT_USAGE, "out_of_memory", "out of memory");
        return -1;
    }
    memcpy(m->data, arg, n + 1);
    m->len = n;
    *src = opt;
    return 0;
}

int message_build(const struct options *o, struct message *m, struct conn_error *err)
{
    memset(m, 0, sizeof *m);
    int sources = (o->data != NULL) + (o->data_binary != NULL) + (o->n_items > 0);
    if (sources > 1) {
        fail(err, EXIT_USAGE, "usage", "give the message one way only: -d, --data-binary or ITEMs");
        return err->exit;
    }
    const char *src = NULL;
    if (o->data) {
        if (load_arg(o->data, "-d", m, &src, err) != 0)
            return err->exit;
        size_t line, col;
        const char *why;
        if (json_check(m->data, m->len, &line, &col, &why) != 0) {
            fail(err, EXIT_USAGE, "invalid_json", "invalid JSON in %s at line %zu, column %zu: %s; nothing was sent",
                 src, line, col, why);
            message_free(m);
            return err->exit;
        }
        m->json = 1;
        m->content_type = o->content_type ? o->content_type : "application/json";
    } else if (o->data_binary) {
        if (load_arg(o->data_binary, "--data-binary", m, &src, err) != 0)
            return err->exit;
        m->content_type = o->content_type ? o->content_type : "application/octet-stream";
    } else if (o->n_items > 0) {
        char *s = items_to_json(o->items, o->n_items, err);
        if (!s)
            return err->exit;
        m->data = (uint8_t *)s;
        m->len = strlen(s);
        m->json = 1;
        m->content_type = o->content_type ? o->content_type : "application/json";
    } else {
        m->data = calloc(1, 1);
        m->content_type = o->content_type;
    }
    return 0;
}

void message_free(struct message *m)
{
    free(m->data);
    m->data = NULL;
    m->len = 0;
}

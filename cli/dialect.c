/*
 * The dialect table of DESIGN.md §3 as code. Every function here builds or
 * reads HTTP messages; none does I/O except gathering the password.
 *
 * Hostile-server rule: a command's name, id and payload come from the
 * network. The id goes into a request path only percent-encoded; names and
 * payloads are escaped before they reach a terminal.
 */
#define _GNU_SOURCE
#include "dialect.h"
#include "config.h"
#include "exitcodes.h"
#include "message.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

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

static const char *const names[] = { "drogue", "hono", "thingsboard", "plain" };

int dialect_from_name(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

char *base64_encode(const uint8_t *in, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((n + 2) / 3 * 4 + 1);
    if (!out)
        return NULL;
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];
        out[o++] = tab[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = 0;
    return out;
}

static void wipe(void *p, size_t n)
{
    explicit_bzero(p, n);
}

/* A password typed on the terminal, without echo; only when a person is there. */
static int prompt_password(const char *user, char *out, size_t cap)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO))
        return -1;
    FILE *tty = fopen("/dev/tty", "r+");
    if (!tty)
        return -1;
    struct termios old, quiet;
    int fd = fileno(tty);
    if (tcgetattr(fd, &old) != 0) {
        fclose(tty);
        return -1;
    }
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    fprintf(tty, "Password for '%s': ", user);
    fflush(tty);
    tcsetattr(fd, TCSAFLUSH, &quiet);
    char *r = fgets(out, (int)cap, tty);
    tcsetattr(fd, TCSAFLUSH, &old);
    fputc('\n', tty);
    fclose(tty);
    if (!r)
        return -1;
    out[strcspn(out, "\r\n")] = 0;
    return 0;
}

/* user and password -> "Basic base64(user:password)". */
static int credentials(struct dialect *d, const struct options *o, struct conn_error *err)
{
    if (!o->user)
        return 0;
    char pw[512];
    pw[0] = 0;
    const char *colon = strchr(o->user, ':');
    size_t ul = colon ? (size_t)(colon - o->user) : strlen(o->user);
    if (ul >= sizeof d->user) {
        fail(err, EXIT_USAGE, "usage", "-u: the user name is too long");
        return -1;
    }
    memcpy(d->user, o->user, ul);
    d->user[ul] = 0;
    if (colon) {
        if (strlen(colon + 1) >= sizeof pw) {
            fail(err, EXIT_USAGE, "usage", "-u: the password is too long");
            return -1;
        }
        strcpy(pw, colon + 1);
        d->password_source = "-u";
    } else if (o->password_file) {
        FILE *f = fopen(o->password_file, "r");
        if (!f || !fgets(pw, sizeof pw, f)) {
            int e = errno;
            if (f)
                fclose(f);
            fail(err, EXIT_READ_INPUT, "read_input", "cannot read the password file %s: %s", o->password_file,
                 f ? "it is empty" : strerror(e));
            wipe(pw, sizeof pw);
            return -1;
        }
        fclose(f);
        pw[strcspn(pw, "\r\n")] = 0;
        d->password_source = "--password-file";
    } else if (getenv("DTLS_SEND_PASSWORD")) {
        snprintf(pw, sizeof pw, "%s", getenv("DTLS_SEND_PASSWORD"));
        d->password_source = "DTLS_SEND_PASSWORD";
    } else if (config_password()) {
        snprintf(pw, sizeof pw, "%s", config_password());
        d->password_source = "the config file";
    } else if (prompt_password(d->user, pw, sizeof pw) == 0) {
        d->password_source = "the terminal";
    } else {
        fail(err, EXIT_USAGE, "no_password",
             "no password for user '%s': give -u USER:PASS, DTLS_SEND_PASSWORD or --password-file", d->user);
        return -1;
    }
    size_t pl = strlen(pw);
    uint8_t *both = malloc(ul + 1 + pl);
    if (!both) {
        wipe(pw, sizeof pw);
        fail(err, EXIT_USAGE, "out_of_memory", "out of memory");
        return -1;
    }
    memcpy(both, d->user, ul);
    both[ul] = ':';
    memcpy(both + ul + 1, pw, pl);
    char *b64 = base64_encode(both, ul + 1 + pl);
    wipe(both, ul + 1 + pl);
    free(both);
    wipe(pw, sizeof pw);
    if (!b64 || strlen(b64) + 7 >= sizeof d->authorization) {
        if (b64)
            wipe(b64, strlen(b64));
        free(b64);
        fail(err, EXIT_USAGE, "usage", "-u: the credentials are too long");
        return -1;
    }
    snprintf(d->authorization, sizeof d->authorization, "Basic %s", b64);
    wipe(b64, strlen(b64));
    free(b64);
    return 0;
}

/* Remove a trailing path segment named one of the given names; returns 1 if removed. */
static int strip_last(char *path, const char *const *segs)
{
    char *slash = strrchr(path, '/');
    if (!slash)
        return 0;
    for (size_t i = 0; segs[i]; i++)
        if (strcmp(slash + 1, segs[i]) == 0) {
            *slash = 0;
            return 1;
        }
    return 0;
}

int dialect_init(struct dialect *d, const struct options *o, const struct dtls_url *u, struct conn_error *err)
{
    memset(d, 0, sizeof *d);
    int id = dialect_from_name(o->dialect ? o->dialect : "drogue");
    if (id < 0) {
        fail(err, EXIT_USAGE, "usage", "--dialect must be drogue, hono, thingsboard or plain, got '%s'", o->dialect);
        return err->exit;
    }
    d->id = (enum dialect_id)id;
    d->name = names[id];
    d->url = *u;
    d->headers = o->headers;
    d->n_headers = o->n_headers;

    /* split the request target into path and query ("?q" alone means path "/") */
    const char *p = u->path;
    size_t plen = u->path_len;
    const char *q = memchr(p, '?', plen);
    size_t path_only = q ? (size_t)(q - p) : plen;
    if (path_only >= sizeof d->path || plen >= sizeof d->query) {
        fail(err, EXIT_BAD_URL, "bad_url", "URL path too long");
        return err->exit;
    }
    memcpy(d->path, p, path_only);
    d->path[path_only] = 0;
    if (d->path[0] == 0)
        strcpy(d->path, "/");
    if (q) {
        size_t ql = plen - path_only - 1;
        memcpy(d->query, q + 1, ql);
        d->query[ql] = 0;
    }

    strcpy(d->base, d->path);
    if (d->id == DIALECT_HONO) {
        static const char *const segs[] = { "telemetry", "event", NULL };
        strip_last(d->base, segs);
    } else if (d->id == DIALECT_THINGSBOARD) {
        char *api = strstr(d->base, "/api/v1/");
        char *tok = api ? api + 8 : NULL;
        char *end = tok ? strchr(tok, '/') : NULL;
        size_t tl = tok ? (end ? (size_t)(end - tok) : strlen(tok)) : 0;
        if (!tok || tl == 0 || tl >= sizeof d->token) {
            fail(err, EXIT_USAGE, "usage",
                 "thingsboard URLs carry the device token: https://HOST/api/v1/TOKEN/telemetry");
            return err->exit;
        }
        memcpy(d->token, tok, tl);
        d->token[tl] = 0;
        tok[tl] = 0; /* base = .../api/v1/<token> */
        if (o->user && o->verbose)
            fprintf(stderr, "* thingsboard: the token in the URL is the credential; -u is not sent\n");
        return 0;
    }
    return credentials(d, o, err) != 0 ? err->exit : 0;
}

void dialect_free(struct dialect *d)
{
    wipe(d->authorization, sizeof d->authorization);
    wipe(d->token, sizeof d->token);
}

int dialect_has_commands(const struct dialect *d)
{
    return d->id != DIALECT_PLAIN;
}

int dialect_waits_in_publish(const struct dialect *d)
{
    return d->id == DIALECT_DROGUE || d->id == DIALECT_HONO;
}

static long whole_seconds(double s)
{
    return s <= 0 ? 0 : (long)ceil(s);
}

static void req_start(const struct dialect *d, struct dialect_req *r, const char *method)
{
    memset(r, 0, sizeof *r);
    r->rq.method = method;
    r->rq.target = r->target;
    for (size_t i = 0; i < d->n_headers; i++)
        http_req_add_header(&r->rq, d->headers[i]);
    if (d->authorization[0])
        r->rq.authorization = d->authorization;
    if (d->id == DIALECT_THINGSBOARD)
        r->rq.secret_in_target = d->token;
}

static int add_extra(struct dialect_req *r, struct conn_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int add_extra(struct dialect_req *r, struct conn_error *err, const char *fmt, ...)
{
    if (r->n_extra == sizeof r->extra / sizeof r->extra[0])
        goto full;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->extra[r->n_extra], sizeof r->extra[0], fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof r->extra[0] || http_req_add_header(&r->rq, r->extra[r->n_extra]) != 0)
        goto full;
    r->n_extra++;
    return 0;
full:
    fail(err, EXIT_USAGE, "usage", "too many request headers");
    return -1;
}

static int target(struct dialect_req *r, struct conn_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int target(struct dialect_req *r, struct conn_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->target, sizeof r->target, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof r->target) {
        fail(err, EXIT_BAD_URL, "bad_url", "request target too long");
        return -1;
    }
    return 0;
}

/* The URL's path and query, plus "ct=<s>" (drogue) when asked. */
static int url_target(const struct dialect *d, struct dialect_req *r, long ct, struct conn_error *err)
{
    const char *sep = d->query[0] ? "?" : "";
    if (ct < 0)
        return target(r, err, "%s%s%s", d->path, sep, d->query);
    return target(r, err, "%s%s%s%sct=%ld", d->path, sep, d->query, d->query[0] ? "&" : "?", ct);
}

int dialect_publish_req(const struct dialect *d, struct dialect_req *r, const uint8_t *body, size_t len,
                        const char *content_type, double wait_s, struct conn_error *err)
{
    req_start(d, r, "POST");
    r->rq.body = body;
    r->rq.body_len = len;
    r->rq.content_type = content_type;
    int wait_here = wait_s >= 0 && dialect_waits_in_publish(d);
    if (d->id == DIALECT_HONO && len == 0 && !content_type)
        r->rq.content_type = "application/vnd.eclipse.hono.empty-notification";
    if (url_target(d, r, wait_here && d->id == DIALECT_DROGUE ? whole_seconds(wait_s) : -1, err) != 0)
        return -1;
    if (wait_here && d->id == DIALECT_HONO && add_extra(r, err, "hono-ttd: %ld", whole_seconds(wait_s)) != 0)
        return -1;
    if (wait_here)
        r->rq.timeout_s = wait_s + DIALECT_POLL_MARGIN_S;
    return 0;
}

int dialect_poll_req(const struct dialect *d, struct dialect_req *r, double wait_s, struct conn_error *err)
{
    memset(r, 0, sizeof *r); /* dialect_req_free is safe whatever happens below */
    if (wait_s < 0)
        wait_s = 0;
    switch (d->id) {
    case DIALECT_DROGUE:
    case DIALECT_HONO:
        if (dialect_publish_req(d, r, NULL, 0, NULL, wait_s, err) != 0)
            return -1;
        break;
    case DIALECT_THINGSBOARD: {
        req_start(d, r, "GET");
        r->rq.no_body = 1;
        long ms = (long)(wait_s * 1000);
        if (ms < 1000)
            ms = 1000; /* the shortest wait ThingsBoard honours */
        if (target(r, err, "%s/rpc?timeout=%ld", d->base, ms) != 0)
            return -1;
        r->rq.timeout_s = (double)ms / 1000 + DIALECT_POLL_MARGIN_S;
        break;
    }
    default:
        fail(err, EXIT_USAGE, "usage", "the plain dialect has no commands");
        return -1;
    }
    r->rq.resend_ok = 1;
    return 0;
}

int http_status_retriable(int status)
{
    return status == 429 || status == 408 || (status >= 500 && status <= 599);
}

static char *dup_str(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        if (n)
            memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

void command_free(struct cloud_command *c)
{
    free(c->name);
    free(c->id);
    free(c->payload);
    memset(c, 0, sizeof *c);
}

static int json_ok(const uint8_t *p, size_t n)
{
    size_t l, c;
    const char *w;
    return n > 0 && json_check(p, n, &l, &c, &w) == 0;
}

/* A short printable excerpt of a response body for error messages. */
static void excerpt(const struct http_resp *rs, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < rs->body_len && o + 4 < cap && i < 200; i++) {
        uint8_t c = rs->body[i];
        out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : ' ';
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = 0;
}

static int auth_failure(const struct dialect *d, int status, struct conn_error *err)
{
    if (d->id == DIALECT_THINGSBOARD)
        fail(err, EXIT_HTTP, "auth_failed",
             "authentication failed (HTTP %d): the cloud refused the device access token in the URL", status);
    else if (!d->user[0])
        fail(err, EXIT_HTTP, "auth_failed",
             "authentication failed (HTTP %d): the cloud wants credentials; none were given (-u USER[:PASS])", status);
    else
        fail(err, EXIT_HTTP, "auth_failed",
             "authentication failed (HTTP %d): the cloud refused user '%s' with the password from %s", status,
             d->user, d->password_source ? d->password_source : "-u");
    return DIALECT_FAIL;
}

static int tb_command(const struct http_resp *rs, struct cloud_command *cmd)
{
    cJSON *j = cJSON_ParseWithLength((const char *)rs->body, rs->body_len);
    if (!j)
        return -1;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
    const cJSON *method = cJSON_GetObjectItemCaseSensitive(j, "method");
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(j, "params");
    int rc = -1;
    if (cJSON_IsString(method) && (cJSON_IsNumber(id) || cJSON_IsString(id))) {
        char num[32];
        if (cJSON_IsNumber(id))
            snprintf(num, sizeof num, "%.0f", id->valuedouble);
        const char *ids = cJSON_IsNumber(id) ? num : id->valuestring;
        char *pl = params ? cJSON_PrintUnformatted(params) : NULL;
        cmd->name = dup_str(method->valuestring, strlen(method->valuestring));
        cmd->id = dup_str(ids, strlen(ids));
        if (pl) {
            cmd->payload = (uint8_t *)pl;
            cmd->payload_len = strlen(pl);
            cmd->payload_json = 1;
        } else {
            cmd->payload = calloc(1, 1);
        }
        rc = cmd->name && cmd->id && cmd->payload ? 0 : -1;
    }
    cJSON_Delete(j);
    return rc;
}

int dialect_read_response(const struct dialect *d, enum dialect_op op, const struct http_resp *rs,
                          struct cloud_command *cmd, struct conn_error *err)
{
    memset(cmd, 0, sizeof *cmd);
    int st = rs->status;
    char ex[256];
    if (st == 401 || st == 403)
        return auth_failure(d, st, err);
    if (op == DIALECT_OP_POLL && d->id == DIALECT_THINGSBOARD && st == 408)
        return DIALECT_NONE;
    if (st < 200 || st > 299) {
        excerpt(rs, ex, sizeof ex);
        const char *what = op == DIALECT_OP_REPLY ? "the command response was refused"
                           : op == DIALECT_OP_POLL ? "the command poll failed"
                                                   : "the message was not accepted";
        if (st >= 300 && st < 400) {
            const char *loc = http_resp_header(rs, "Location");
            fail(err, EXIT_HTTP, "http_error", "%s: HTTP %d redirect%s%s (not followed)", what, st,
                 loc ? " to " : "", loc ? loc : "");
        } else {
            fail(err, EXIT_HTTP, "http_error", "%s: HTTP %d%s%s", what, st, ex[0] ? ": " : "", ex);
        }
        return DIALECT_FAIL;
    }
    if (op == DIALECT_OP_REPLY || d->id == DIALECT_PLAIN)
        return DIALECT_NONE;

    if (d->id == DIALECT_THINGSBOARD) {
        if (op != DIALECT_OP_POLL || rs->body_len == 0)
            return DIALECT_NONE;
        if (tb_command(rs, cmd) != 0) {
            command_free(cmd);
            excerpt(rs, ex, sizeof ex);
            fail(err, EXIT_RECV, "bad_command", "the RPC poll answered 200 without {\"id\",\"method\"}: %s", ex);
            return DIALECT_FAIL;
        }
        return DIALECT_COMMAND;
    }
    const char *name = http_resp_header(rs, d->id == DIALECT_DROGUE ? "command" : "hono-command");
    if (!name)
        return DIALECT_NONE;
    const char *id = d->id == DIALECT_HONO ? http_resp_header(rs, "hono-cmd-req-id") : NULL;
    cmd->name = dup_str(name, strlen(name));
    cmd->id = id && *id ? dup_str(id, strlen(id)) : NULL;
    cmd->payload = malloc(rs->body_len + 1);
    if (!cmd->name || (id && *id && !cmd->id) || !cmd->payload) {
        command_free(cmd);
        fail(err, EXIT_RECV, "out_of_memory", "out of memory");
        return DIALECT_FAIL;
    }
    memcpy(cmd->payload, rs->body, rs->body_len);
    cmd->payload[rs->body_len] = 0;
    cmd->payload_len = rs->body_len;
    cmd->payload_json = json_ok(cmd->payload, cmd->payload_len);
    return DIALECT_COMMAND;
}

/* Percent-encode everything but RFC 3986 unreserved characters (ids come from the network). */
static int pct_encode(const char *s, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '.' || c == '_' || c == '~';
        if (o + (plain ? 1 : 3) >= cap)
            return -1;
        if (plain) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = 0;
    return 0;
}

int dialect_reply_req(const struct dialect *d, struct dialect_req *r, const struct cloud_command *c, int ok,
                      const uint8_t *out, size_t out_len, struct conn_error *err)
{
    memset(r, 0, sizeof *r);
    if (!c->id || (d->id != DIALECT_HONO && d->id != DIALECT_THINGSBOARD))
        return 1;
    char id[600];
    if (pct_encode(c->id, id, sizeof id) != 0) {
        fail(err, EXIT_RECV, "bad_command", "the command id is too long");
        return -1;
    }
    req_start(d, r, "POST");
    r->rq.body = out;
    r->rq.body_len = out_len;
    if (d->id == DIALECT_HONO) {
        if (target(r, err, "%s/command/res/%s?hono-cmd-status=%d", strcmp(d->base, "/") == 0 ? "" : d->base, id,
                   ok ? 200 : 500) != 0)
            return -1;
        if (out_len)
            r->rq.content_type = json_ok(out, out_len) ? "application/json" : "application/octet-stream";
        return 0;
    }
    if (target(r, err, "%s/rpc/%s", d->base, id) != 0)
        return -1;
    r->rq.content_type = "application/json";
    if (!json_ok(out, out_len)) {
        /* ThingsBoard wants JSON: text becomes {"result":text} ({"error","output"} when PROG failed),
         * no output {} */
        size_t l = out_len;
        while (l > 0 && (out[l - 1] == '\n' || out[l - 1] == '\r'))
            l--;
        char *txt = dup_str((const char *)out, l);
        cJSON *v = cJSON_CreateObject();
        if (!ok)
            cJSON_AddStringToObject(v, "error", "command failed");
        if (txt && l)
            cJSON_AddStringToObject(v, ok ? "result" : "output", txt);
        r->owned = cJSON_PrintUnformatted(v);
        cJSON_Delete(v);
        free(txt);
        if (!r->owned) {
            fail(err, EXIT_USAGE, "out_of_memory", "out of memory");
            return -1;
        }
        r->rq.body = (const uint8_t *)r->owned;
        r->rq.body_len = strlen(r->owned);
    }
    return 0;
}

void dialect_req_free(struct dialect_req *r)
{
    free(r->owned);
    r->owned = NULL;
}

cJSON *command_event(const struct cloud_command *c)
{
    cJSON *ev = cJSON_CreateObject();
    cJSON_AddStringToObject(ev, "event", "command");
    cJSON_AddStringToObject(ev, "name", c->name ? c->name : "");
    if (c->id)
        cJSON_AddStringToObject(ev, "id", c->id);
    else
        cJSON_AddNullToObject(ev, "id");
    if (c->payload_len == 0) {
        cJSON_AddNullToObject(ev, "payload");
    } else if (c->payload_json) {
        cJSON *p = cJSON_ParseWithLength((const char *)c->payload, c->payload_len);
        if (p)
            cJSON_AddItemToObject(ev, "payload", p);
        else
            cJSON_AddNullToObject(ev, "payload");
    } else {
        char *b = base64_encode(c->payload, c->payload_len);
        cJSON_AddStringToObject(ev, "payload_base64", b ? b : "");
        free(b);
    }
    return ev;
}

/* Append s with control characters and non-ASCII bytes as \xNN. */
static size_t put_escaped(char *out, size_t o, const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c >= 0x20 && c < 0x7f)
            out[o++] = (char)c;
        else if (c == '\n')
            out[o++] = '\\', out[o++] = 'n';
        else
            o += (size_t)sprintf(out + o, "\\x%02x", c);
    }
    return o;
}

char *command_describe(const struct cloud_command *c)
{
    size_t nl = c->name ? strlen(c->name) : 0, il = c->id ? strlen(c->id) : 0;
    int utf8_json = c->payload_json;
    size_t cap = 32 + 4 * (nl + il) + (utf8_json ? c->payload_len * 4 : c->payload_len * 4 / 3 + 8) + 64;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    size_t o = 0;
    o += (size_t)sprintf(out, "command ");
    o = put_escaped(out, o, (const uint8_t *)(c->name ? c->name : ""), nl);
    if (c->id) {
        o += (size_t)sprintf(out + o, " (id ");
        o = put_escaped(out, o, (const uint8_t *)c->id, il);
        out[o++] = ')';
    }
    if (c->payload_len == 0) {
        o += (size_t)sprintf(out + o, " (no payload)");
    } else if (utf8_json) {
        out[o++] = ':';
        out[o++] = ' ';
        /* JSON is printed as sent, except that UTF-8 stays readable: only controls are escaped */
        for (size_t i = 0; i < c->payload_len; i++) {
            uint8_t ch = c->payload[i];
            if (ch == '\n')
                out[o++] = ' ';
            else if (ch < 0x20 || ch == 0x7f)
                o += (size_t)sprintf(out + o, "\\x%02x", ch);
            else
                out[o++] = (char)ch;
        }
    } else {
        char *b = base64_encode(c->payload, c->payload_len);
        o += (size_t)sprintf(out + o, ": (%zu bytes, not JSON) base64 %s", c->payload_len, b ? b : "");
        free(b);
    }
    out[o] = 0;
    return out;
}

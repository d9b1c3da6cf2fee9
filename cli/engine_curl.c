/*
 * The curl engine (--engine curl): the same requests through libcurl and the
 * system TLS, for endpoints or networks libdtls does not cover, and as a
 * baseline. libcurl is opened with dlopen("libcurl.so.4") only when this engine
 * is chosen, so a default run never maps libcurl or OpenSSL (dtls-send is not
 * linked against libcurl; <curl/curl.h> only provides the constants).
 *
 * One easy handle per transport keeps its connection alive between requests;
 * curl_easy_reset() before each request clears the options but keeps the
 * live connection and the TLS session cache. Exit codes are curl's numbers
 * mapped onto ours (they mostly coincide). The -v trace is ours (the same as
 * the embedded engine's), never CURLOPT_VERBOSE, which would print the
 * Authorization header.
 *
 * One difference stays: when a kept-alive connection turns out dead after the
 * request was written and before any answer byte, libcurl itself sends the
 * request again on a new connection (it cannot be turned off without giving
 * up connection reuse), where the embedded engine reports the failure and
 * leaves the decision to the caller (http_req.resend_ok).
 */
#define _GNU_SOURCE
#include "exitcodes.h"
#include "transport_int.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

#ifndef DTLS_SEND_HAVE_CURL_H

struct transport *engine_curl_open(const struct options *o, const struct dtls_url *u, struct conn_error *err)
{
    (void)o;
    (void)u;
    transport_fail(err, EXIT_USAGE, "no_curl_engine",
                   "--engine curl: this dtls-send was built without libcurl's headers (install libcurl4-openssl-dev "
                   "and rebuild)");
    return NULL;
}

#else

#include <curl/curl.h>

/* The part of libcurl's API we use, looked up with dlsym. */
static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    void (*easy_reset)(CURL *);
    void (*easy_cleanup)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    char *(*version)(void);
} C;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[256];

static void load_curl(void)
{
    void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(load_error, sizeof load_error, "%s", dlerror());
        return;
    }
    struct { void **fn; const char *name; } syms[] = {
        { (void **)&C.global_init, "curl_global_init" },     { (void **)&C.easy_init, "curl_easy_init" },
        { (void **)&C.easy_setopt, "curl_easy_setopt" },     { (void **)&C.easy_perform, "curl_easy_perform" },
        { (void **)&C.easy_getinfo, "curl_easy_getinfo" },   { (void **)&C.easy_reset, "curl_easy_reset" },
        { (void **)&C.easy_cleanup, "curl_easy_cleanup" },   { (void **)&C.easy_strerror, "curl_easy_strerror" },
        { (void **)&C.slist_append, "curl_slist_append" },   { (void **)&C.slist_free_all, "curl_slist_free_all" },
        { (void **)&C.version, "curl_version" },
    };
    for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
        *syms[i].fn = dlsym(h, syms[i].name);
        if (!*syms[i].fn) {
            snprintf(load_error, sizeof load_error, "libcurl.so.4 has no %s", syms[i].name);
            C.easy_init = NULL;
            return;
        }
    }
    if (C.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(load_error, sizeof load_error, "curl_global_init failed");
        C.easy_init = NULL;
    }
}

struct cu {
    struct transport base;
    CURL *h;
    char base_url[512];            /* scheme://host[:port] (host = --servername when given) */
    char host_header[300];         /* "Host: ..." when the URL host was replaced */
    char connect_to[600];          /* CURLOPT_CONNECT_TO entry, or "" */
    double connect_timeout;
    int64_t deadline_ms;           /* --max-time, absolute; 0 = none */
    struct http_resp *rs;          /* being filled */
    size_t body_cap;
    int too_large;
    char errbuf[CURL_ERROR_SIZE];
    char head[8192];
};

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
    struct cu *c = ctx;
    size_t len = size * n;
    size_t l = len;
    while (l > 0 && (p[l - 1] == '\r' || p[l - 1] == '\n'))
        l--;
    if (l >= 5 && strncmp(p, "HTTP/", 5) == 0) {
        http_resp_free(c->rs); /* a new (possibly interim) response head */
        c->body_cap = 0;
        const char *sp = memchr(p, ' ', l);
        c->rs->status = sp ? atoi(sp + 1) : 0;
        return len;
    }
    const char *colon = memchr(p, ':', l);
    if (!colon || colon == p)
        return len;
    size_t nl = (size_t)(colon - p);
    const char *v = colon + 1;
    while (v < p + l && (*v == ' ' || *v == '\t'))
        v++;
    size_t vl = (size_t)(p + l - v);
    while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
        vl--;
    if (http_resp_add_header(c->rs, p, nl, v, vl) != 0)
        return 0;
    return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
    struct cu *c = ctx;
    if (http_resp_add_body(c->rs, &c->body_cap, (const uint8_t *)p, size * n) != 0) {
        c->too_large = 1;
        return 0;
    }
    return size * n;
}

static int on_progress(void *ctx, curl_off_t a, curl_off_t b, curl_off_t x, curl_off_t y)
{
    (void)a, (void)b, (void)x, (void)y;
    struct cu *c = ctx;
    return c->base.aborted ? 1 : 0;
}

/* curl's result as our exit code and error name. */
static void curl_fail(struct cu *c, CURLcode rc, struct conn_error *err)
{
    const char *detail = c->errbuf[0] ? c->errbuf : C.easy_strerror(rc);
    int exit = EXIT_RECV;
    const char *name = "curl_error";
    switch (rc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT: exit = EXIT_BAD_URL; name = "bad_url"; break;
    case CURLE_COULDNT_RESOLVE_HOST: exit = EXIT_RESOLVE; name = "resolve_failed"; break;
    case CURLE_COULDNT_CONNECT: exit = EXIT_CONNECT; name = "connect_failed"; break;
    case CURLE_OPERATION_TIMEDOUT: exit = EXIT_TIMEOUT; name = "timeout"; break;
    case CURLE_SSL_CONNECT_ERROR: exit = EXIT_TLS; name = "handshake_failure"; break;
    case CURLE_SSL_CIPHER: exit = EXIT_USAGE; name = "usage"; break;
    case CURLE_SEND_ERROR: exit = EXIT_SEND; name = "io_error"; break;
    case CURLE_RECV_ERROR: exit = EXIT_RECV; name = "io_error"; break;
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE: exit = EXIT_RECV; name = "connection_closed"; break;
    case CURLE_WEIRD_SERVER_REPLY: exit = EXIT_RECV; name = "bad_response"; break;
    case CURLE_SSL_CERTPROBLEM: exit = EXIT_CLIENT_CERT; name = "client_certificate"; break;
    case CURLE_SSL_CACERT_BADFILE: exit = EXIT_CACERT; name = "cacert"; break;
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH: exit = 90; name = "pinned_key_mismatch"; break;
    case CURLE_ABORTED_BY_CALLBACK: exit = EXIT_RECV; name = "aborted"; break;
    case CURLE_PEER_FAILED_VERIFICATION: {
        exit = EXIT_VERIFY;
        name = "certificate_unknown";
        long vr = 0;
        C.easy_getinfo(c->h, CURLINFO_SSL_VERIFYRESULT, &vr);
        /* OpenSSL's X509_V_ERR_* numbers */
        if (vr == 18 || vr == 19 || vr == 20 || vr == 21 || vr == 2)
            name = "unknown_ca";
        else if (vr == 10)
            name = "certificate_expired";
        else if (vr == 9)
            name = "certificate_not_yet_valid";
        else if (vr == 62 || strstr(detail, "subject name") || strstr(detail, "hostname"))
            name = "hostname_mismatch";
        break;
    }
    case CURLE_WRITE_ERROR:
        if (c->too_large) {
            exit = EXIT_RECV;
            name = "response_too_large";
            transport_fail(err, exit, name, "the response body is larger than %u bytes", HTTP_RESP_MAX_BODY);
            return;
        }
        break;
    default: break;
    }
    if (exit == EXIT_VERIFY)
        transport_fail(err, exit, name, "server certificate not verified: %s (curl: %s)", name, detail);
    else
        transport_fail(err, exit, name, "curl: %s", detail);
}

static int cu_request(struct transport *t, const struct http_req *rq, struct http_resp *rs, struct conn_error *err)
{
    struct cu *c = (struct cu *)t;
    const struct options *o = t->o;
    char target[DTLS_URL_MAX + 256];
    if (transport_target(t, rq, target, sizeof target) != 0) {
        transport_fail(err, EXIT_BAD_URL, "bad_url", "request target too long");
        return err->exit;
    }
    /* the same head the embedded engine would send: same validation, same trace */
    long head_len = transport_head(t, rq, target, c->head, sizeof c->head, err);
    if (head_len < 0)
        return err->exit;
    if (t->verbose)
        transport_trace_request(t, rq, c->head, (size_t)head_len);

    char url[sizeof c->base_url + sizeof target];
    snprintf(url, sizeof url, "%s%s", c->base_url, target);

    struct curl_slist *hl = NULL, *ct = NULL;
    for (size_t i = 0; i < rq->n_headers; i++)
        hl = C.slist_append(hl, rq->headers[i]);
    char ctype[300], auth[1200];
    if (rq->content_type) {
        snprintf(ctype, sizeof ctype, "Content-Type: %s", rq->content_type);
        hl = C.slist_append(hl, ctype);
    } else if (!rq->no_body) {
        hl = C.slist_append(hl, "Content-Type:"); /* no form-urlencoded default */
    }
    if (rq->authorization) {
        int n = snprintf(auth, sizeof auth, "Authorization: %s", rq->authorization);
        if (n < 0 || (size_t)n >= sizeof auth) {
            transport_fail(err, EXIT_USAGE, "usage", "credentials too long");
            C.slist_free_all(hl);
            return err->exit;
        }
        hl = C.slist_append(hl, auth);
    }
    if (c->host_header[0])
        hl = C.slist_append(hl, c->host_header);
    hl = C.slist_append(hl, "Expect:");
    hl = C.slist_append(hl, "Accept:");
    if (c->connect_to[0])
        ct = C.slist_append(NULL, c->connect_to);

    CURL *h = c->h;
    C.easy_reset(h);
    c->errbuf[0] = 0;
    c->rs = rs;
    c->body_cap = 0;
    c->too_large = 0;
    C.easy_setopt(h, CURLOPT_URL, url);
    C.easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
    C.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    C.easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    C.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    C.easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    C.easy_setopt(h, CURLOPT_USERAGENT, "dtls-send/" PACKAGE_VERSION); /* -H User-Agent wins */
    C.easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    C.easy_setopt(h, CURLOPT_HEADERDATA, c);
    C.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    C.easy_setopt(h, CURLOPT_WRITEDATA, c);
    C.easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    C.easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    C.easy_setopt(h, CURLOPT_XFERINFODATA, c);
    if (ct)
        C.easy_setopt(h, CURLOPT_CONNECT_TO, ct);
    if (strcmp(rq->method, "GET") == 0) {
        C.easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else {
        C.easy_setopt(h, CURLOPT_POST, 1L);
        C.easy_setopt(h, CURLOPT_POSTFIELDS, rq->body_len ? (const char *)rq->body : "");
        C.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
        if (strcmp(rq->method, "POST") != 0)
            C.easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
    }
    /* time limits */
    if (c->connect_timeout > 0)
        C.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(c->connect_timeout * 1000));
    int64_t now = dtls_posix_now_ms();
    int64_t limit = rq->timeout_s > 0 ? (int64_t)(rq->timeout_s * 1000) : 0;
    if (c->deadline_ms) {
        int64_t left = c->deadline_ms - now;
        if (left <= 0) {
            C.slist_free_all(hl);
            C.slist_free_all(ct);
            transport_fail(err, EXIT_TIMEOUT, "timeout", "--max-time reached");
            return err->exit;
        }
        if (limit == 0 || left < limit)
            limit = left;
    }
    if (limit > 0)
        C.easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)limit);
    /* TLS */
    if (o->insecure) {
        C.easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        C.easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (o->cacert)
        C.easy_setopt(h, CURLOPT_CAINFO, o->cacert);
    if (o->cert)
        C.easy_setopt(h, CURLOPT_SSLCERT, o->cert);
    if (o->key)
        C.easy_setopt(h, CURLOPT_SSLKEY, o->key);
    if (o->pinnedpubkey)
        C.easy_setopt(h, CURLOPT_PINNEDPUBLICKEY, o->pinnedpubkey);
    if (o->ciphers)
        C.easy_setopt(h, CURLOPT_TLS13_CIPHERS, o->ciphers);
    if (o->groups)
        C.easy_setopt(h, CURLOPT_SSL_EC_CURVES, o->groups);

    CURLcode rc = C.easy_perform(h);
    long nconn = 0, req_size = 0;
    C.easy_getinfo(h, CURLINFO_NUM_CONNECTS, &nconn);
    C.easy_getinfo(h, CURLINFO_REQUEST_SIZE, &req_size);
    t->connects += (unsigned)nconn;
    rs->reused = nconn == 0;
    C.slist_free_all(hl);
    C.slist_free_all(ct);
    c->rs = NULL;
    if (rc != CURLE_OK) {
        curl_fail(c, rc, err);
        rs->maybe_sent = req_size > 0;
        rs->retriable = transport_exit_retriable(err) && !t->aborted;
        return err->exit;
    }
    long code = 0;
    double total = 0, pre = 0;
    C.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    C.easy_getinfo(h, CURLINFO_TOTAL_TIME, &total);
    C.easy_getinfo(h, CURLINFO_PRETRANSFER_TIME, &pre);
    rs->status = (int)code;
    rs->ms = (total - pre) * 1000;
    return 0;
}

static void cu_abort(struct transport *t)
{
    (void)t; /* the progress callback sees the flag within a second */
}

static void cu_close(struct transport *t)
{
    struct cu *c = (struct cu *)t;
    if (c->h)
        C.easy_cleanup(c->h);
    free(c);
}

static const struct transport_ops cu_ops = { "curl", cu_request, cu_abort, cu_close };

struct transport *engine_curl_open(const struct options *o, const struct dtls_url *u, struct conn_error *err)
{
    /* --keylog: libcurl's OpenSSL backend reads SSLKEYLOGFILE itself */
    if (o->keylog)
        setenv("SSLKEYLOGFILE", o->keylog, 1);
    pthread_once(&load_once, load_curl);
    if (!C.easy_init) {
        transport_fail(err, EXIT_USAGE, "no_curl_engine", "--engine curl: cannot load libcurl: %s", load_error);
        return NULL;
    }
    if (o->verbose && (o->alpn || o->max_fragment))
        fprintf(stderr, "* --engine curl: --alpn and --max-fragment are not passed to libcurl\n");
    if (o->verbose)
        fprintf(stderr, "* engine: %s\n", C.version());
    struct cu *c = calloc(1, sizeof *c);
    if (!c) {
        transport_fail(err, EXIT_USAGE, "out_of_memory", "out of memory");
        return NULL;
    }
    c->base.ops = &cu_ops;
    c->connect_timeout = o->connect_timeout;
    if (o->max_time > 0)
        c->deadline_ms = dtls_posix_now_ms() + (int64_t)(o->max_time * 1000);
    c->h = C.easy_init();
    if (!c->h) {
        free(c);
        transport_fail(err, EXIT_USAGE, "no_curl_engine", "curl_easy_init failed");
        return NULL;
    }
    const char *scheme = u->https ? "https" : "http";
    char host[280];
    if (u->host_is_ip == 6)
        snprintf(host, sizeof host, "[%.*s]", (int)u->host_len, u->host);
    else
        snprintf(host, sizeof host, "%.*s", (int)u->host_len, u->host);
    /* where to connect: --connect-to, else the URL's host */
    char to_host[280], to_port[8];
    snprintf(to_host, sizeof to_host, "%s", host);
    snprintf(to_port, sizeof to_port, "%u", u->port);
    if (o->connect_to) {
        struct dtls_url ctu;
        if (dtls_url_parse_hostport(&ctu, o->connect_to) != 0 || !ctu.port_explicit) {
            cu_close(&c->base);
            transport_fail(err, EXIT_USAGE, "usage", "--connect-to needs HOST:PORT, got '%s'", o->connect_to);
            return NULL;
        }
        if (ctu.host_is_ip == 6)
            snprintf(to_host, sizeof to_host, "[%.*s]", (int)ctu.host_len, ctu.host);
        else
            snprintf(to_host, sizeof to_host, "%.*s", (int)ctu.host_len, ctu.host);
        snprintf(to_port, sizeof to_port, "%u", ctu.port);
    }
    if (o->servername && u->https) {
        /* SNI and the checked name come from the URL's host for libcurl: put the name there,
         * keep the Host header, and connect where the URL (or --connect-to) points */
        snprintf(c->base_url, sizeof c->base_url, "%s://%s:%u", scheme, o->servername, u->port);
        if (u->port_explicit && u->port != 443)
            snprintf(c->host_header, sizeof c->host_header, "Host: %s:%u", host, u->port);
        else
            snprintf(c->host_header, sizeof c->host_header, "Host: %s", host);
        snprintf(c->connect_to, sizeof c->connect_to, "%s:%u:%s:%s", o->servername, u->port, to_host, to_port);
    } else {
        snprintf(c->base_url, sizeof c->base_url, "%s://%s:%u", scheme, host, u->port);
        if (o->connect_to)
            snprintf(c->connect_to, sizeof c->connect_to, "::%s:%s", to_host, to_port);
    }
    return &c->base;
}

#endif

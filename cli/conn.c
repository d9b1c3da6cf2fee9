/*
 * The embedded engine's TLS connection: options -> struct dtls_config, TCP
 * connect with timeouts, handshake, and the mapping of every failure to
 * dtls-send's exit codes and error names.
 */
#include "conn.h"
#include "exitcodes.h"
#include "trust.h"

#include <dtls/x509.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static void set_err(struct conn_error *e, int exit, const char *name, const char *fmt, ...)
{
    va_list ap;
    e->exit = exit;
    e->name = name;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

static void keylog_line(void *ctx, const char *line)
{
    struct conn_settings *s = ctx;
    if (s->keylog) {
        fprintf(s->keylog, "%s\n", line);
        fflush(s->keylog);
    }
}

static int session_load(void *ctx, struct dtls_session *out)
{
    struct conn_settings *s = ctx;
    if (!s->use_ticket || !s->have_ticket)
        return -1;
    *out = s->session;
    out->ticket = s->ticket;
    return 0;
}

static void session_store(void *ctx, const struct dtls_session *in)
{
    struct conn_settings *s = ctx;
    if (in->ticket_len > sizeof s->ticket)
        return;
    s->session = *in;
    memcpy(s->ticket, in->ticket, in->ticket_len);
    s->session.ticket = s->ticket;
    s->have_ticket = 1;
    if (s->verbose)
        fprintf(stderr, "* session ticket received (%zu bytes, lifetime %u s)\n", in->ticket_len, in->lifetime);
}

static void peer_cert(void *ctx, unsigned index, const uint8_t *der, size_t len)
{
    struct conn_settings *s = ctx;
    if (index == 0) {
        s->certs_seen = 0;
        s->leaf_len = 0;
        if (len <= sizeof s->leaf) {
            memcpy(s->leaf, der, len);
            s->leaf_len = len;
        }
    }
    s->certs_seen = index + 1;
    if (s->verbose)
        fprintf(stderr, "* server certificate %u: %zu bytes\n", index, len);
}

/* Split "a:b:c" (sep ':') and map each name; 0-terminated into out (cap entries incl. the 0). */
static int parse_list(const char *list, char sep, uint16_t (*lookup)(const char *), uint16_t *out, size_t cap,
                      const char *what, struct conn_error *err)
{
    size_t n = 0;
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, sep);
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char name[64];
        if (len == 0 || len >= sizeof name) {
            set_err(err, EXIT_USAGE, "usage", "empty or too long name in --%s '%s'", what, list);
            return -1;
        }
        memcpy(name, p, len);
        name[len] = 0;
        uint16_t v = lookup(name);
        if (v == 0) {
            set_err(err, EXIT_USAGE, "usage", "--%s: unknown or unsupported '%s'", what, name);
            return -1;
        }
        if (n + 1 >= cap) {
            set_err(err, EXIT_USAGE, "usage", "--%s: too many entries", what);
            return -1;
        }
        for (size_t i = 0; i < n; i++)
            if (out[i] == v) {
                set_err(err, EXIT_USAGE, "usage", "--%s: '%s' listed twice", what, name);
                return -1;
            }
        out[n++] = v;
        p = e ? e + 1 : p + len;
    }
    if (n == 0) {
        set_err(err, EXIT_USAGE, "usage", "--%s is empty", what);
        return -1;
    }
    out[n] = 0;
    return 0;
}

int conn_settings_init(struct conn_settings *s, const struct options *o, const struct dtls_url *u,
                       struct conn_error *err)
{
    memset(s, 0, sizeof *s);
    s->url = *u;
    s->verbose = o->verbose;
    struct dtls_config *cfg = &s->cfg;
    cfg->ctx = s;
    cfg->rng = dtls_posix_rng;
    cfg->now = (int64_t(*)(void *))dtls_posix_now;
    cfg->keylog = keylog_line;
    cfg->session_load = session_load;
    cfg->session_store = session_store;
    cfg->peer_cert = peer_cert;

    if (o->ciphers && parse_list(o->ciphers, ':', dtls_cipher_suite_from_name, s->suites, 4, "ciphers", err))
        return -1;
    if (o->ciphers)
        cfg->suites = s->suites;
    if (o->groups && parse_list(o->groups, ':', dtls_group_from_name, s->groups, 3, "groups", err))
        return -1;
    if (o->groups)
        cfg->groups = s->groups;
    cfg->max_fragment = (uint16_t)o->max_fragment;

    if (o->alpn) {
        if (strlen(o->alpn) >= sizeof s->alpn_buf) {
            set_err(err, EXIT_USAGE, "usage", "--alpn list too long");
            return -1;
        }
        strcpy(s->alpn_buf, o->alpn);
        size_t n = 0;
        for (char *tok = strtok(s->alpn_buf, ","); tok; tok = strtok(NULL, ",")) {
            if (n == MAX_LIST || strlen(tok) > 255) {
                set_err(err, EXIT_USAGE, "usage", "--alpn: at most %d protocols of up to 255 bytes", MAX_LIST);
                return -1;
            }
            s->alpn[n++] = tok;
        }
        if (n == 0) {
            set_err(err, EXIT_USAGE, "usage", "--alpn is empty");
            return -1;
        }
        s->alpn[n] = NULL;
        cfg->alpn = s->alpn;
    }

    /* Name checked in the certificate and sent as SNI. */
    const char *name = o->servername;
    char hostbuf[256];
    if (u->host_len >= sizeof hostbuf) {
        set_err(err, EXIT_BAD_URL, "bad_url", "host name too long");
        return -1;
    }
    memcpy(hostbuf, u->host, u->host_len);
    hostbuf[u->host_len] = 0;
    snprintf(s->sni, sizeof s->sni, "%s", name ? name : hostbuf);
    cfg->server_name = s->sni;

    /* Where to connect. */
    if (o->connect_to) {
        struct dtls_url ct;
        int rc = dtls_url_parse_hostport(&ct, o->connect_to);
        if (rc != 0 || !ct.port_explicit) {
            set_err(err, EXIT_USAGE, "usage", "--connect-to needs HOST:PORT, got '%s'", o->connect_to);
            return -1;
        }
        snprintf(s->connect_host, sizeof s->connect_host, "%.*s", (int)ct.host_len, ct.host);
        snprintf(s->connect_port, sizeof s->connect_port, "%u", ct.port);
    } else {
        snprintf(s->connect_host, sizeof s->connect_host, "%s", hostbuf);
        snprintf(s->connect_port, sizeof s->connect_port, "%u", u->port);
    }
    s->connect_timeout_ms = (int64_t)(o->connect_timeout * 1000);
    if (o->max_time > 0)
        s->deadline_ms = dtls_posix_now_ms() + (int64_t)(o->max_time * 1000);

    const char *kl = o->keylog ? o->keylog : getenv("SSLKEYLOGFILE");
    if (kl && *kl) {
        s->keylog = fopen(kl, "a");
        if (!s->keylog) {
            set_err(err, EXIT_USAGE, "keylog", "cannot open key log file %s: %s", kl, strerror(errno));
            return -1;
        }
        if (o->verbose)
            fprintf(stderr, "* writing TLS secrets to key log %s\n", kl);
    }

    if (o->insecure) {
        cfg->verify = DTLS_VERIFY_NONE;
        if (!o->silent)
            fprintf(stderr, "dtls-send: WARNING: --insecure: the server certificate is NOT verified; "
                            "anyone on the path can read and change this connection\n");
        if (trust_load_pins(s, o, err) != 0)
            return -1;
    } else if (trust_load(s, o, err) != 0) {
        return -1;
    }
    if (o->cert || o->key) {
        if (client_identity_load(s, o, err) != 0)
            return -1;
    }
    return 0;
}

void conn_settings_free(struct conn_settings *s)
{
    if (s->keylog)
        fclose(s->keylog);
    s->keylog = NULL;
    trust_free(s);
    memset(&s->session, 0, sizeof s->session);
}

struct err_name {
    int rc;
    int exit;
    const char *name;
};

static const struct err_name err_names[] = {
    { DTLS_E_UNEXPECTED_MESSAGE, EXIT_TLS, "unexpected_message" },
    { DTLS_E_BAD_RECORD_MAC, EXIT_TLS, "bad_record_mac" },
    { DTLS_E_RECORD_OVERFLOW, EXIT_TLS, "record_overflow" },
    { DTLS_E_HANDSHAKE_FAILURE, EXIT_TLS, "handshake_failure" },
    { DTLS_E_ILLEGAL_PARAMETER, EXIT_TLS, "illegal_parameter" },
    { DTLS_E_DECODE_ERROR, EXIT_TLS, "decode_error" },
    { DTLS_E_DECRYPT_ERROR, EXIT_TLS, "decrypt_error" },
    { DTLS_E_PROTOCOL_VERSION, EXIT_TLS, "protocol_version" },
    { DTLS_E_MISSING_EXTENSION, EXIT_TLS, "missing_extension" },
    { DTLS_E_UNSUPPORTED_EXTENSION, EXIT_TLS, "unsupported_extension" },
    { DTLS_E_NO_APPLICATION_PROTOCOL, EXIT_TLS, "no_application_protocol" },
    { DTLS_E_BAD_CERTIFICATE, EXIT_VERIFY, "bad_certificate" },
    { DTLS_E_UNSUPPORTED_CERTIFICATE, EXIT_VERIFY, "unsupported_certificate" },
    { DTLS_E_CERTIFICATE_EXPIRED, EXIT_VERIFY, "certificate_expired" },
    { DTLS_E_CERTIFICATE_UNKNOWN, EXIT_VERIFY, "certificate_unknown" },
    { DTLS_E_UNKNOWN_CA, EXIT_VERIFY, "unknown_ca" },
    { DTLS_E_HOSTNAME, EXIT_VERIFY, "hostname_mismatch" },
    { DTLS_E_CERTIFICATE_REVOKED, EXIT_VERIFY, "certificate_revoked" },
    { DTLS_E_BUFFER, EXIT_TLS, "buffer_too_small" },
    { DTLS_E_RNG, EXIT_TLS, "rng_failed" },
    { DTLS_E_SIGN, EXIT_CLIENT_CERT, "client_key_sign_failed" },
    { DTLS_E_CONFIG, EXIT_USAGE, "config" },
};

void conn_fail(struct conn_error *err, const struct conn *k, int rc, const char *during)
{
    if (k && k->sock.timed_out) {
        set_err(err, EXIT_TIMEOUT, "timeout", "timed out during %s", during);
        return;
    }
    if (rc == DTLS_E_IO || rc == DTLS_E_EOF) {
        int exit = strcmp(during, "TLS handshake") == 0 ? EXIT_TLS : EXIT_RECV;
        set_err(err, exit, rc == DTLS_E_EOF ? "connection_closed" : "io_error", "%s during %s%s%s",
                rc == DTLS_E_EOF ? "connection closed by the server" : "socket error", during,
                k && k->sock.sys_errno ? ": " : "", k && k->sock.sys_errno ? strerror(k->sock.sys_errno) : "");
        return;
    }
    if (DTLS_E_IS_PEER_ALERT(rc)) {
        int desc = DTLS_E_PEER_ALERT_DESC(rc);
        /* The server rejected our client certificate (or its absence). */
        int exit = (desc == 116 || desc == 42 || desc == 43 || desc == 44 || desc == 45 || desc == 46 || desc == 48 ||
                    desc == 49) ? EXIT_CLIENT_CERT : EXIT_TLS;
        set_err(err, exit, dtls_alert_name(desc), "the server sent a fatal alert during %s: %s", during,
                dtls_alert_name(desc));
        return;
    }
    if (rc <= -200 && rc >= -299) { /* the X.509 layer's specific verdict */
        set_err(err, EXIT_VERIFY, dtls_x509_error_name(rc), "server certificate not verified: %s",
                dtls_x509_error_name(rc));
        return;
    }
    for (size_t i = 0; i < sizeof err_names / sizeof err_names[0]; i++) {
        if (err_names[i].rc == rc) {
            set_err(err, err_names[i].exit, err_names[i].name, "%s failed: %s", during, dtls_strerror(rc));
            return;
        }
    }
    set_err(err, EXIT_TLS, "tls_error", "%s failed: %s", during, dtls_strerror(rc));
}

/*
 * In TLS 1.3 the client's handshake is over before the server has judged the client's
 * certificate (or its absence): a rejection (certificate_required, unknown_ca...) comes
 * as an alert after it. When the server asked for a certificate, wait briefly for its
 * first record after the handshake (servers send a NewSessionTicket once they accepted
 * our Finished), so that a rejection is reported here, as a client certificate problem
 * (exit 58), not as success. Nothing is waited for when the server did not ask, and no
 * application data is taken (dtls_receive leaves it for dtls_read). A server that says
 * nothing is taken as accepting after twice the handshake's time (100 ms .. 2 s).
 */
static int client_auth_verdict(struct conn *k, struct conn_settings *s, struct conn_error *err)
{
    struct dtls_info in;
    dtls_get_info(&k->tls, &in);
    if (!in.client_auth)
        return 0;
    double wait = 2 * k->handshake_ms;
    int64_t end = dtls_posix_now_ms() + (int64_t)(wait < 100 ? 100 : wait > 2000 ? 2000 : wait);
    if (s->deadline_ms && s->deadline_ms < end)
        end = s->deadline_ms;
    int rc;
    k->sock.nonblocking = 1;
    while ((rc = dtls_receive(&k->tls)) == DTLS_WANT_READ || rc == DTLS_WANT_WRITE) {
        int64_t left = end - dtls_posix_now_ms();
        struct pollfd p = { .fd = k->sock.fd, .events = rc == DTLS_WANT_READ ? POLLIN : POLLOUT };
        if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
            rc = DTLS_OK;
            break;
        }
    }
    k->sock.nonblocking = 0;
    if (rc < 0) {
        conn_fail(err, k, rc, "TLS handshake");
        if (s->verbose)
            fprintf(stderr, "* the server rejected the client certificate%s\n", in.client_cert_sent ? "" : " (none was sent)");
        dtls_posix_close(&k->sock);
        return -1;
    }
    return 0;
}

int conn_open(struct conn *k, struct conn_settings *s, struct conn_error *err)
{
    int64_t t0 = dtls_posix_now_ms();
    int timeout = (int)s->connect_timeout_ms;
    if (s->deadline_ms) {
        int64_t left = s->deadline_ms - t0;
        if (left <= 0) {
            set_err(err, EXIT_TIMEOUT, "timeout", "--max-time reached before connecting");
            return -1;
        }
        if (timeout == 0 || left < timeout)
            timeout = (int)left;
    }
    if (s->verbose)
        fprintf(stderr, "* connecting to %s port %s\n", s->connect_host, s->connect_port);
    int rc = dtls_posix_connect(&k->sock, s->connect_host, s->connect_port, timeout);
    if (rc != 0) {
        if (rc == DTLS_POSIX_E_RESOLVE)
            set_err(err, EXIT_RESOLVE, "resolve_failed", "could not resolve host %s", s->connect_host);
        else if (rc == DTLS_POSIX_E_TIMEOUT)
            set_err(err, EXIT_TIMEOUT, "timeout", "connect to %s port %s timed out", s->connect_host, s->connect_port);
        else
            set_err(err, EXIT_CONNECT, "connect_failed", "could not connect to %s port %s: %s", s->connect_host,
                    s->connect_port, strerror(k->sock.sys_errno));
        return -1;
    }
    k->sock.deadline_ms = s->deadline_ms;
    if (s->verbose)
        fprintf(stderr, "* connected to %s port %s\n", k->sock.peer, s->connect_port);

    rc = dtls_client_init(&k->tls, &s->cfg, k->rx, sizeof k->rx, k->tx, sizeof k->tx);
    if (rc != DTLS_OK) {
        conn_fail(err, k, rc, "TLS setup");
        dtls_posix_close(&k->sock);
        return -1;
    }
    dtls_client_set_io(&k->tls, dtls_posix_recv, dtls_posix_send, &k->sock);
    int64_t h0 = dtls_posix_now_ms();
    struct timespec ts0, ts1;
    clock_gettime(CLOCK_MONOTONIC, &ts0);
    rc = dtls_handshake(&k->tls);
    clock_gettime(CLOCK_MONOTONIC, &ts1);
    (void)h0;
    k->handshake_ms = (double)(ts1.tv_sec - ts0.tv_sec) * 1e3 + (double)(ts1.tv_nsec - ts0.tv_nsec) / 1e6;
    if (rc != DTLS_OK) {
        conn_fail(err, k, rc, "TLS handshake");
        dtls_posix_close(&k->sock);
        return -1;
    }
    if (trust_check_pin(s, err) != 0) {
        conn_close(k);
        return -1;
    }
    if (client_auth_verdict(k, s, err) != 0)
        return -1;
    if (s->verbose) {
        struct dtls_info in;
        dtls_get_info(&k->tls, &in);
        fprintf(stderr, "* TLS handshake done in %.2f ms: %s %s %s%s%s\n", k->handshake_ms,
                dtls_version_name(in.version), dtls_cipher_suite_name(in.cipher_suite), dtls_group_name(in.group),
                in.hello_retry ? " (after HelloRetryRequest)" : "", in.resumed ? " (resumed)" : "");
    }
    return 0;
}

void conn_close(struct conn *k)
{
    dtls_close(&k->tls);
    dtls_posix_close(&k->sock);
    memset(&k->tls, 0, sizeof k->tls);
}

/*
 * dtls-send probe: TLS handshake(s) only, then a report of what was
 * negotiated (human form, or the "probe" JSON event).
 */
#include "commands.h"
#include "exitcodes.h"
#include "output.h"
#include "trust.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* After a handshake, read briefly so NewSessionTicket messages arrive (servers send them
 * right after the handshake). Stops at the first ticket, at EOF, or after wait_ms. The
 * socket is non-blocking meanwhile: dtls_read returns DTLS_WANT_READ once the ticket's
 * record is processed and nothing else is there, so we stop as soon as the ticket is in
 * (a blocking read would wait out wait_ms, and its timeout would leave the connection
 * with a sticky I/O error and no close_notify). */
static void collect_ticket(struct conn *k, struct conn_settings *s, int wait_ms)
{
    int64_t end = dtls_posix_now_ms() + wait_ms;
    if (k->sock.deadline_ms && k->sock.deadline_ms < end)
        end = k->sock.deadline_ms;
    uint8_t buf[512];
    k->sock.nonblocking = 1;
    while (!s->have_ticket) {
        long n = dtls_read(&k->tls, buf, sizeof buf);
        if (n == DTLS_WANT_READ || n == DTLS_WANT_WRITE) {
            int64_t left = end - dtls_posix_now_ms();
            struct pollfd p = { .fd = k->sock.fd, .events = n == DTLS_WANT_READ ? POLLIN : POLLOUT };
            if (s->have_ticket || left <= 0 || poll(&p, 1, (int)left) <= 0)
                break;
            continue;
        }
        if (n <= 0)
            break;
    }
    k->sock.nonblocking = 0;
}

static cJSON *json_str_or_null(const char *s)
{
    return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

int cmd_probe(const struct options *o)
{
    struct conn_error err = { 0 };
    struct dtls_url u;
    int rc = dtls_url_parse_hostport(&u, o->url);
    if (rc != DTLS_URL_OK) {
        err.exit = EXIT_BAD_URL;
        err.name = "bad_url";
        snprintf(err.message, sizeof err.message, "bad target '%s': %s", o->url, dtls_url_strerror(rc));
        return out_error(o, &err);
    }
    struct conn_settings *s = calloc(1, sizeof *s);
    struct conn *k = calloc(1, sizeof *k);
    if (!s || !k) {
        fprintf(stderr, "dtls-send: out of memory\n");
        return EXIT_TLS;
    }
    if (conn_settings_init(s, o, &u, &err) != 0) {
        rc = out_error(o, &err);
        goto done;
    }
    int runs = o->repeat > 0 ? o->repeat : 1;
    double *ms = calloc((size_t)runs, sizeof *ms);
    struct dtls_info info;
    int first_resumed = 0;
    for (int i = 0; i < runs; i++) {
        if (conn_open(k, s, &err) != 0) {
            rc = out_error(o, &err);
            free(ms);
            goto done;
        }
        ms[i] = k->handshake_ms;
        if (o->resume && i == 0)
            collect_ticket(k, s, 2000);
        dtls_get_info(&k->tls, &info);
        conn_close(k);
    }
    if (o->resume) {
        if (!s->have_ticket) {
            err.exit = EXIT_TLS;
            err.name = "no_session_ticket";
            snprintf(err.message, sizeof err.message, "--resume: the server sent no session ticket");
            rc = out_error(o, &err);
            free(ms);
            goto done;
        }
        s->use_ticket = 1;
        if (conn_open(k, s, &err) != 0) {
            rc = out_error(o, &err);
            free(ms);
            goto done;
        }
        dtls_get_info(&k->tls, &info);
        first_resumed = info.resumed;
        ms[runs - 1] = k->handshake_ms; /* report the resumed handshake's time last */
        conn_close(k);
    }
    (void)first_resumed;
    double *sorted = calloc((size_t)runs, sizeof *sorted);
    memcpy(sorted, ms, (size_t)runs * sizeof *ms);
    qsort(sorted, (size_t)runs, sizeof *sorted, cmp_double);
    double median = runs % 2 ? sorted[runs / 2] : (sorted[runs / 2 - 1] + sorted[runs / 2]) / 2;
    double hs_ms = runs == 1 ? ms[0] : median;

    cJSON *peer = cJSON_CreateObject();
    cert_describe(s->leaf, s->leaf_len, peer);

    if (o->json) {
        cJSON *ev = cJSON_CreateObject();
        cJSON_AddStringToObject(ev, "event", "probe");
        cJSON_AddItemToObject(ev, "tls_version", json_str_or_null(dtls_version_name(info.version)));
        cJSON_AddItemToObject(ev, "cipher", json_str_or_null(dtls_cipher_suite_name(info.cipher_suite)));
        cJSON_AddItemToObject(ev, "group", json_str_or_null(info.resumed && !info.group ? NULL : dtls_group_name(info.group)));
        cJSON_AddItemToObject(ev, "signature_scheme",
                              json_str_or_null(info.signature_scheme ? dtls_signature_scheme_name(info.signature_scheme) : NULL));
        cJSON_AddItemToObject(ev, "alpn", json_str_or_null(info.alpn));
        cJSON_AddBoolToObject(ev, "hello_retry", info.hello_retry);
        cJSON_AddBoolToObject(ev, "resumed", info.resumed);
        if (info.max_fragment)
            cJSON_AddNumberToObject(ev, "max_fragment", info.max_fragment);
        else
            cJSON_AddNullToObject(ev, "max_fragment");
        cJSON_AddBoolToObject(ev, "verified", !o->insecure);
        cJSON_AddItemToObject(ev, "peer", peer);
        cJSON_AddNumberToObject(ev, "chain_length", s->certs_seen);
        cJSON_AddNumberToObject(ev, "handshake_ms", (double)(long)(hs_ms * 1000) / 1000);
        if (runs > 1) {
            cJSON_AddNumberToObject(ev, "handshakes", runs);
            cJSON_AddNumberToObject(ev, "handshake_ms_min", (double)(long)(sorted[0] * 1000) / 1000);
            cJSON_AddNumberToObject(ev, "handshake_ms_median", (double)(long)(median * 1000) / 1000);
            cJSON_AddNumberToObject(ev, "handshake_ms_max", (double)(long)(sorted[runs - 1] * 1000) / 1000);
        }
        cJSON_AddBoolToObject(ev, "client_auth", info.client_auth);
        cJSON_AddBoolToObject(ev, "client_cert_sent", info.client_cert_sent);
        out_event(ev);
    } else {
        if (!o->silent) {
            const cJSON *subj = cJSON_GetObjectItem(peer, "subject");
            printf("%s %s %s%s%s, signature %s, ALPN %s, max_fragment %s\n", dtls_version_name(info.version),
                   dtls_cipher_suite_name(info.cipher_suite), info.group ? dtls_group_name(info.group) : "(psk)",
                   info.hello_retry ? " after HelloRetryRequest" : "", info.resumed ? ", resumed" : "",
                   info.signature_scheme ? dtls_signature_scheme_name(info.signature_scheme) : "(none)",
                   info.alpn ? info.alpn : "(none)", info.max_fragment ? "accepted" : "not accepted");
            printf("server certificate: %s (%u in chain), %s\n",
                   cJSON_IsString(subj) ? subj->valuestring : "(unknown)", s->certs_seen,
                   o->insecure ? "NOT verified (--insecure)" : "verified");
            if (runs > 1)
                printf("handshake: min %.3f ms, median %.3f ms, max %.3f ms over %d\n", sorted[0], median,
                       sorted[runs - 1], runs);
            else
                printf("handshake: %.3f ms\n", hs_ms);
        }
        cJSON_Delete(peer);
    }
    free(sorted);
    free(ms);
    rc = EXIT_OK;
done:
    conn_settings_free(s);
    free(s);
    free(k);
    return rc;
}

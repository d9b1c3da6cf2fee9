/*
 * dtls-send verify: validate a certificate chain offline with the same
 * validator the handshake uses (like `openssl verify`, but strict RFC 6125
 * host names and no CN fallback).
 */
#include "commands.h"
#include "exitcodes.h"
#include "output.h"
#include "trust.h"

#include <dtls/crypto.h>
#include <dtls/x509.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* "2026-11-22T10:00:00Z" or with an offset "+01:00"; also a date "2026-11-22". */
static int parse_rfc3339(const char *s, int64_t *out)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3)
        return -1;
    const char *p = s + n;
    int off = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        int m = 0;
        if (sscanf(p + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &m) != 3)
            return -1;
        p += 1 + m;
        if (*p == '.')
            for (p++; *p >= '0' && *p <= '9'; p++)
                ;
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int oh, om;
            if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
                return -1;
            off = (oh * 60 + om) * 60 * (*p == '+' ? 1 : -1);
            p += 6;
        } else {
            return -1;
        }
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    /* days from civil (proleptic Gregorian) */
    int yy = y - (mo <= 2);
    int era = (yy >= 0 ? yy : yy - 399) / 400;
    int yoe = yy - era * 400;
    int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = (int64_t)era * 146097 + doe - 719468;
    *out = days * 86400 + h * 3600 + mi * 60 + sec - off;
    return 0;
}

/* Append every CERTIFICATE block of path to ders (malloc'd copies). */
static int load_certs(const char *path, uint8_t **ders, size_t *lens, size_t *n, size_t cap, struct conn_error *err)
{
    size_t len;
    char *pem = read_file(path, &len);
    if (!pem) {
        err->exit = EXIT_READ_INPUT;
        err->name = "read_input";
        snprintf(err->message, sizeof err->message, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    size_t pos = 0, before = *n;
    struct dtls_pem_block blk;
    uint8_t *buf = malloc(65536);
    int rc;
    while ((rc = dtls_pem_next(pem, len, &pos, buf, 65536, &blk)) == 1) {
        if (blk.label_len != 11 || memcmp(blk.label, "CERTIFICATE", 11) != 0)
            continue;
        if (*n == cap)
            break;
        ders[*n] = malloc(blk.der_len);
        memcpy(ders[*n], blk.der, blk.der_len);
        lens[*n] = blk.der_len;
        (*n)++;
    }
    free(buf);
    free(pem);
    if (rc < 0 || *n == before) {
        err->exit = EXIT_READ_INPUT;
        err->name = "bad_pem";
        snprintf(err->message, sizeof err->message, "%s: %s", path,
                 rc < 0 ? dtls_x509_error_name(rc) : "no PEM certificate found");
        return -1;
    }
    return 0;
}

int cmd_verify(const struct options *o)
{
    struct conn_error err = { 0 };
    uint8_t *ders[32];
    size_t lens[32], n = 0;
    int rc = EXIT_OK;
    struct conn_settings *s = calloc(1, sizeof *s);
    struct dtls_x509_validator *v = calloc(1, sizeof *v);
    if (load_certs(o->url, ders, lens, &n, 32, &err) != 0 ||
        (o->untrusted && load_certs(o->untrusted, ders, lens, &n, 32, &err) != 0)) {
        rc = out_error(o, &err);
        goto done;
    }
    if (trust_load(s, o, &err) != 0) {
        rc = out_error(o, &err);
        goto done;
    }
    int64_t now = (int64_t)time(NULL);
    if (o->time && parse_rfc3339(o->time, &now) != 0) {
        fprintf(stderr, "dtls-send: --time must be RFC 3339, e.g. 2026-11-22T10:00:00Z\n");
        rc = EXIT_USAGE;
        goto done;
    }
    if (o->host && o->ip) {
        fprintf(stderr, "dtls-send: give --host or --ip, not both\n");
        rc = EXIT_USAGE;
        goto done;
    }
    const char *ref = o->host ? o->host : o->ip;
    if (o->ip) {
        uint8_t ip[16];
        if (dtls_x509_parse_ip(o->ip, strlen(o->ip), ip) == 0) {
            fprintf(stderr, "dtls-send: --ip '%s' is not an IPv4 or IPv6 address\n", o->ip);
            rc = EXIT_USAGE;
            goto done;
        }
    }
    enum dtls_x509_purpose purpose =
        o->purpose && strcmp(o->purpose, "client") == 0 ? DTLS_X509_PURPOSE_CLIENT : DTLS_X509_PURPOSE_SERVER;
    dtls_x509_validator_init(v, s->cfg.trust, now, ref, purpose);
    int vr = 0;
    for (size_t i = 0; i < n && vr == 0; i++)
        vr = dtls_x509_validator_add(v, ders[i], lens[i]);
    if (vr == 0)
        vr = dtls_x509_validator_finish(v);
    unsigned depth = vr ? dtls_x509_validator_error_depth(v) : 0;
    if (o->json) {
        cJSON *ev = cJSON_CreateObject();
        cJSON_AddStringToObject(ev, "event", "verify");
        cJSON_AddBoolToObject(ev, "valid", vr == 0);
        if (vr)
            cJSON_AddStringToObject(ev, "error", dtls_x509_error_name(vr));
        else
            cJSON_AddNullToObject(ev, "error");
        cJSON_AddNumberToObject(ev, "depth", depth);
        cJSON *peer = cJSON_CreateObject();
        cert_describe(ders[0], lens[0], peer);
        cJSON_AddItemToObject(ev, "certificate", peer);
        out_event(ev);
    } else if (!o->silent || vr) {
        if (vr)
            fprintf(stderr, "%s: verification failed at depth %u: %s\n", o->url, depth, dtls_x509_error_name(vr));
        else
            printf("%s: OK\n", o->url);
    }
    rc = vr ? EXIT_VERIFY : EXIT_OK;
done:
    for (size_t i = 0; i < n; i++)
        free(ders[i]);
    if (s) {
        trust_free(s);
        free(s);
    }
    free(v);
    return rc;
}

#include "trust.h"
#include "exitcodes.h"

#include <dtls/x509.h>
#include <dtls/crypto_algs.h>
#include <dtls/posix.h>
#include "crypto/curve25519.h"
#include "crypto/ec.h"
#include "crypto/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <arpa/inet.h>

/* Storage behind conn_settings.trust. */
struct trust_store {
    struct dtls_x509_anchor *anchors;
    struct dtls_x509_anchors set;
    struct dtls_der chain[8];
    uint8_t *chain_der[8];
    size_t chain_len;
    struct dtls_x509_private_key key;
    struct dtls_rsa_private_key rsa; /* points into rsa_der (the key: wiped on free) */
    uint8_t *rsa_der;
    size_t rsa_der_len;
    uint16_t schemes[4];
    const char *pins;
};

static void fail(struct conn_error *e, int exit, const char *name, const char *fmt, ...)
{
    va_list ap;
    e->exit = exit;
    e->name = name;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

char *read_file(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (!buf)
            break;
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (n < cap) {
            if (ferror(f)) {
                free(buf);
                buf = NULL;
            }
            break;
        }
        cap *= 2;
        char *nb = realloc(buf, cap + 1);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
    }
    if (f != stdin)
        fclose(f);
    if (buf) {
        buf[n] = 0;
        *len = n;
    }
    return buf;
}

const char *system_ca_bundle(void)
{
    static const char *const paths[] = {
        "/etc/ssl/certs/ca-certificates.crt",                /* Debian, Ubuntu, Alpine (ca-certificates) */
        "/etc/pki/tls/certs/ca-bundle.crt",                  /* Fedora, RHEL */
        "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", /* Fedora, RHEL */
        "/etc/ssl/cert.pem",                                 /* Alpine, macOS */
        "/etc/ssl/ca-bundle.pem",                            /* openSUSE */
    };
    struct stat st;
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (stat(paths[i], &st) == 0 && S_ISREG(st.st_mode))
            return paths[i];
    return NULL;
}

static struct trust_store *store_of(struct conn_settings *s)
{
    if (!s->trust)
        s->trust = calloc(1, sizeof(struct trust_store));
    return s->trust;
}

int trust_load(struct conn_settings *s, const struct options *o, struct conn_error *err)
{
    struct trust_store *t = store_of(s);
    const char *path = o->cacert ? o->cacert : system_ca_bundle();
    if (!path) {
        fail(err, EXIT_CACERT, "cacert", "no CA bundle found (looked in the usual system paths); use --cacert FILE");
        return -1;
    }
    size_t len;
    char *pem = read_file(path, &len);
    if (!pem) {
        fail(err, EXIT_CACERT, "cacert", "cannot read CA file %s: %s", path, strerror(errno));
        return -1;
    }
    size_t skipped = 0;
    uint8_t *scratch = malloc(16384);
    int n = scratch ? dtls_x509_anchors_from_pem(pem, len, scratch, 16384, NULL, 0, &skipped) : -1;
    if (n <= 0) {
        free(scratch);
        free(pem);
        fail(err, EXIT_CACERT, "cacert", "%s: %s", path,
             n == 0 ? "no usable CA certificate in the file" : dtls_x509_error_name(n));
        return -1;
    }
    t->anchors = calloc((size_t)n, sizeof *t->anchors);
    int m = t->anchors
                ? dtls_x509_anchors_from_pem(pem, len, scratch, 16384, t->anchors, (size_t)n, &skipped)
                : -1;
    free(scratch);
    free(pem);
    if (m <= 0) {
        fail(err, EXIT_CACERT, "cacert", "%s: cannot load the CA certificates", path);
        return -1;
    }
    t->set.list = t->anchors;
    t->set.count = (size_t)m;
    s->cfg.trust = &t->set;
    if (s->verbose)
        fprintf(stderr, "* %d trust anchors from %s%s\n", m, path, skipped ? " (some certificates skipped)" : "");
    return trust_load_pins(s, o, err);
}

int trust_load_pins(struct conn_settings *s, const struct options *o, struct conn_error *err)
{
    struct trust_store *t = store_of(s);
    if (o->pinnedpubkey) {
        uint8_t zero[32] = { 0 };
        if (dtls_x509_pin_check(o->pinnedpubkey, zero) == DTLS_X509_E_INVALID_ARGUMENT) {
            fail(err, EXIT_USAGE, "usage", "--pinnedpubkey must be sha256//BASE64[;sha256//BASE64...]");
            return -1;
        }
        t->pins = o->pinnedpubkey;
    }
    return 0;
}

int trust_check_pin(const struct conn_settings *s, struct conn_error *err)
{
    const struct trust_store *t = s->trust;
    if (!t || !t->pins)
        return 0;
    uint8_t h[32];
    if (s->leaf_len == 0 || dtls_x509_spki_sha256(s->leaf, s->leaf_len, h) != 0 ||
        dtls_x509_pin_check(t->pins, h) != 0) {
        fail(err, 90, "pinned_key_mismatch", "the server's public key does not match --pinnedpubkey");
        return -1;
    }
    return 0;
}

static int sign_cb(void *ctx, uint16_t scheme, const uint8_t *msg, size_t len, uint8_t *sig, size_t *sig_len)
{
    struct conn_settings *s = ctx;
    struct trust_store *t = s->trust;
    if (scheme == DTLS_SIG_ECDSA_SECP256R1_SHA256 && t->key.type == DTLS_KEY_P256 && *sig_len >= 64) {
        if (dtls_p256_ecdsa_sign(sig, t->key.secret, msg, len) != 0)
            return -1;
        *sig_len = 64;
        return 0;
    }
    if (scheme == DTLS_SIG_ED25519 && t->key.type == DTLS_KEY_ED25519 && *sig_len >= 64) {
        dtls_ed25519_sign(sig, t->key.secret, t->key.pub, msg, len);
        *sig_len = 64;
        return 0;
    }
    if ((scheme == DTLS_SIG_RSA_PSS_RSAE_SHA256 || scheme == DTLS_SIG_RSA_PSS_RSAE_SHA384) && t->rsa_der) {
        /* RFC 8446 4.2.3: the salt is as long as the digest, and random */
        const struct dtls_hash *h = scheme == DTLS_SIG_RSA_PSS_RSAE_SHA256 ? &dtls_hash_sha256 : &dtls_hash_sha384;
        uint8_t salt[48];
        if (len != h->digest_len || dtls_posix_rng(NULL, salt, len) != 0)
            return -1;
        int rc = dtls_rsa_pss_sign(&t->rsa, h, msg, salt, len, sig, sig_len);
        dtls_wipe(salt, sizeof salt);
        return rc;
    }
    return -1;
}

/* The RSA key in the PEM text, if any: the first "RSA PRIVATE KEY" or "PRIVATE KEY" block,
 * decoded into t->rsa_der (kept: t->rsa points into it). 0, or a DTLS_X509_E_* code. */
static int rsa_key_load(struct trust_store *t, const char *pem, size_t len)
{
    size_t pos = 0;
    struct dtls_pem_block blk;
    uint8_t *der = malloc(len + 1);
    int rc = DTLS_X509_E_BAD_PEM;
    if (!der)
        return DTLS_X509_E_BUFFER_TOO_SMALL;
    while (dtls_pem_next(pem, len, &pos, der, len + 1, &blk) == 1) {
        if ((blk.label_len == 15 && memcmp(blk.label, "RSA PRIVATE KEY", 15) == 0) ||
            (blk.label_len == 11 && memcmp(blk.label, "PRIVATE KEY", 11) == 0)) {
            rc = dtls_x509_rsa_private_key_from_der(blk.der, blk.der_len, &t->rsa); /* (blk.der is der) */
            if (rc == 0) {
                t->rsa_der = der;
                t->rsa_der_len = len + 1;
                return 0;
            }
            break;
        }
    }
    dtls_wipe(der, len + 1);
    free(der);
    return rc;
}

/* 0 when the RSA key's n and e are those of pub. Both come from DER INTEGERs without
 * the sign octet (dtls_x509_rsa_private_key_from_der, dtls_x509_cert_pubkey), so equal
 * numbers are equal byte strings. */
static int rsa_key_matches(const struct dtls_rsa_private_key *k, const struct dtls_pubkey_ref *pub)
{
    if (pub->type != DTLS_KEY_RSA || pub->a_len != k->n_len || pub->b_len != k->e_len)
        return -1;
    return memcmp(pub->a, k->n, k->n_len) == 0 && memcmp(pub->b, k->e, k->e_len) == 0 ? 0 : -1;
}

int client_identity_load(struct conn_settings *s, const struct options *o, struct conn_error *err)
{
    struct trust_store *t = store_of(s);
    if (!o->cert || !o->key) {
        fail(err, EXIT_CLIENT_CERT, "client_certificate", "--cert and --key go together");
        return -1;
    }
    size_t len;
    char *pem = read_file(o->cert, &len);
    if (!pem) {
        fail(err, EXIT_CLIENT_CERT, "client_certificate", "cannot read %s: %s", o->cert, strerror(errno));
        return -1;
    }
    size_t pos = 0;
    struct dtls_pem_block blk;
    int rc;
    uint8_t *buf = malloc(16384);
    while (buf && (rc = dtls_pem_next(pem, len, &pos, buf, 16384, &blk)) == 1) {
        if (blk.label_len != 11 || memcmp(blk.label, "CERTIFICATE", 11) != 0)
            continue;
        if (t->chain_len == 8)
            break;
        uint8_t *d = malloc(blk.der_len);
        memcpy(d, blk.der, blk.der_len);
        t->chain_der[t->chain_len] = d;
        t->chain[t->chain_len].der = d;
        t->chain[t->chain_len].len = blk.der_len;
        t->chain_len++;
    }
    free(buf);
    free(pem);
    if (t->chain_len == 0) {
        fail(err, EXIT_CLIENT_CERT, "client_certificate", "%s holds no PEM certificate", o->cert);
        return -1;
    }
    pem = read_file(o->key, &len);
    if (!pem) {
        fail(err, EXIT_CLIENT_CERT, "client_key", "cannot read %s: %s", o->key, strerror(errno));
        return -1;
    }
    uint8_t scratch[4096];
    rc = dtls_x509_private_key_from_pem(pem, len, scratch, sizeof scratch, &t->key);
    if (rc == DTLS_X509_E_UNSUPPORTED_ALGORITHM) {
        int r = rsa_key_load(t, pem, len);
        if (r != DTLS_X509_E_BAD_PEM) /* (no RSA block: the first answer stands) */
            rc = r;
    }
    dtls_wipe(pem, len);
    free(pem);
    if (rc != 0) {
        fail(err, EXIT_CLIENT_CERT, "client_key",
             "%s: %s (supported: EC P-256, Ed25519 and RSA 2048-4096, PKCS#8, SEC1 or PKCS#1 PEM, unencrypted)",
             o->key, dtls_x509_error_name(rc));
        return -1;
    }
    struct dtls_pubkey_ref pub;
    if (dtls_x509_cert_pubkey(t->chain[0].der, t->chain[0].len, &pub) != 0 ||
        (t->rsa_der ? rsa_key_matches(&t->rsa, &pub) : dtls_x509_private_key_matches(&t->key, &pub)) != 0) {
        fail(err, EXIT_CLIENT_CERT, "client_key_mismatch", "the key in %s does not belong to the certificate in %s",
             o->key, o->cert);
        return -1;
    }
    if (t->rsa_der) {
        /* TLS 1.3 signs with RSA-PSS only (RFC 8446 4.2.3) */
        t->schemes[0] = DTLS_SIG_RSA_PSS_RSAE_SHA256;
        t->schemes[1] = DTLS_SIG_RSA_PSS_RSAE_SHA384;
        t->schemes[2] = 0;
    } else {
        t->schemes[0] = t->key.type == DTLS_KEY_P256 ? DTLS_SIG_ECDSA_SECP256R1_SHA256 : DTLS_SIG_ED25519;
        t->schemes[1] = 0;
    }
    s->cfg.client_chain = t->chain;
    s->cfg.client_chain_len = t->chain_len;
    s->cfg.client_schemes = t->schemes;
    s->cfg.sign = sign_cb;
    return 0;
}

void trust_free(struct conn_settings *s)
{
    struct trust_store *t = s->trust;
    if (!t)
        return;
    free(t->anchors);
    for (size_t i = 0; i < t->chain_len; i++)
        free(t->chain_der[i]);
    dtls_x509_private_key_wipe(&t->key);
    if (t->rsa_der) {
        dtls_wipe(t->rsa_der, t->rsa_der_len);
        free(t->rsa_der);
    }
    dtls_wipe(&t->rsa, sizeof t->rsa);
    free(t);
    s->trust = NULL;
}

void format_time(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm))
        strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    else
        snprintf(out, 32, "%lld", (long long)t);
}

void cert_describe(const uint8_t *der, size_t len, cJSON *obj)
{
    struct dtls_x509_cert c;
    if (len == 0 || dtls_x509_cert_parse(der, len, &c) != 0)
        return;
    char buf[1024], t[32];
    dtls_x509_name_string(c.subject, c.subject_len, buf, sizeof buf);
    cJSON_AddStringToObject(obj, "subject", buf);
    dtls_x509_name_string(c.issuer, c.issuer_len, buf, sizeof buf);
    cJSON_AddStringToObject(obj, "issuer", buf);
    format_time(c.not_before, t);
    cJSON_AddStringToObject(obj, "not_before", t);
    format_time(c.not_after, t);
    cJSON_AddStringToObject(obj, "not_after", t);
    cJSON *san = cJSON_AddArrayToObject(obj, "san");
    size_t pos = 0;
    unsigned type;
    const uint8_t *name;
    size_t nlen;
    while (c.san && dtls_x509_san_next(&c, &pos, &type, &name, &nlen) == 1) {
        if (type == 2 && nlen < sizeof buf) {
            memcpy(buf, name, nlen);
            buf[nlen] = 0;
            cJSON_AddItemToArray(san, cJSON_CreateString(buf));
        } else if (type == 7 && (nlen == 4 || nlen == 16)) {
            inet_ntop(nlen == 4 ? AF_INET : AF_INET6, name, buf, sizeof buf);
            cJSON_AddItemToArray(san, cJSON_CreateString(buf));
        }
    }
}

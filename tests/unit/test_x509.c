/*
 * X.509 validation (src/x509), driven by the PKI of scripts/gen-pki:
 *  - the gen-pki matrix: every good chain validates (for localhost,
 *    127.0.0.1 and ::1), every broken one fails with its own error;
 *  - streaming: each DER buffer is overwritten right after add();
 *  - path building (out of order, extras, several candidate issuers,
 *    cross-signed twins, anchors in the middle, depth, pathLen), host names
 *    and IP addresses through the validator, name constraints, the crypto
 *    provider seam, pinning, PEM bundles and private keys, parsed fields
 *    against OpenSSL;
 *  - hostile input (suite x509_robust): every truncation and tens of
 *    thousands of bit flips of real certificates, PEM files and keys; nothing
 *    may crash (run under ASan+UBSan) and no damaged certificate validates.
 *
 * The PKI: scripts/gen-pki runs once per test binary, before any test, into
 * a temporary directory (removed afterwards), unless $DTLS_PKI_DIR names an
 * existing one ($DTLS_PKI_KEYS, passed on to gen-pki, reuses its keys).
 * PEM files are read with OpenSSL (independent of the code under test);
 * certificates are also built with OpenSSL's X509 API for the cases gen-pki
 * does not cover.
 */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <dtls/x509.h>
#include <dtls/crypto_algs.h>
#include <openssl/bn.h>

#include "vectors.h"


#define T2030 ((int64_t)1893456000) /* 2030-01-01T00:00:00Z: inside every good certificate's validity */

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    test_pki_setup();
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    (void)stats;
    test_pki_cleanup();
}

static const char *pki_dir(void)
{
    const char *d = getenv("DTLS_PKI_DIR");
    cr_assert(d && *d, "no PKI: scripts/gen-pki failed (is the openssl CLI installed?)");
    return d;
}

/* A CA's private key from gen-pki's key store ($DTLS_PKI_KEYS or DIR/.keys). */
static const char *key_path(const char *name)
{
    static char p[8192];
    const char *k = getenv("DTLS_PKI_KEYS");
    int r = (k && *k) ? snprintf(p, sizeof p, "%s/%s.key", k, name)
                      : snprintf(p, sizeof p, "%s/.keys/%s.key", pki_dir(), name);
    cr_assert(r > 0 && (size_t)r < sizeof p);
    return p;
}

static char *pki_path(const char *cas, const char *file)
{
    static char p[8][8192];
    static int k;
    k = (k + 1) % 8;
    int r = snprintf(p[k], sizeof p[k], "%s/%s/%s", pki_dir(), cas, file);
    cr_assert(r > 0 && (size_t)r < sizeof p[k]);
    return p[k];
}

#define MAX_CHAIN 32
struct chain {
    int n;
    uint8_t *der[MAX_CHAIN];
    size_t len[MAX_CHAIN];
};

static void chain_free(struct chain *c)
{
    for (int i = 0; i < c->n; i++)
        free(c->der[i]);
    c->n = 0;
}

static void chain_push_x509(struct chain *c, X509 *x)
{
    cr_assert(c->n < MAX_CHAIN);
    unsigned char *p = NULL;
    int n = i2d_X509(x, &p);
    cr_assert(n > 0);
    c->der[c->n] = malloc((size_t)n);
    memcpy(c->der[c->n], p, (size_t)n);
    c->len[c->n] = (size_t)n;
    c->n++;
    OPENSSL_free(p);
}

static void chain_push(struct chain *c, const uint8_t *der, size_t len)
{
    cr_assert(c->n < MAX_CHAIN);
    c->der[c->n] = malloc(len ? len : 1);
    memcpy(c->der[c->n], der, len);
    c->len[c->n] = len;
    c->n++;
}

/* Append every certificate of a PEM file (decoded by OpenSSL). */
static void chain_load(struct chain *c, const char *path)
{
    BIO *b = BIO_new_file(path, "r");
    cr_assert(b, "cannot open %s", path);
    X509 *x;
    while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
        chain_push_x509(c, x);
        X509_free(x);
    }
    BIO_free(b);
    cr_assert(c->n > 0, "no certificate in %s", path);
}

/* Anchors from a PEM file, through the library's own bundle loader. */
static size_t anchors_load(const char *path, struct dtls_x509_anchor *a, size_t cap)
{
    size_t len, skipped;
    char *pem = test_read_file(path, &len);
    int n = dtls_x509_anchors_from_pem_inplace(pem, len, a, cap, &skipped);
    free(pem);
    cr_assert(n > 0, "anchors from %s: %d (%s)", path, n, dtls_x509_error_name(n));
    return (size_t)n;
}

/*
 * Validate a chain, copying each certificate into one buffer that is
 * overwritten right after add(): the validator must not keep pointers into it.
 */
static int validate_ex(const struct chain *c, const struct dtls_x509_anchors *an, int64_t now, const char *host,
                       enum dtls_x509_purpose purpose, unsigned *depth, struct dtls_x509_validator *out)
{
    static uint8_t buf[16384];
    struct dtls_x509_validator v;
    dtls_x509_validator_init(&v, an, now, host, purpose);
    int rc = 0;
    for (int i = 0; i < c->n && rc == 0; i++) {
        cr_assert(c->len[i] <= sizeof buf);
        memcpy(buf, c->der[i], c->len[i]);
        rc = dtls_x509_validator_add(&v, buf, c->len[i]);
        memset(buf, 0xa5, sizeof buf);
    }
    int fin = dtls_x509_validator_finish(&v);
    if (rc != 0)
        cr_assert_eq(fin, rc, "finish must repeat the sticky error");
    if (depth)
        *depth = dtls_x509_validator_error_depth(&v);
    if (out)
        *out = v;
    return fin;
}

static int validate(const struct chain *c, const struct dtls_x509_anchors *an, int64_t now, const char *host,
                    enum dtls_x509_purpose purpose)
{
    return validate_ex(c, an, now, host, purpose, NULL, NULL);
}

/* ---- certificates built with OpenSSL --------------------------------- */

static EVP_PKEY *key_p256(void)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    cr_assert(k);
    return k;
}

static EVP_PKEY *key_ed25519(void)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    cr_assert(k);
    return k;
}

static EVP_PKEY *key_load(const char *path)
{
    BIO *b = BIO_new_file(path, "r");
    cr_assert(b, "cannot open %s", path);
    EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    cr_assert(k, "no key in %s", path);
    return k;
}

static X509 *x509_load(const char *path)
{
    BIO *b = BIO_new_file(path, "r");
    cr_assert(b, "cannot open %s", path);
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    cr_assert(x, "no certificate in %s", path);
    return x;
}

/*
 * A certificate for `key`, named /O=dtls test/CN=cn, signed by ikey as issuer
 * (NULL issuer: self-signed), valid 2020..2049, with extensions given as
 * "name", "value" pairs in OpenSSL config syntax, NULL-terminated.
 */
static X509 *mk_cert(const char *cn, X509 *issuer, EVP_PKEY *ikey, EVP_PKEY *key, const char *const *exts)
{
    static long serial = 100;
    X509 *x = X509_new();
    cr_assert(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    ASN1_TIME *t = ASN1_TIME_new();
    ASN1_TIME_set_string_X509(t, "20200101000000Z");
    X509_set1_notBefore(x, t);
    ASN1_TIME_set_string_X509(t, "20491231235959Z");
    X509_set1_notAfter(x, t);
    ASN1_TIME_free(t);
    X509_NAME *nm = X509_NAME_new();
    X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_ASC, (const unsigned char *)"dtls test", -1, -1, 0);
    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_subject_name(x, nm);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : nm);
    X509_NAME_free(nm);
    X509_set_pubkey(x, key);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    for (int i = 0; exts && exts[i]; i += 2) {
        X509_EXTENSION *e = X509V3_EXT_nconf(NULL, &ctx, exts[i], exts[i + 1]);
        cr_assert(e, "extension %s = %s", exts[i], exts[i + 1]);
        X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
    }
    int id = EVP_PKEY_get_base_id(ikey);
    const EVP_MD *md = (id == EVP_PKEY_ED25519) ? NULL : EVP_sha256();
    cr_assert(X509_sign(x, ikey, md) > 0);
    return x;
}

static const char *const EXT_CA[] = { "basicConstraints", "critical,CA:TRUE", "keyUsage", "critical,keyCertSign", NULL };

#include <openssl/sha.h>

#include <dtls/crypto.h>



/* ---------------------------------------------------------------------- */
/* The gen-pki matrix                                                      */
/* ---------------------------------------------------------------------- */

struct pki_case {
    char name[64], expect[64], purpose[16], host[64];
};

static int cases_load(struct pki_case *cs, int cap)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/cases.txt", pki_dir());
    FILE *f = fopen(path, "r");
    cr_assert(f, "no %s", path);
    int n = 0;
    while (n < cap && fscanf(f, "%63s %63s %15s %63s", cs[n].name, cs[n].expect, cs[n].purpose, cs[n].host) == 4)
        n++;
    fclose(f);
    cr_assert(n >= 20, "cases.txt has only %d cases", n);
    return n;
}

Test(x509, gen_pki_matrix)
{
    struct pki_case cs[64];
    int n = cases_load(cs, 64), ran = 0, good = 0;
    for (int i = 0; i < n; i++) {
        struct chain c = { 0 };
        struct dtls_x509_anchor a[4];
        chain_load(&c, pki_path(cs[i].name, "chain.pem"));
        struct dtls_x509_anchors an = { a, anchors_load(pki_path(cs[i].name, "ca.pem"), a, 4) };
        enum dtls_x509_purpose purpose =
            strcmp(cs[i].purpose, "client") == 0 ? DTLS_X509_PURPOSE_CLIENT : DTLS_X509_PURPOSE_SERVER;
        const char *hosts[3] = { cs[i].host, NULL, NULL };
        if (strcmp(cs[i].host, "-") == 0)
            hosts[0] = NULL;
        else if (strcmp(cs[i].host, "localhost") == 0)
            hosts[1] = "127.0.0.1", hosts[2] = "::1";
        for (int h = 0; h < 3; h++) {
            if (h > 0 && hosts[h] == NULL)
                break;
            struct dtls_x509_validator v;
            unsigned depth;
            int rc = validate_ex(&c, &an, T2030, hosts[h], purpose, &depth, &v);
            cr_expect_str_eq(dtls_x509_error_name(rc), cs[i].expect, "case %s host %s: got %s at depth %u",
                             cs[i].name, hosts[h] ? hosts[h] : "-", dtls_x509_error_name(rc), depth);
            if (rc == 0) {
                /* the validated leaf key is the certificate's key */
                struct dtls_pubkey_ref k, k2;
                cr_assert_eq(dtls_x509_validator_leaf_key(&v, &k), 0);
                cr_assert_eq(dtls_x509_cert_pubkey(c.der[0], c.len[0], &k2), 0);
                cr_assert_eq(k.type, k2.type);
                cr_assert(k.a_len == k2.a_len && memcmp(k.a, k2.a, k.a_len) == 0);
                cr_assert(k.b_len == k2.b_len && (k.b_len == 0 || memcmp(k.b, k2.b, k.b_len) == 0));
                good++;
            } else {
                struct dtls_pubkey_ref k;
                cr_assert_eq(dtls_x509_validator_leaf_key(&v, &k), rc);
                cr_assert_neq(dtls_x509_alert(rc), 0);
            }
            ran++;
        }
        chain_free(&c);
    }
    fprintf(stderr, "x509 gen-pki matrix: %d validations (%d valid), %d cases\n", ran, good, n);
}

/* Where each broken case is reported (0 = leaf): the CLI prints it as "depth". */
Test(x509, error_depths)
{
    static const struct {
        const char *cas;
        unsigned depth;
    } t[] = {
        { "expired", 0 }, { "wrong-host", 0 }, { "unknown-ca", 1 }, { "bad-signature", 0 },
        { "ca-false", 1 }, { "pathlen", 2 },   { "critical-ext", 0 }, { "sha1", 0 },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct chain c = { 0 };
        struct dtls_x509_anchor a[2];
        chain_load(&c, pki_path(t[i].cas, "chain.pem"));
        struct dtls_x509_anchors an = { a, anchors_load(pki_path(t[i].cas, "ca.pem"), a, 2) };
        unsigned depth = 99;
        cr_assert_neq(validate_ex(&c, &an, T2030, "localhost", DTLS_X509_PURPOSE_SERVER, &depth, NULL), 0);
        cr_expect_eq(depth, t[i].depth, "%s: depth %u", t[i].cas, depth);
        chain_free(&c);
    }
}

static void load_case(const char *cas, struct chain *c, struct dtls_x509_anchor *a, struct dtls_x509_anchors *an)
{
    chain_load(c, pki_path(cas, "chain.pem"));
    an->list = a;
    an->count = anchors_load(pki_path(cas, "ca.pem"), a, 1);
}

Test(x509, time_and_purpose)
{
    struct chain c = { 0 };
    struct dtls_x509_anchor a[1];
    struct dtls_x509_anchors an;
    load_case("p256", &c, a, &an);
    cr_assert_eq(validate(&c, &an, 1577836800, "localhost", DTLS_X509_PURPOSE_SERVER), 0);      /* 2020-01-01 */
    cr_assert_eq(validate(&c, &an, 1577836799, "localhost", DTLS_X509_PURPOSE_SERVER), DTLS_X509_E_NOT_YET_VALID);
    cr_assert_eq(validate(&c, &an, 2524607999, "localhost", DTLS_X509_PURPOSE_SERVER), 0);      /* 2049-12-31T23:59:59 */
    cr_assert_eq(validate(&c, &an, 2524608000, "localhost", DTLS_X509_PURPOSE_SERVER), DTLS_X509_E_EXPIRED);
    cr_assert_eq(validate(&c, &an, T2030, "localhost", DTLS_X509_PURPOSE_CLIENT), DTLS_X509_E_EXT_KEY_USAGE);
    cr_assert_eq(validate(&c, &an, T2030, "localhost", DTLS_X509_PURPOSE_ANY), 0);
    chain_free(&c);

    load_case("expired", &c, a, &an);
    cr_assert_eq(validate(&c, &an, T2030, "localhost", DTLS_X509_PURPOSE_SERVER), DTLS_X509_E_EXPIRED);
    /* in 2010 the leaf was valid but its intermediate (2020..2049) not yet */
    unsigned depth;
    cr_assert_eq(validate_ex(&c, &an, 1280000000, "localhost", DTLS_X509_PURPOSE_SERVER, &depth, NULL),
                 DTLS_X509_E_NOT_YET_VALID);
    cr_assert_eq(depth, 1);
    cr_assert_eq(validate(&c, &an, DTLS_X509_TIME_UNKNOWN, "localhost", DTLS_X509_PURPOSE_SERVER), 0);
    chain_free(&c);

    load_case("client-p256", &c, a, &an);
    cr_assert_eq(validate(&c, &an, T2030, NULL, DTLS_X509_PURPOSE_CLIENT), 0);
    cr_assert_eq(validate(&c, &an, T2030, NULL, DTLS_X509_PURPOSE_SERVER), DTLS_X509_E_EXT_KEY_USAGE);
    cr_assert_eq(validate(&c, &an, T2030, "client.localhost", DTLS_X509_PURPOSE_CLIENT), 0);
    chain_free(&c);
}

Test(x509, host_names_through_validator)
{
    struct chain c = { 0 };
    struct dtls_x509_anchor a[1];
    struct dtls_x509_anchors an;
    load_case("p256", &c, a, &an);
    static const struct {
        const char *host;
        int ok;
    } t[] = {
        { "localhost", 1 },      { "LocalHost", 1 },     { "localhost.", 1 },   { "127.0.0.1", 1 },
        { "::1", 1 },            { "0:0:0:0:0:0:0:1", 1 }, { "0::1", 1 },       { "127.0.0.2", 0 },
        { "::2", 0 },            { "::ffff:127.0.0.1", 0 }, { "localhost.localdomain", 0 },
        { "localhos", 0 },       { "xlocalhost", 0 },    { "127.0.0.01", 0 },   { "", 0 },
        { "*.localhost", 0 },    { "[::1]", 0 },         { "example.com", 0 },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int rc = validate(&c, &an, T2030, t[i].host, DTLS_X509_PURPOSE_SERVER);
        cr_expect_eq(rc, t[i].ok ? 0 : DTLS_X509_E_HOSTNAME, "host \"%s\": %s", t[i].host, dtls_x509_error_name(rc));
    }
    /* NULL host: no name check */
    cr_assert_eq(validate(&c, &an, T2030, NULL, DTLS_X509_PURPOSE_SERVER), 0);
    chain_free(&c);
}

/* ---------------------------------------------------------------------- */
/* Path building                                                           */
/* ---------------------------------------------------------------------- */

static void chain_from(struct chain *dst, const struct chain *src, const int *idx, int n)
{
    for (int i = 0; i < n; i++)
        chain_push(dst, src->der[idx[i]], src->len[idx[i]]);
}

Test(x509, out_of_order_and_extra_certificates)
{
    struct chain c = { 0 }, other = { 0 }, rsa = { 0 };
    struct dtls_x509_anchor a[1];
    struct dtls_x509_anchors an;
    load_case("long", &c, a, &an); /* leaf, int2, int1 */
    chain_load(&other, pki_path("unknown-ca", "chain.pem")); /* unrelated leaf + intermediate */
    chain_load(&rsa, pki_path("rsa2048", "ca.pem"));
    cr_assert_eq(c.n, 3);
    cr_assert_eq(validate(&c, &an, T2030, "localhost", DTLS_X509_PURPOSE_SERVER), 0);

    static const int orders[][3] = { { 0, 1, 2 }, { 0, 2, 1 } };
    for (int o = 0; o < 2; o++) {
        struct chain x = { 0 };
        chain_from(&x, &c, orders[o], 3);
        cr_assert_eq(validate(&x, &an, T2030, "localhost", DTLS_X509_PURPOSE_SERVER), 0, "order %d", o);
        /* extras before, between and after: unrelated CA, unrelated leaf, a root, the path's root */
        struct chain y = { 0 };
        chain_push(&y, c.der[orders[o][0]], c.len[orders[o][0]]);
        chain_push(&y, other.der[0], other.len[0]);
        chain_push(&y, other.der[1], other.len[1]);
        chain_push(&y, c.der[orders[o][1]], c.len[orders[o][1]]);
        chain_push(&y, rsa.der[0], rsa.len[0]);
        chain_push(&y, c.der[orders[o][2]], c.len[orders[o][2]]);
        chain_load(&y, pki_path("long", "ca.pem"));
        chain_push(&y, other.der[0], other.len[0]);
        cr_assert_eq(validate(&y, &an, T2030, "localhost", DTLS_X509_PURPOSE_SERVER), 0, "order %d with extras", o);
        chain_free(&x);
        chain_free(&y);
    }
    /* the leaf must come first */
    {
        static const int bad[3] = { 1, 0, 2 };
        struct chain x = { 0 };
        chain_from(&x, &c, bad, 3);
        cr_assert_neq(validate(&x, &an, T2030, "localhost", DTLS_X509_PURPOSE_SERVER), 0);
        chain_free(&x);
    }
    /* missing intermediate */
    {
        static const int miss[2] = { 0, 1 };
        struct chain x = { 0 };
        chain_from(&x, &c, miss, 2);
        cr_assert_eq(validate(&x, &an, T2030, "localhost", DTLS_X509_PURPOSE_SERVER), DTLS_X509_E_UNKNOWN_CA);
        chain_free(&x);
    }
    /* a duplicated intermediate is harmless */
    {
        static const int dup[5] = { 0, 1, 1, 2, 2 };
        struct chain x = { 0 };
        chain_from(&x, &c, dup, 5);
        cr_assert_eq(validate(&x, &an, T2030, "localhost", DTLS_X509_PURPOSE_SERVER), 0);
        chain_free(&x);
    }
    /* no certificate at all */
    {
        struct chain x = { 0 };
        cr_assert_eq(validate(&x, &an, T2030, "localhost", DTLS_X509_PURPOSE_SERVER), DTLS_X509_E_NO_CERTIFICATE);
    }
    /* too many certificates */
    {
        struct chain x = { 0 };
        chain_push(&x, c.der[0], c.len[0]);
        for (int i = 0; i < DTLS_X509_MAX_CERTS; i++)
            chain_push(&x, other.der[0], other.len[0]);
        cr_assert_eq(validate(&x, &an, T2030, "localhost", DTLS_X509_PURPOSE_SERVER), DTLS_X509_E_CHAIN_TOO_LONG);
        chain_free(&x);
    }
    chain_free(&c);
    chain_free(&other);
    chain_free(&rsa);
}

/* An intermediate with the right name but another key comes first: skipped. */
Test(x509, several_candidate_issuers)
{
    X509 *root = x509_load(pki_path("p256", "ca.pem"));
    EVP_PKEY *root_key = key_load(key_path("p256-root"));
    struct chain c = { 0 }, x = { 0 };
    struct dtls_x509_anchor a[1];
    struct dtls_x509_anchors an;
    load_case("p256", &c, a, &an);
    /* Same subject "P-256 intermediate", fresh key, signed by the real root. */
    EVP_PKEY *k = key_p256();
    X509 *fake = mk_cert("x", root, root_key, k, EXT_CA);
    const unsigned char *p = c.der[1];
    X509 *real = d2i_X509(NULL, &p, (long)c.len[1]);
    cr_assert(real);
    X509_set_subject_name(fake, X509_get_subject_name(real));
    cr_assert(X509_sign(fake, root_key, EVP_sha256()) > 0);
    X509_free(real);
    chain_push(&x, c.der[0], c.len[0]);
    chain_push_x509(&x, fake);
    chain_push(&x, c.der[1], c.len[1]);
    cr_assert_eq(validate(&x, &an, T2030, "localhost", DTLS_X509_PURPOSE_SERVER), 0);
    /* only the impostor: the leaf's signature does not verify */
    chain_free(&x);
    chain_push(&x, c.der[0], c.len[0]);
    chain_push_x509(&x, fake);
    cr_assert_eq(validate(&x, &an, T2030, "localhost", DTLS_X509_PURPOSE_SERVER), DTLS_X509_E_BAD_SIGNATURE);
    chain_free(&x);
    chain_free(&c);
    X509_free(fake);
    EVP_PKEY_free(k);
    X509_free(root);
    EVP_PKEY_free(root_key);
}

/* The intermediate twice with the same key: first signed by an untrusted
 * root (taken first), then by the trusted one. */
Test(x509, cross_signed_twin)
{
    struct chain c = { 0 }, x = { 0 };
    struct dtls_x509_anchor a[1];
    struct dtls_x509_anchors an;
    load_case("p256", &c, a, &an);
    /* Rebuild the intermediate (key p256-int) under an untrusted root. */
    EVP_PKEY *int_key = key_load(key_path("p256-int"));
    EVP_PKEY *other_key = key_p256();
    X509 *other_root = mk_cert("Untrusted root", NULL, other_key, other_key, EXT_CA);
    /* same subject DER as the real intermediate: copy it */
    const unsigned char *p = c.der[1];
    X509 *real = d2i_X509(NULL, &p, (long)c.len[1]);
    cr_assert(real);
    X509 *twin = mk_cert("x", other_root, other_key, int_key, EXT_CA);
    X509_set_subject_name(twin, X509_get_subject_name(real));
    cr_assert(X509_sign(twin, other_key, EVP_sha256()) > 0);
    chain_push(&x, c.der[0], c.len[0]);
    chain_push_x509(&x, twin);
    chain_push(&x, c.der[1], c.len[1]);
    cr_assert_eq(validate(&x, &an, T2030, "localhost", DTLS_X509_PURPOSE_SERVER), 0);
    /* without the trusted twin: unknown CA, reported at the intermediate */
    chain_free(&x);
    chain_push(&x, c.der[0], c.len[0]);
    chain_push_x509(&x, twin);
    unsigned depth;
    cr_assert_eq(validate_ex(&x, &an, T2030, "localhost", DTLS_X509_PURPOSE_SERVER, &depth, NULL),
                 DTLS_X509_E_UNKNOWN_CA);
    cr_assert_eq(depth, 1);
    chain_free(&x);
    chain_free(&c);
    X509_free(twin);
    X509_free(real);
    X509_free(other_root);
    EVP_PKEY_free(other_key);
    EVP_PKEY_free(int_key);
}

Test(x509, anchors_other_than_the_root)
{
    struct chain c = { 0 };
    struct dtls_x509_anchor a[2];
    load_case("long", &c, a, &(struct dtls_x509_anchors){ 0 });
    /* trust intermediate 1: path leaf -> int2 -> (int1) */
    cr_assert_eq(dtls_x509_anchor_from_der(c.der[2], c.len[2], &a[0]), 0);
    struct dtls_x509_anchors an = { a, 1 };
    cr_assert_eq(validate(&c, &an, T2030, "localhost", DTLS_X509_PURPOSE_SERVER), 0);
    /* trust the leaf itself (a pinned end-entity certificate) */
    cr_assert_eq(dtls_x509_anchor_from_der(c.der[0], c.len[0], &a[0]), 0);
    cr_assert_eq(a[0].flags & DTLS_X509_ANCHOR_CA, 0);
    struct chain leaf_only = { 0 };
    chain_push(&leaf_only, c.der[0], c.len[0]);
    cr_assert_eq(validate(&leaf_only, &an, T2030, "localhost", DTLS_X509_PURPOSE_SERVER), 0);
    /* ... but a non-CA anchor never issues */
    struct chain other = { 0 };
    chain_load(&other, pki_path("ed25519", "chain.pem"));
    cr_assert_neq(validate(&other, &an, T2030, "localhost", DTLS_X509_PURPOSE_SERVER), 0);
    /* no anchors at all */
    struct dtls_x509_anchors none = { a, 0 };
    cr_assert_eq(validate(&c, &none, T2030, "localhost", DTLS_X509_PURPOSE_SERVER), DTLS_X509_E_UNKNOWN_CA);
    cr_assert_eq(validate(&c, NULL, T2030, "localhost", DTLS_X509_PURPOSE_SERVER), DTLS_X509_E_UNKNOWN_CA);
    chain_free(&c);
    chain_free(&leaf_only);
    chain_free(&other);
}

/* root -> n intermediates -> leaf, built with OpenSSL (Ed25519 for speed). */
static void build_chain(int n_inter, const char *const *root_ext, struct chain *c, struct dtls_x509_anchor *anchor)
{
    EVP_PKEY *keys[20];
    X509 *certs[20];
    keys[0] = key_ed25519();
    certs[0] = mk_cert("root", NULL, keys[0], keys[0], root_ext);
    for (int i = 1; i <= n_inter; i++) {
        char cn[32];
        snprintf(cn, sizeof cn, "intermediate %d", i);
        keys[i] = key_ed25519();
        certs[i] = mk_cert(cn, certs[i - 1], keys[i - 1], keys[i], EXT_CA);
    }
    static const char *const leaf_ext[] = { "subjectAltName", "DNS:localhost", NULL };
    EVP_PKEY *lk = key_ed25519();
    X509 *leaf = mk_cert("leaf", certs[n_inter], keys[n_inter], lk, leaf_ext);
    chain_push_x509(c, leaf);
    for (int i = n_inter; i >= 1; i--)
        chain_push_x509(c, certs[i]);
    unsigned char *der = NULL;
    int len = i2d_X509(certs[0], &der);
    cr_assert_eq(dtls_x509_anchor_from_der(der, (size_t)len, anchor), 0);
    OPENSSL_free(der);
    for (int i = 0; i <= n_inter; i++) {
        X509_free(certs[i]);
        EVP_PKEY_free(keys[i]);
    }
    X509_free(leaf);
    EVP_PKEY_free(lk);
}

Test(x509, depth_limit_and_anchor_path_length)
{
    for (int n = 0; n <= DTLS_X509_MAX_DEPTH; n++) {
        struct chain c = { 0 };
        struct dtls_x509_anchor a;
        build_chain(n, EXT_CA, &c, &a);
        struct dtls_x509_anchors an = { &a, 1 };
        int rc = validate(&c, &an, T2030, "localhost", DTLS_X509_PURPOSE_SERVER);
        /* leaf + n intermediates must fit DTLS_X509_MAX_DEPTH */
        cr_expect_eq(rc, n + 1 <= DTLS_X509_MAX_DEPTH ? 0 : DTLS_X509_E_CHAIN_TOO_LONG, "%d intermediates: %s", n,
                     dtls_x509_error_name(rc));
        chain_free(&c);
    }
    static const char *const root_pl0[] = { "basicConstraints", "critical,CA:TRUE,pathlen:0", NULL };
    static const char *const root_pl1[] = { "basicConstraints", "critical,CA:TRUE,pathlen:1", NULL };
    struct {
        const char *const *ext;
        int n, ok;
    } t[] = { { root_pl0, 0, 1 }, { root_pl0, 1, 0 }, { root_pl1, 1, 1 }, { root_pl1, 2, 0 } };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct chain c = { 0 };
        struct dtls_x509_anchor a;
        build_chain(t[i].n, t[i].ext, &c, &a);
        struct dtls_x509_anchors an = { &a, 1 };
        cr_expect_eq(validate(&c, &an, T2030, "localhost", DTLS_X509_PURPOSE_SERVER),
                     t[i].ok ? 0 : DTLS_X509_E_PATH_LENGTH, "anchor pathlen case %zu", i);
        chain_free(&c);
    }
}

/* ---------------------------------------------------------------------- */
/* Name constraints and SAN forms (certificates built with OpenSSL)         */
/* ---------------------------------------------------------------------- */

/* root -> CA(nc) -> leaf(san); returns the validation result for host. */
static int nc_case_k(const char *nc, const char *san, const char *host, int ed)
{
    EVP_PKEY *rk = ed ? key_ed25519() : key_p256(), *ik = ed ? key_ed25519() : key_p256(),
             *lk = ed ? key_ed25519() : key_p256();
    X509 *root = mk_cert("nc root", NULL, rk, rk, EXT_CA);
    const char *iext[] = { "basicConstraints", "critical,CA:TRUE", "nameConstraints", nc, NULL };
    if (nc == NULL)
        iext[2] = NULL;
    X509 *inter = mk_cert("nc intermediate", root, rk, ik, iext);
    const char *lext[] = { "subjectAltName", san, NULL };
    if (san == NULL)
        lext[0] = NULL;
    X509 *leaf = mk_cert("localhost", inter, ik, lk, lext);
    struct chain c = { 0 };
    chain_push_x509(&c, leaf);
    chain_push_x509(&c, inter);
    unsigned char *der = NULL;
    int len = i2d_X509(root, &der);
    struct dtls_x509_anchor a;
    cr_assert_eq(dtls_x509_anchor_from_der(der, (size_t)len, &a), 0);
    OPENSSL_free(der);
    struct dtls_x509_anchors an = { &a, 1 };
    int rc = validate(&c, &an, T2030, host, DTLS_X509_PURPOSE_SERVER);
    chain_free(&c);
    X509_free(root);
    X509_free(inter);
    X509_free(leaf);
    EVP_PKEY_free(rk);
    EVP_PKEY_free(ik);
    EVP_PKEY_free(lk);
    return rc;
}

static int nc_case(const char *nc, const char *san, const char *host)
{
    return nc_case_k(nc, san, host, 1);
}

Test(x509, name_constraints)
{
    static const struct {
        const char *nc, *san, *host;
        int rc;
    } t[] = {
        { "critical,permitted;DNS:example.com", "DNS:a.example.com", "a.example.com", 0 },
        { "critical,permitted;DNS:example.com", "DNS:example.com", "example.com", 0 },
        { "critical,permitted;DNS:example.com", "DNS:a.b.example.com", "a.b.example.com", 0 },
        { "critical,permitted;DNS:example.com", "DNS:badexample.com", "badexample.com", DTLS_X509_E_NAME_CONSTRAINTS },
        { "critical,permitted;DNS:.example.com", "DNS:example.com", "example.com", DTLS_X509_E_NAME_CONSTRAINTS },
        { "critical,permitted;DNS:.example.com", "DNS:a.example.com", "a.example.com", 0 },
        { "critical,permitted;DNS:EXAMPLE.com", "DNS:a.Example.COM", "a.example.com", 0 },
        /* every SAN name is checked, not only the one that matched */
        { "critical,permitted;DNS:example.com", "DNS:a.example.com,DNS:evil.org", "a.example.com",
          DTLS_X509_E_NAME_CONSTRAINTS },
        { "critical,permitted;DNS:example.com,permitted;DNS:example.org", "DNS:a.example.com,DNS:b.example.org",
          "a.example.com", 0 },
        { "critical,excluded;DNS:bad.example.com", "DNS:good.example.com", "good.example.com", 0 },
        { "critical,excluded;DNS:bad.example.com", "DNS:x.bad.example.com", "x.bad.example.com",
          DTLS_X509_E_NAME_CONSTRAINTS },
        /* a wildcard that could cover an excluded name */
        { "critical,excluded;DNS:bad.example.com", "DNS:*.example.com", "good.example.com",
          DTLS_X509_E_NAME_CONSTRAINTS },
        { "critical,permitted;DNS:example.com", "DNS:*.example.com", "a.example.com", 0 },
        { "critical,permitted;DNS:a.example.com", "DNS:*.example.com", "a.example.com", DTLS_X509_E_NAME_CONSTRAINTS },
        /* excluded wins over permitted */
        { "critical,permitted;DNS:example.com,excluded;DNS:x.example.com", "DNS:x.example.com", "x.example.com",
          DTLS_X509_E_NAME_CONSTRAINTS },
        /* DNS constraints do not restrict IP names and vice versa */
        { "critical,permitted;DNS:example.com", "DNS:a.example.com,IP:10.1.2.3", "10.1.2.3", 0 },
        { "critical,permitted;IP:10.0.0.0/255.0.0.0", "IP:10.1.2.3", "10.1.2.3", 0 },
        { "critical,permitted;IP:10.0.0.0/255.0.0.0", "IP:11.1.2.3", "11.1.2.3", DTLS_X509_E_NAME_CONSTRAINTS },
        { "critical,permitted;IP:10.0.0.0/255.0.0.0", "DNS:a.example.com", "a.example.com", 0 },
        { "critical,excluded;IP:192.168.0.0/255.255.0.0", "IP:192.168.7.7", "192.168.7.7",
          DTLS_X509_E_NAME_CONSTRAINTS },
        { "critical,excluded;IP:192.168.0.0/255.255.0.0", "IP:192.169.7.7", "192.169.7.7", 0 },
        { "critical,permitted;IP:fd00::/ff00::", "IP:fd12::1", "fd12::1", 0 },
        { "critical,permitted;IP:fd00::/ff00::", "IP:fe12::1", "fe12::1", DTLS_X509_E_NAME_CONSTRAINTS },
        /* an IPv4 constraint does not cover IPv6 names */
        { "critical,permitted;IP:10.0.0.0/255.0.0.0", "IP:::1", "::1", DTLS_X509_E_NAME_CONSTRAINTS },
        /* forms we cannot evaluate: reject when the leaf has such a name */
        { "critical,permitted;email:example.com", "DNS:a.example.com", "a.example.com", 0 },
        { "critical,permitted;email:example.com", "DNS:a.example.com,email:x@example.com", "a.example.com",
          DTLS_X509_E_NAME_CONSTRAINTS },
        { "critical,permitted;dirName:dir_sect_never_defined", NULL, NULL, -1 }, /* skipped below */
        /* no constraints */
        { NULL, "DNS:a.example.com", "a.example.com", 0 },
    };
    int ran = 0;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (t[i].rc == -1)
            continue;
        int rc = nc_case(t[i].nc, t[i].san, t[i].host);
        cr_expect_eq(rc, t[i].rc, "nc \"%s\" san \"%s\": %s", t[i].nc ? t[i].nc : "-", t[i].san,
                     dtls_x509_error_name(rc));
        ran++;
    }
    fprintf(stderr, "x509 name constraints: %d cases\n", ran);
}

Test(x509, san_matching_through_validator)
{
    static const struct {
        const char *san, *host;
        int ok;
    } t[] = {
        { "DNS:*.example.com", "a.example.com", 1 },
        { "DNS:*.example.com", "A.EXAMPLE.COM", 1 },
        { "DNS:*.example.com", "example.com", 0 },
        { "DNS:*.example.com", "a.b.example.com", 0 },
        { "DNS:*.example.com", ".example.com", 0 },
        { "DNS:*.com", "example.com", 0 },
        { "DNS:f*.example.com", "foo.example.com", 0 },
        { "DNS:*oo.example.com", "foo.example.com", 0 },
        { "DNS:a.*.example.com", "a.b.example.com", 0 },
        { "DNS:*.*.example.com", "a.b.example.com", 0 },
        { "DNS:*", "localhost", 0 },
        { "DNS:example.com", "example.com", 1 },
        { "DNS:example.com.", "example.com", 1 },
        { "DNS:127.0.0.1", "127.0.0.1", 0 },             /* an IP reference never matches a dNSName */
        { "IP:127.0.0.1", "127.0.0.1", 1 },
        { "IP:127.0.0.1", "::ffff:127.0.0.1", 0 },
        { "IP:::ffff:127.0.0.1", "::ffff:7f00:1", 1 },
        { "IP:2001:db8::1", "2001:DB8:0:0:0:0:0:1", 1 },
        { "IP:10.0.0.1", "localhost", 0 },
        { "email:localhost@example.com", "localhost", 0 },
        { "URI:https://localhost/", "localhost", 0 },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int rc = nc_case(NULL, t[i].san, t[i].host);
        cr_expect_eq(rc, t[i].ok ? 0 : DTLS_X509_E_HOSTNAME, "san %s host %s: %s", t[i].san, t[i].host,
                     dtls_x509_error_name(rc));
    }
    /* no SAN at all: no CN fallback, even though CN=localhost */
    cr_expect_eq(nc_case(NULL, NULL, "localhost"), DTLS_X509_E_HOSTNAME);
    cr_expect_eq(nc_case(NULL, NULL, NULL), 0);
}

/* Many SAN names that do not fit DTLS_X509_NAMES_MAX under a name-constrained CA: fail closed. */
Test(x509, name_constraints_fail_closed_on_overflow)
{
    char san[8192] = "DNS:a.example.com";
    for (int i = 0; i < 40; i++) {
        char one[64];
        snprintf(one, sizeof one, ",DNS:host-number-%02d.example.com", i);
        strcat(san, one);
    }
    cr_assert_eq(nc_case_k("critical,permitted;DNS:example.com", san, "a.example.com", 0),
                 DTLS_X509_E_NAME_CONSTRAINTS);
    cr_assert_eq(nc_case_k(NULL, san, "host-number-39.example.com", 0), 0);
    /* constraints on a form the overflowing names do not use still pass */
    cr_assert_eq(nc_case_k("critical,permitted;email:example.com", san, "a.example.com", 0), 0);
}

/* An Ed25519-signed certificate is kept whole until its issuer arrives:
 * above DTLS_X509_ED25519_TBS_MAX that is a documented limit, unless the
 * issuer is an anchor (checked while the DER is still there). */
Test(x509, ed25519_large_tbs)
{
    char san[8192] = "DNS:localhost";
    for (int i = 0; i < 30; i++) {
        char one[64];
        snprintf(one, sizeof one, ",DNS:a-rather-long-host-name-%02d.example.com", i);
        strcat(san, one);
    }
    cr_assert_eq(nc_case(NULL, san, "localhost"), DTLS_X509_E_TOO_LARGE);
    /* leaf directly under the anchor */
    EVP_PKEY *rk = key_ed25519(), *lk = key_ed25519();
    X509 *root = mk_cert("root", NULL, rk, rk, EXT_CA);
    const char *lext[] = { "subjectAltName", san, NULL };
    X509 *leaf = mk_cert("leaf", root, rk, lk, lext);
    struct chain c = { 0 };
    chain_push_x509(&c, leaf);
    cr_assert_gt(c.len[0], DTLS_X509_ED25519_TBS_MAX);
    unsigned char *der = NULL;
    int len = i2d_X509(root, &der);
    struct dtls_x509_anchor a;
    cr_assert_eq(dtls_x509_anchor_from_der(der, (size_t)len, &a), 0);
    OPENSSL_free(der);
    struct dtls_x509_anchors an = { &a, 1 };
    cr_assert_eq(validate(&c, &an, T2030, "localhost", DTLS_X509_PURPOSE_SERVER), 0);
    chain_free(&c);
    X509_free(root);
    X509_free(leaf);
    EVP_PKEY_free(rk);
    EVP_PKEY_free(lk);
}

/* ---------------------------------------------------------------------- */
/* The crypto provider seam                                                */
/* ---------------------------------------------------------------------- */

static int calls;
static int counting_p256_verify(const uint8_t *pub, size_t pub_len, const uint8_t *hash, size_t hash_len,
                                const uint8_t sig[64])
{
    calls++;
    return dtls_crypto_builtin.p256_verify(pub, pub_len, hash, hash_len, sig);
}
static int failing_p256_verify(const uint8_t *pub, size_t pub_len, const uint8_t *hash, size_t hash_len,
                               const uint8_t sig[64])
{
    (void)pub, (void)pub_len, (void)hash, (void)hash_len, (void)sig;
    calls++;
    return -1;
}

Test(x509, signatures_go_through_the_provider)
{
    struct chain c = { 0 };
    struct dtls_x509_anchor a[1];
    struct dtls_x509_anchors an;
    load_case("p256", &c, a, &an);
    struct dtls_crypto cr = dtls_crypto_builtin;
    struct dtls_x509_validator v;
    for (int mode = 0; mode < 3; mode++) {
        cr.p256_verify = mode == 0 ? counting_p256_verify : mode == 1 ? failing_p256_verify : NULL;
        calls = 0;
        dtls_x509_validator_init(&v, &an, T2030, "localhost", DTLS_X509_PURPOSE_SERVER);
        dtls_x509_validator_set_crypto(&v, &cr);
        int rc = 0;
        for (int i = 0; i < c.n && rc == 0; i++)
            rc = dtls_x509_validator_add(&v, c.der[i], c.len[i]);
        rc = dtls_x509_validator_finish(&v);
        if (mode == 0) {
            cr_assert_eq(rc, 0);
            cr_assert_eq(calls, 2); /* leaf by intermediate, intermediate by root */
        } else if (mode == 1) {
            cr_assert_eq(rc, DTLS_X509_E_BAD_SIGNATURE);
            cr_assert_geq(calls, 1);
        } else {
            cr_assert_eq(rc, DTLS_X509_E_UNSUPPORTED_ALGORITHM);
        }
    }
    chain_free(&c);
}

/* The certificate-signature hash also comes from the provider: a table without
 * SHA-384/512 (so a firmware does not link them) rejects such chains as
 * unsupported, never accepts them unchecked. */
static unsigned hash_calls;
static const struct dtls_hash *wrapped_hash;
static void counting_init(dtls_hash_ctx *c)
{
    hash_calls++;
    wrapped_hash->init(c);
}
static void counting_update(dtls_hash_ctx *c, const void *d, size_t n)
{
    wrapped_hash->update(c, d, n);
}
static void counting_final(dtls_hash_ctx *c, uint8_t *out)
{
    wrapped_hash->final(c, out);
}

Test(x509, certificate_hashes_go_through_the_provider)
{
    static const char *cases[] = { "p384", "rsa4096" }; /* signed with SHA-384, SHA-512 */
    for (int k = 0; k < 2; k++) {
        struct chain c = { 0 };
        struct dtls_x509_anchor a[1];
        struct dtls_x509_anchors an;
        load_case(cases[k], &c, a, &an);
        struct dtls_crypto cr = dtls_crypto_builtin;
        const struct dtls_hash **slot = k == 0 ? &cr.sha384 : &cr.sha512;
        struct dtls_hash counting = **slot;
        wrapped_hash = *slot;
        counting.init = counting_init;
        counting.update = counting_update;
        counting.final = counting_final;
        for (int mode = 0; mode < 2; mode++) {
            *slot = mode == 0 ? &counting : NULL;
            hash_calls = 0;
            struct dtls_x509_validator v;
            dtls_x509_validator_init(&v, &an, T2030, "localhost", DTLS_X509_PURPOSE_SERVER);
            dtls_x509_validator_set_crypto(&v, &cr);
            int rc = 0;
            for (int i = 0; i < c.n && rc == 0; i++)
                rc = dtls_x509_validator_add(&v, c.der[i], c.len[i]);
            rc = dtls_x509_validator_finish(&v);
            if (mode == 0) {
                cr_assert_eq(rc, 0, "%s: %d", cases[k], rc);
                cr_assert_geq(hash_calls, 2, "%s", cases[k]); /* leaf and intermediate TBS */
            } else {
                cr_assert_eq(rc, DTLS_X509_E_UNSUPPORTED_ALGORITHM, "%s: %d", cases[k], rc);
            }
        }
        chain_free(&c);
    }
}

/* ---------------------------------------------------------------------- */
/* Pinning                                                                 */
/* ---------------------------------------------------------------------- */

Test(x509, spki_pin_matches_openssl_cli)
{
    static const char *cases[] = { "rsa2048", "rsapss", "p256", "p384", "ed25519" };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char cmd[8192], b64[128] = { 0 };
        snprintf(cmd, sizeof cmd,
                 "openssl x509 -in '%s' -pubkey -noout | openssl pkey -pubin -outform der | "
                 "openssl dgst -sha256 -binary | openssl base64 -A",
                 pki_path(cases[i], "leaf.pem"));
        FILE *p = popen(cmd, "r");
        cr_assert(p);
        cr_assert(fgets(b64, sizeof b64, p));
        pclose(p);
        b64[strcspn(b64, "\r\n")] = 0;
        struct chain c = { 0 };
        chain_load(&c, pki_path(cases[i], "leaf.pem"));
        uint8_t h[32], expect[32];
        cr_assert_eq(dtls_x509_spki_sha256(c.der[0], c.len[0], h), 0);
        cr_assert_eq(dtls_base64_decode(b64, strlen(b64), expect, sizeof expect), 32);
        cr_assert_eq(memcmp(h, expect, 32), 0, "%s: pin differs from openssl's", cases[i]);
        char pins[512];
        snprintf(pins, sizeof pins, "sha256//%s", b64);
        cr_assert_eq(dtls_x509_pin_check(pins, h), 0);
        snprintf(pins, sizeof pins, "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=;sha256//%s", b64);
        cr_assert_eq(dtls_x509_pin_check(pins, h), 0);
        cr_assert_eq(dtls_x509_pin_check("sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", h),
                     DTLS_X509_E_PIN_MISMATCH);
        snprintf(pins, sizeof pins, "sha256//%s;", b64);
        cr_assert_eq(dtls_x509_pin_check(pins, h), DTLS_X509_E_INVALID_ARGUMENT);
        snprintf(pins, sizeof pins, "sha1//%s", b64);
        cr_assert_eq(dtls_x509_pin_check(pins, h), DTLS_X509_E_INVALID_ARGUMENT);
        cr_assert_eq(dtls_x509_pin_check("sha256//notbase64", h), DTLS_X509_E_INVALID_ARGUMENT);
        cr_assert_eq(dtls_x509_pin_check("", h), DTLS_X509_E_INVALID_ARGUMENT);

        /* the validator reports the same hash for its leaf */
        struct chain full = { 0 };
        struct dtls_x509_anchor a[1];
        struct dtls_x509_anchors an;
        load_case(cases[i], &full, a, &an);
        struct dtls_x509_validator v;
        cr_assert_eq(validate_ex(&full, &an, T2030, "localhost", DTLS_X509_PURPOSE_SERVER, NULL, &v), 0);
        uint8_t h2[32];
        cr_assert_eq(dtls_x509_validator_leaf_spki_sha256(&v, h2), 0);
        cr_assert_eq(memcmp(h, h2, 32), 0);
        chain_free(&full);
        chain_free(&c);
    }
}

/* ---------------------------------------------------------------------- */
/* PEM bundles and anchors                                                 */
/* ---------------------------------------------------------------------- */

Test(x509, pem_bundle_loading)
{
    struct pki_case cs[64];
    int n = cases_load(cs, 64);
    /* A bundle: every case's root, some twice, with a key block and prose in between. */
    size_t cap = 1 << 20, len = 0;
    char *bundle = malloc(cap);
    len += (size_t)snprintf(bundle, cap, "# a bundle\n");
    for (int i = 0; i < n; i++) {
        size_t l;
        char *p = test_read_file(pki_path(cs[i].name, "ca.pem"), &l);
        memcpy(bundle + len, p, l);
        len += l;
        free(p);
        if (i == 3) {
            p = test_read_file(pki_path("p256", "key.pem"), &l);
            memcpy(bundle + len, p, l);
            len += l;
            free(p);
        }
    }
    /* a weak (RSA-1024) certificate is skipped, not fatal */
    {
        size_t l;
        char *p = test_read_file(pki_path("weak-key", "leaf.pem"), &l);
        memcpy(bundle + len, p, l);
        len += l;
        free(p);
    }
    char *copy = malloc(len);
    memcpy(copy, bundle, len);
    size_t skipped = 99;
    int count = dtls_x509_anchors_from_pem(bundle, len, (uint8_t[8192]){ 0 }, 8192, NULL, 0, &skipped);
    cr_assert_eq(count, n, "counted %d anchors of %d", count, n);
    cr_assert_eq(skipped, 1);
    struct dtls_x509_anchor *a = calloc((size_t)n, sizeof *a), *b = calloc((size_t)n, sizeof *b);
    uint8_t scratch[8192];
    cr_assert_eq(dtls_x509_anchors_from_pem(bundle, len, scratch, sizeof scratch, a, (size_t)n, &skipped), n);
    cr_assert_eq(dtls_x509_anchors_from_pem(bundle, len, scratch, sizeof scratch, a, (size_t)n - 1, NULL),
                 DTLS_X509_E_BUFFER_TOO_SMALL);
    cr_assert_eq(dtls_x509_anchors_from_pem(bundle, len, scratch, 100, a, (size_t)n, NULL),
                 DTLS_X509_E_BUFFER_TOO_SMALL);
    cr_assert_eq(dtls_x509_anchors_from_pem_inplace(copy, len, b, (size_t)n, &skipped), n);
    cr_assert_eq(memcmp(a, b, (size_t)n * sizeof *a), 0, "in place and scratch decoding agree");
    /* anchors equal anchor_from_der of OpenSSL's decoding */
    for (int i = 0; i < n; i++) {
        struct chain c = { 0 };
        chain_load(&c, pki_path(cs[i].name, "ca.pem"));
        struct dtls_x509_anchor one;
        cr_assert_eq(dtls_x509_anchor_from_der(c.der[0], c.len[0], &one), 0);
        cr_assert_eq(memcmp(&one, &a[i], sizeof one), 0, "anchor %d", i);
        cr_assert(one.flags & DTLS_X509_ANCHOR_CA);
        chain_free(&c);
    }
    /* a bundle validates every good case */
    struct dtls_x509_anchors an = { a, (size_t)n };
    for (int i = 0; i < n; i++) {
        if (strcmp(cs[i].expect, "ok") != 0)
            continue;
        struct chain c = { 0 };
        chain_load(&c, pki_path(cs[i].name, "chain.pem"));
        enum dtls_x509_purpose pu =
            strcmp(cs[i].purpose, "client") == 0 ? DTLS_X509_PURPOSE_CLIENT : DTLS_X509_PURPOSE_SERVER;
        cr_assert_eq(validate(&c, &an, T2030, strcmp(cs[i].host, "-") ? cs[i].host : NULL, pu), 0, "%s",
                     cs[i].name);
        chain_free(&c);
    }
    fprintf(stderr, "x509 sizes: anchor %zu bytes, validator %zu bytes (pending slots %d, max RSA %d bits)\n",
            sizeof(struct dtls_x509_anchor), sizeof(struct dtls_x509_validator), DTLS_X509_MAX_PENDING,
            DTLS_X509_MAX_RSA_BITS);
    free(a);
    free(b);
    free(bundle);
    free(copy);
}

/* The system bundle (Debian path; skipped elsewhere): real roots must load. */
Test(x509, system_bundle)
{
    static const char *paths[] = { "/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                                   "/etc/ssl/cert.pem" };
    const char *path = NULL;
    for (size_t i = 0; i < sizeof paths / sizeof paths[0] && !path; i++)
        if (access(paths[i], R_OK) == 0)
            path = paths[i];
    if (!path)
        cr_skip_test("no system CA bundle found");
    size_t len, skipped;
    char *pem = test_read_file(path, &len);
    uint8_t scratch[16384];
    int n = dtls_x509_anchors_from_pem(pem, len, scratch, sizeof scratch, NULL, 0, &skipped);
    fprintf(stderr, "x509 system bundle %s: %d anchors, %zu skipped\n", path, n, skipped);
    cr_assert_gt(n, 100);
    cr_assert_leq(skipped, 3, "%zu roots of the system bundle could not be used", skipped);
    free(pem);
}

/* ---------------------------------------------------------------------- */
/* Private keys                                                            */
/* ---------------------------------------------------------------------- */

static int key_from_file(const char *path, struct dtls_x509_private_key *k, size_t scratch_len)
{
    size_t len;
    char *pem = test_read_file(path, &len);
    uint8_t *scratch = malloc(scratch_len);
    memset(scratch, 0x77, scratch_len);
    int rc = dtls_x509_private_key_from_pem(pem, len, scratch, scratch_len, k);
    for (size_t i = 0; i < scratch_len; i++)
        cr_assert_eq(scratch[i], 0, "scratch not wiped at %zu", i);
    free(scratch);
    free(pem);
    return rc;
}

Test(x509, private_keys)
{
    static const struct {
        const char *cas;
        enum dtls_key_type type;
    } t[] = { { "p256", DTLS_KEY_P256 }, { "client-p256", DTLS_KEY_P256 }, { "ed25519", DTLS_KEY_ED25519 },
              { "client-ed25519", DTLS_KEY_ED25519 } };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct dtls_x509_private_key k;
        cr_assert_eq(key_from_file(pki_path(t[i].cas, "key.pem"), &k, 512), 0, "%s", t[i].cas);
        cr_assert_eq(k.type, t[i].type);
        struct chain c = { 0 };
        chain_load(&c, pki_path(t[i].cas, "leaf.pem"));
        struct dtls_pubkey_ref pub;
        cr_assert_eq(dtls_x509_cert_pubkey(c.der[0], c.len[0], &pub), 0);
        cr_assert_eq(dtls_x509_private_key_matches(&k, &pub), 0, "%s: key does not match its certificate", t[i].cas);
        /* the same bytes OpenSSL sees */
        EVP_PKEY *ok = key_load(pki_path(t[i].cas, "key.pem"));
        uint8_t raw[32];
        if (t[i].type == DTLS_KEY_ED25519) {
            size_t rl = 32;
            cr_assert(EVP_PKEY_get_raw_private_key(ok, raw, &rl) == 1 && rl == 32);
        } else {
            BIGNUM *bn = NULL;
            cr_assert(EVP_PKEY_get_bn_param(ok, "priv", &bn) == 1);
            cr_assert_eq(BN_bn2binpad(bn, raw, 32), 32);
            BN_free(bn);
        }
        cr_assert_eq(memcmp(raw, k.secret, 32), 0);
        EVP_PKEY_free(ok);
        /* the wrong certificate */
        struct chain o = { 0 };
        chain_load(&o, pki_path(t[i].type == DTLS_KEY_P256 ? "client-p256" : "client-ed25519", "leaf.pem"));
        if (strncmp(t[i].cas, "client", 6) != 0) {
            cr_assert_eq(dtls_x509_cert_pubkey(o.der[0], o.len[0], &pub), 0);
            cr_assert_eq(dtls_x509_private_key_matches(&k, &pub), -1);
        }
        dtls_x509_private_key_wipe(&k);
        cr_assert_eq(k.type, DTLS_KEY_NONE);
        chain_free(&c);
        chain_free(&o);
    }
    /* RSA: not supported for client auth */
    struct dtls_x509_private_key k;
    cr_assert_eq(key_from_file(pki_path("rsa2048", "key.pem"), &k, 4096), DTLS_X509_E_UNSUPPORTED_ALGORITHM);
    /* a certificate file is not a key */
    cr_assert_eq(key_from_file(pki_path("p256", "leaf.pem"), &k, 4096), DTLS_X509_E_BAD_PEM);
    /* certificate + key in one file, scratch too small for the certificate: the key is still found */
    {
        size_t l1, l2;
        char *c1 = test_read_file(pki_path("rsa4096", "leaf.pem"), &l1), *c2 = test_read_file(pki_path("p256", "key.pem"), &l2);
        char *both = malloc(l1 + l2);
        memcpy(both, c1, l1);
        memcpy(both + l1, c2, l2);
        uint8_t scratch[256];
        cr_assert_eq(dtls_x509_private_key_from_pem(both, l1 + l2, scratch, sizeof scratch, &k), 0);
        cr_assert_eq(k.type, DTLS_KEY_P256);
        free(c1);
        free(c2);
        free(both);
    }
    /* SEC1 "EC PRIVATE KEY" (with and without the public key), through OpenSSL */
    for (int with_pub = 0; with_pub < 2; with_pub++) {
        EVP_PKEY *ek = key_load(pki_path("p256", "key.pem"));
        OSSL_ENCODER_CTX *ectx = NULL;
        (void)ectx;
        BIO *b = BIO_new(BIO_s_mem());
        if (!with_pub)
            EVP_PKEY_set_utf8_string_param(ek, "include-public", "no");
        cr_assert(PEM_write_bio_PrivateKey_traditional(b, ek, NULL, NULL, 0, NULL, NULL) == 1);
        char *data;
        long dl = BIO_get_mem_data(b, &data);
        cr_assert(strstr(data, "BEGIN EC PRIVATE KEY"));
        uint8_t scratch[512];
        cr_assert_eq(dtls_x509_private_key_from_pem(data, (size_t)dl, scratch, sizeof scratch, &k), 0);
        struct chain c = { 0 };
        chain_load(&c, pki_path("p256", "leaf.pem"));
        struct dtls_pubkey_ref pub;
        cr_assert_eq(dtls_x509_cert_pubkey(c.der[0], c.len[0], &pub), 0);
        cr_assert_eq(dtls_x509_private_key_matches(&k, &pub), 0);
        chain_free(&c);
        BIO_free(b);
        EVP_PKEY_free(ek);
    }
    /* P-384 and encrypted keys */
    {
        EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
        BIO *b = BIO_new(BIO_s_mem());
        cr_assert(PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL) == 1);
        char *data;
        long dl = BIO_get_mem_data(b, &data);
        uint8_t scratch[512];
        cr_assert_eq(dtls_x509_private_key_from_pem(data, (size_t)dl, scratch, sizeof scratch, &k),
                     DTLS_X509_E_UNSUPPORTED_ALGORITHM);
        BIO_free(b);
        b = BIO_new(BIO_s_mem());
        cr_assert(PEM_write_bio_PrivateKey(b, pk, EVP_aes_128_cbc(), NULL, 0, NULL, (void *)"pw") == 1);
        dl = BIO_get_mem_data(b, &data);
        cr_assert_eq(dtls_x509_private_key_from_pem(data, (size_t)dl, scratch, sizeof scratch, &k),
                     DTLS_X509_E_UNSUPPORTED_ALGORITHM);
        BIO_free(b);
        EVP_PKEY_free(pk);
    }
    /* a P-256 scalar out of range (n) or zero */
    {
        static const uint8_t n[32] = { 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
                                       0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
                                       0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51 };
        uint8_t der[64] = { 0x30, 0x2e, 0x02, 0x01, 0x01, 0x04, 0x20 };
        memcpy(der + 7, n, 32);
        static const uint8_t params[] = { 0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
        memcpy(der + 39, params, sizeof params);
        der[1] = (uint8_t)(3 + 34 + sizeof params);
        size_t dl = 2 + der[1];
        cr_assert_eq(dtls_x509_private_key_from_der(der, dl, &k), DTLS_X509_E_BAD_KEY);
        memset(der + 7, 0, 32);
        cr_assert_eq(dtls_x509_private_key_from_der(der, dl, &k), DTLS_X509_E_BAD_KEY);
        der[38] = 1;
        cr_assert_eq(dtls_x509_private_key_from_der(der, dl, &k), 0);
        memset(der + 7, 0xff, 32); /* > n */
        cr_assert_eq(dtls_x509_private_key_from_der(der, dl, &k), DTLS_X509_E_BAD_KEY);
        for (size_t i = 0; i < sizeof k; i++)
            cr_assert_eq(((uint8_t *)&k)[i], 0, "key not wiped after an error");
    }
}

/* ---------------------------------------------------------------------- */
/* Error names and alerts                                                  */
/* ---------------------------------------------------------------------- */

Test(x509, error_names_and_alerts)
{
    static const struct {
        int err;
        const char *name;
        int alert;
    } t[] = {
        { DTLS_X509_E_EXPIRED, "certificate_expired", 45 },
        { DTLS_X509_E_NOT_YET_VALID, "certificate_not_yet_valid", 45 },
        { DTLS_X509_E_UNKNOWN_CA, "unknown_ca", 48 },
        { DTLS_X509_E_HOSTNAME, "hostname_mismatch", 46 },
        { DTLS_X509_E_BAD_SIGNATURE, "bad_signature", 42 },
        { DTLS_X509_E_NOT_A_CA, "not_a_ca", 48 },
        { DTLS_X509_E_PATH_LENGTH, "path_length_exceeded", 48 },
        { DTLS_X509_E_KEY_USAGE, "bad_key_usage", 43 },
        { DTLS_X509_E_EXT_KEY_USAGE, "bad_extended_key_usage", 43 },
        { DTLS_X509_E_NAME_CONSTRAINTS, "name_constraints_violation", 46 },
        { DTLS_X509_E_CRITICAL_EXTENSION, "unsupported_critical_extension", 43 },
        { DTLS_X509_E_WEAK_KEY, "weak_key", 43 },
        { DTLS_X509_E_WEAK_SIGNATURE, "weak_signature", 43 },
        { DTLS_X509_E_BAD_CERTIFICATE, "bad_certificate", 42 },
        { DTLS_X509_E_CHAIN_TOO_LONG, "chain_too_long", 48 },
        { DTLS_X509_E_UNSUPPORTED_ALGORITHM, "unsupported_algorithm", 43 },
        { DTLS_X509_E_TOO_LARGE, "certificate_too_large", 43 },
        { DTLS_X509_E_NO_CERTIFICATE, "no_certificate", 42 },
        { DTLS_X509_E_PIN_MISMATCH, "pinned_key_mismatch", 46 },
        { DTLS_X509_E_BAD_PEM, "bad_pem", 80 },
        { DTLS_X509_E_BAD_KEY, "bad_private_key", 80 },
        { DTLS_X509_E_BUFFER_TOO_SMALL, "buffer_too_small", 80 },
        { DTLS_X509_E_INVALID_ARGUMENT, "invalid_argument", 80 },
        { 0, "ok", 0 },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        cr_assert_str_eq(dtls_x509_error_name(t[i].err), t[i].name);
        cr_assert_eq(dtls_x509_alert(t[i].err), t[i].alert, "%s", t[i].name);
    }
    cr_assert_str_eq(dtls_x509_error_name(-1), "unknown_error");
    /* every code in -200..-222 has a distinct name */
    for (int a = -222; a <= -200; a++)
        for (int b = a + 1; b <= -200; b++)
            cr_assert_str_neq(dtls_x509_error_name(a), dtls_x509_error_name(b));
}

/* ---------------------------------------------------------------------- */
/* Parsed fields agree with OpenSSL                                        */
/* ---------------------------------------------------------------------- */

Test(x509, parsed_fields_agree_with_openssl)
{
    struct pki_case cs[64];
    int n = cases_load(cs, 64), checked = 0;
    for (int i = 0; i < n; i++) {
        struct chain c = { 0 };
        chain_load(&c, pki_path(cs[i].name, "chain.pem"));
        chain_load(&c, pki_path(cs[i].name, "ca.pem"));
        for (int j = 0; j < c.n; j++) {
            struct dtls_x509_cert pc;
            cr_assert_eq(dtls_x509_cert_parse(c.der[j], c.len[j], &pc), 0, "%s #%d", cs[i].name, j);
            const unsigned char *p = c.der[j];
            X509 *x = d2i_X509(NULL, &p, (long)c.len[j]);
            cr_assert(x);
            /* validity */
            struct tm tm;
            cr_assert(ASN1_TIME_to_tm(X509_get0_notBefore(x), &tm) == 1);
            cr_assert_eq(pc.not_before, (int64_t)timegm(&tm));
            cr_assert(ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1);
            cr_assert_eq(pc.not_after, (int64_t)timegm(&tm));
            /* names, as RFC 2253 strings */
            char want[512], got[512];
            BIO *b = BIO_new(BIO_s_mem());
            X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253);
            int wl = BIO_read(b, want, sizeof want - 1);
            want[wl > 0 ? wl : 0] = 0;
            BIO_free(b);
            cr_assert_gt(dtls_x509_name_string(pc.subject, pc.subject_len, got, sizeof got), 0);
            cr_assert_str_eq(got, want);
            /* flags */
            uint32_t ex = X509_get_extension_flags(x);
            cr_assert_eq(!!(pc.flags & DTLS_X509_CERT_CA), !!(ex & EXFLAG_CA));
            cr_assert_eq(!!(pc.flags & DTLS_X509_CERT_HAS_KU), !!(ex & EXFLAG_KUSAGE));
            if (ex & EXFLAG_KUSAGE) {
                /* OpenSSL keeps the BIT STRING octets (0x80 = digitalSignature); we number bits */
                uint32_t o = 0;
                for (int bit = 0; bit < 9; bit++)
                    if (pc.key_usage & (1u << bit))
                        o |= bit < 8 ? 0x80u >> bit : 0x8000u;
                cr_assert_eq(o, X509_get_key_usage(x));
            }
            cr_assert_eq(!!(pc.flags & DTLS_X509_CERT_HAS_EKU), !!(ex & EXFLAG_XKUSAGE));
            cr_assert_eq(!!(pc.flags & DTLS_X509_CERT_UNKNOWN_CRITICAL), !!(ex & EXFLAG_CRITICAL));
            /* SPKI and TBS */
            unsigned char *spki = NULL;
            int sl = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki);
            cr_assert(sl == (int)pc.spki_len && memcmp(spki, pc.spki, pc.spki_len) == 0);
            OPENSSL_free(spki);
            unsigned char *tbs = NULL;
            int tl = i2d_re_X509_tbs(x, &tbs);
            cr_assert(tl == (int)pc.tbs_len && memcmp(tbs, pc.tbs, pc.tbs_len) == 0);
            OPENSSL_free(tbs);
            X509_free(x);
            checked++;
        }
        chain_free(&c);
    }
    fprintf(stderr, "x509 parse vs OpenSSL: %d certificates\n", checked);
}

/* ====================================================================== */
/* Hostile input                                                           */
/* ====================================================================== */


static const char *const good_cases[] = { "p256", "ed25519", "p384", "rsa2048", "rsapss", "long", "nc-ok",
                                          "client-p256" };

/* Every public entry point that takes a DER certificate; results ignored. */
static void poke(const uint8_t *der, size_t len)
{
    struct dtls_x509_cert c;
    struct dtls_pubkey_ref k;
    struct dtls_x509_anchor a;
    uint8_t h[32];
    char name[256];
    if (dtls_x509_cert_parse(der, len, &c) == 0) {
        size_t pos = 0, nl;
        unsigned type;
        const uint8_t *nm;
        while (dtls_x509_san_next(&c, &pos, &type, &nm, &nl))
            cr_assert(nm >= der && nm + nl <= der + len);
        dtls_x509_name_string(c.subject, c.subject_len, name, sizeof name);
        dtls_x509_name_string(c.issuer, c.issuer_len, name, 8);
        cr_assert(c.tbs >= der && c.tbs + c.tbs_len <= der + len);
        cr_assert(c.sig >= der && c.sig + c.sig_len <= der + len);
    }
    dtls_x509_cert_pubkey(der, len, &k);
    dtls_x509_anchor_from_der(der, len, &a);
    dtls_x509_spki_sha256(der, len, h);
    struct dtls_x509_validator v;
    dtls_x509_validator_init(&v, NULL, T2030, "localhost", DTLS_X509_PURPOSE_SERVER);
    dtls_x509_validator_add(&v, der, len);
    cr_assert_neq(dtls_x509_validator_finish(&v), 0);
}

/* Validate chain c with certificate `which` replaced by (der, len): must fail. */
static void must_not_validate(const struct chain *c, const struct dtls_x509_anchors *an, int which, const uint8_t *der,
                              size_t len)
{
    static uint8_t buf[16384];
    struct dtls_x509_validator v;
    dtls_x509_validator_init(&v, an, T2030, "localhost", DTLS_X509_PURPOSE_ANY);
    for (int i = 0; i < c->n; i++) {
        const uint8_t *p = i == which ? der : c->der[i];
        size_t l = i == which ? len : c->len[i];
        memcpy(buf, p, l);
        if (dtls_x509_validator_add(&v, buf, l) != 0)
            break;
        memset(buf, 0x5a, l);
    }
    int rc = dtls_x509_validator_finish(&v);
    cr_assert_neq(rc, 0, "a damaged certificate #%d (%zu bytes) validated", which, len);
}

Test(x509_robust, truncations)
{
    unsigned ran = 0;
    for (size_t ci = 0; ci < sizeof good_cases / sizeof good_cases[0]; ci++) {
        struct chain c = { 0 };
        struct dtls_x509_anchor a[1];
        chain_load(&c, pki_path(good_cases[ci], "chain.pem"));
        struct dtls_x509_anchors an = { a, anchors_load(pki_path(good_cases[ci], "ca.pem"), a, 1) };
        for (int w = 0; w < c.n; w++) {
            for (size_t len = 0; len < c.len[w]; len++) {
                uint8_t *d = malloc(len ? len : 1); /* exact size: ASan catches any over-read */
                memcpy(d, c.der[w], len);
                poke(d, len);
                must_not_validate(&c, &an, w, d, len);
                free(d);
                ran++;
            }
        }
        chain_free(&c);
    }
    vec_report("x509 truncated certificates", ran, 0);
}

Test(x509_robust, bit_flips)
{
    uint64_t rs = 0x5eed;
    unsigned ran = 0, parsed = 0;
    for (size_t ci = 0; ci < sizeof good_cases / sizeof good_cases[0]; ci++) {
        struct chain c = { 0 };
        struct dtls_x509_anchor a[1];
        chain_load(&c, pki_path(good_cases[ci], "chain.pem"));
        struct dtls_x509_anchors an = { a, anchors_load(pki_path(good_cases[ci], "ca.pem"), a, 1) };
        int rsa = strncmp(good_cases[ci], "rsa", 3) == 0;
        int rounds = rsa ? 500 : 1500;
        for (int w = 0; w < c.n; w++) {
            for (int r = 0; r < rounds; r++) {
                size_t len = c.len[w];
                uint8_t *d = malloc(len);
                memcpy(d, c.der[w], len);
                int flips = 1 + (int)(test_rand_u32(&rs) % 3);
                for (int f = 0; f < flips; f++) {
                    /* half of the flips in the first 128 bytes, where the structure is */
                    size_t pos = (test_rand_u32(&rs) & 1) ? test_rand_u32(&rs) % (len < 128 ? len : 128)
                                                          : test_rand_u32(&rs) % len;
                    d[pos] ^= (uint8_t)(1u << (test_rand_u32(&rs) % 8));
                }
                struct dtls_x509_cert pc;
                parsed += dtls_x509_cert_parse(d, len, &pc) == 0;
                poke(d, len);
                if (memcmp(d, c.der[w], len) != 0)
                    must_not_validate(&c, &an, w, d, len);
                free(d);
                ran++;
            }
        }
        chain_free(&c);
    }
    fprintf(stderr, "x509 bit flips: %u damaged certificates (%u still parsed), none validated\n", ran, parsed);
}

/* Random bytes with a plausible outer header, through the parser. */
Test(x509_robust, random_der)
{
    uint64_t rs = 42;
    uint8_t d[600];
    for (int i = 0; i < 20000; i++) {
        size_t len = 2 + test_rand_u32(&rs) % (sizeof d - 2);
        test_rand_bytes(&rs, d, len);
        if (i & 1) {
            d[0] = 0x30;
            d[1] = 0x82;
            d[2] = (uint8_t)((len - 4) >> 8);
            d[3] = (uint8_t)(len - 4);
            d[4] = 0x30;
        }
        poke(d, len);
    }
    vec_report("x509 random DER", 20000, 0);
}

Test(x509_robust, pem_and_keys)
{
    uint64_t rs = 77;
    static const char *files[][2] = { { "p256", "key.pem" },       { "ed25519", "key.pem" },
                                      { "client-p256", "key.pem" }, { "rsa2048", "ca.pem" },
                                      { "p256", "chain.pem" } };
    unsigned ran = 0;
    for (size_t fi = 0; fi < sizeof files / sizeof files[0]; fi++) {
        size_t len;
        char *orig = test_read_file(pki_path(files[fi][0], files[fi][1]), &len);
        for (int r = 0; r < 2000; r++) {
            size_t l = len;
            char *p = malloc(len);
            memcpy(p, orig, len);
            if (r < 200) {
                l = test_rand_u32(&rs) % (len + 1);         /* truncation */
            } else {
                int flips = 1 + (int)(test_rand_u32(&rs) % 4);
                for (int f = 0; f < flips; f++)
                    p[test_rand_u32(&rs) % len] ^= (char)(1u << (test_rand_u32(&rs) % 8));
            }
            uint8_t scratch[4096];
            struct dtls_x509_private_key k;
            int rc = dtls_x509_private_key_from_pem(p, l, scratch, sizeof scratch, &k);
            if (rc != 0) {
                for (size_t i = 0; i < sizeof k; i++)
                    cr_assert_eq(((uint8_t *)&k)[i], 0);
            }
            size_t skipped;
            struct dtls_x509_anchor a[4];
            dtls_x509_anchors_from_pem(p, l, scratch, sizeof scratch, a, 4, &skipped);
            dtls_x509_anchors_from_pem_inplace(p, l, a, 4, &skipped);
            /* DER keys: decode then damage */
            free(p);
            ran++;
        }
        free(orig);
    }
    /* damaged DER keys */
    size_t len;
    char *pem = test_read_file(pki_path("p256", "key.pem"), &len);
    uint8_t der[512];
    size_t pos = 0;
    struct dtls_pem_block b;
    cr_assert_eq(dtls_pem_next(pem, len, &pos, der, sizeof der, &b), 1);
    for (int r = 0; r < 5000; r++) {
        uint8_t d[512];
        size_t l = b.der_len;
        memcpy(d, b.der, l);
        if (r < (int)l)
            l = (size_t)r;
        else
            d[test_rand_u32(&rs) % l] ^= (uint8_t)(1u << (test_rand_u32(&rs) % 8));
        uint8_t *exact = malloc(l ? l : 1);
        memcpy(exact, d, l);
        struct dtls_x509_private_key k;
        dtls_x509_private_key_from_der(exact, l, &k);
        free(exact);
        ran++;
    }
    free(pem);
    /* damaged RSA keys (PKCS#1 and PKCS#8): refused with the struct zeroed, or parsed into
     * slices that stay inside the DER, and then a signature that verifies or none */
    static const char *rsa_files[2] = { "key-pkcs1.pem", "key.pem" };
    for (int f = 0; f < 2; f++) {
        pem = test_read_file(pki_path("client-rsa", rsa_files[f]), &len);
        uint8_t rder[2048];
        pos = 0;
        cr_assert_eq(dtls_pem_next(pem, len, &pos, rder, sizeof rder, &b), 1);
        for (int r = 0; r < 3000; r++) {
            size_t l = b.der_len;
            uint8_t *exact = malloc(l);
            memcpy(exact, b.der, l);
            if (r < 300)
                l = test_rand_u32(&rs) % l;
            else
                exact[test_rand_u32(&rs) % l] ^= (uint8_t)(1u << (test_rand_u32(&rs) % 8));
            struct dtls_rsa_private_key k;
            if (dtls_x509_rsa_private_key_from_der(exact, l, &k) != 0) {
                for (size_t i = 0; i < sizeof k; i++)
                    cr_assert_eq(((uint8_t *)&k)[i], 0);
            } else {
                const uint8_t *ps[7] = { k.n, k.e, k.p, k.q, k.dp, k.dq, k.qinv };
                size_t ls[7] = { k.n_len, k.e_len, k.p_len, k.q_len, k.dp_len, k.dq_len, k.qinv_len };
                for (int i = 0; i < 7; i++)
                    cr_assert(ps[i] >= exact && ps[i] + ls[i] <= exact + l);
                if (r % 50 == 0) {
                    uint8_t md[32] = { 3 }, salt[32] = { 4 }, sig[512];
                    size_t sl = sizeof sig;
                    if (dtls_rsa_pss_sign(&k, &dtls_hash_sha256, md, salt, 32, sig, &sl) == 0)
                        cr_assert_eq(dtls_rsa_pss_verify(k.n, k.n_len, k.e, k.e_len, &dtls_hash_sha256, md, 32, sig, sl), 0);
                }
            }
            free(exact);
            ran++;
        }
        free(pem);
    }
    vec_report("x509 damaged PEM files and keys", ran, 0);
}

/* The first private-key block of a PEM file, decoded into der (returned length). */
static size_t key_der(const char *cas, const char *file, uint8_t *der, size_t cap)
{
    size_t len, pos = 0;
    char *pem = test_read_file(pki_path(cas, file), &len);
    struct dtls_pem_block b;
    cr_assert_eq(dtls_pem_next(pem, len, &pos, der, cap, &b), 1, "%s/%s", cas, file);
    cr_assert(b.der == der);
    free(pem);
    return b.der_len;
}

/* RSA keys for client authentication: both encodings give OpenSSL's numbers, belong to
 * their certificate, and sign what the certificate's key verifies. */
Test(x509, rsa_private_keys)
{
    static uint8_t der[4096];
    static const struct { const char *cas, *file; } ok[] = {
        { "client-rsa", "key.pem" }, { "client-rsa", "key-pkcs1.pem" }, { "rsa3072", "key.pem" }, { "rsa4096", "key.pem" }
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        size_t len = key_der(ok[i].cas, ok[i].file, der, sizeof der);
        struct dtls_rsa_private_key k;
        cr_assert_eq(dtls_x509_rsa_private_key_from_der(der, len, &k), 0, "%s/%s", ok[i].cas, ok[i].file);
        /* n and e are the certificate's */
        struct chain c = { 0 };
        chain_load(&c, pki_path(ok[i].cas, "leaf.pem"));
        struct dtls_pubkey_ref pub;
        cr_assert_eq(dtls_x509_cert_pubkey(c.der[0], c.len[0], &pub), 0);
        cr_assert_eq(pub.type, DTLS_KEY_RSA);
        cr_assert(k.n_len == pub.a_len && memcmp(k.n, pub.a, pub.a_len) == 0);
        cr_assert(k.e_len == pub.b_len && memcmp(k.e, pub.b, pub.b_len) == 0);
        /* p is OpenSSL's */
        EVP_PKEY *ok_key = key_load(pki_path(ok[i].cas, ok[i].file));
        BIGNUM *bn = NULL;
        cr_assert(EVP_PKEY_get_bn_param(ok_key, "rsa-factor1", &bn) == 1);
        uint8_t p[512];
        cr_assert_eq((size_t)BN_num_bytes(bn), k.p_len);
        BN_bn2bin(bn, p);
        cr_assert_eq(memcmp(p, k.p, k.p_len), 0);
        BN_free(bn);
        EVP_PKEY_free(ok_key);
        /* a signature that the certificate's key verifies */
        uint8_t md[48] = { 9 }, salt[48] = { 8 }, sig[512];
        size_t sl = sizeof sig;
        cr_assert_eq(dtls_rsa_pss_sign(&k, &dtls_hash_sha384, md, salt, 48, sig, &sl), 0);
        cr_assert_eq(dtls_rsa_pss_verify(pub.a, pub.a_len, pub.b, pub.b_len, &dtls_hash_sha384, md, 48, sig, sl), 0);
        chain_free(&c);
    }
    static const struct { const char *cas, *file; int rc; } bad[] = {
        { "weak-key", "key.pem", DTLS_X509_E_WEAK_KEY },               /* RSA-1024 */
        { "p256", "key.pem", DTLS_X509_E_UNSUPPORTED_ALGORITHM },      /* not RSA */
        { "ed25519", "key.pem", DTLS_X509_E_UNSUPPORTED_ALGORITHM },
        { "rsapss", "key.pem", DTLS_X509_E_UNSUPPORTED_ALGORITHM },    /* id-RSASSA-PSS key */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t len = key_der(bad[i].cas, bad[i].file, der, sizeof der);
        struct dtls_rsa_private_key k;
        cr_assert_eq(dtls_x509_rsa_private_key_from_der(der, len, &k), bad[i].rc, "%s", bad[i].cas);
        cr_assert_null(k.n);
    }
    /* the EC/Ed25519 loader still says "unsupported" for RSA, so a caller can try this one */
    struct dtls_x509_private_key ek;
    cr_assert_eq(key_from_file(pki_path("client-rsa", "key-pkcs1.pem"), &ek, 4096), DTLS_X509_E_UNSUPPORTED_ALGORITHM);
}

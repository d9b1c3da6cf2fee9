/*
 * The X.509 layer built with DTLS_CONFIG_NO_RSA (this program links its own
 * copy of the library sources, see Makefile.am): RSA keys and RSA-PSS
 * parameters are not parsed, so a chain that needs RSA is rejected as an
 * unsupported algorithm, never accepted unchecked; ECDSA and Ed25519 chains
 * validate as before.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dtls/x509.h>

#include "vectors.h"

#ifndef DTLS_CONFIG_NO_RSA
#error "build with -DDTLS_CONFIG_NO_RSA (Makefile.am)"
#endif

#define T2030 ((int64_t)1893456000) /* inside every good gen-pki certificate's validity */

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

static char *read_pem(const char *cas, const char *file, size_t *len)
{
    char path[4096];
    const char *d = getenv("DTLS_PKI_DIR");
    cr_assert(d && *d, "no PKI: scripts/gen-pki failed (is the openssl CLI installed?)");
    snprintf(path, sizeof path, "%s/%s/%s", d, cas, file);
    return test_read_file(path, len);
}

/* Validate gen-pki case `cas` (chain.pem against ca.pem) for "localhost". */
static int validate(const char *cas)
{
    static uint8_t scratch[8192], der[8192];
    struct dtls_x509_anchor list[2];
    struct dtls_x509_anchors an;
    struct dtls_x509_validator v;
    struct dtls_pem_block blk;
    size_t len, skipped, pos = 0;
    char *pem = read_pem(cas, "ca.pem", &len);
    int n = dtls_x509_anchors_from_pem(pem, len, scratch, sizeof scratch, list, 2, &skipped);
    free(pem);
    cr_assert_geq(n, 0);
    an.list = list;
    an.count = (size_t)n;
    dtls_x509_validator_init(&v, &an, T2030, "localhost", DTLS_X509_PURPOSE_SERVER);
    pem = read_pem(cas, "chain.pem", &len);
    int rc = 0, k;
    while (rc == 0 && (k = dtls_pem_next(pem, len, &pos, der, sizeof der, &blk)) == 1)
        rc = dtls_x509_validator_add(&v, blk.der, blk.der_len);
    free(pem);
    return rc != 0 ? rc : dtls_x509_validator_finish(&v);
}

Test(x509_norsa, rsa_chains_are_unsupported)
{
    static const char *rsa[] = { "rsa2048", "rsa4096", "rsapss" };
    for (size_t i = 0; i < sizeof rsa / sizeof rsa[0]; i++)
        cr_assert_eq(validate(rsa[i]), DTLS_X509_E_UNSUPPORTED_ALGORITHM, "%s", rsa[i]);
}

Test(x509_norsa, other_chains_validate)
{
    static const char *good[] = { "p256", "p384", "ed25519" };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        cr_assert_eq(validate(good[i]), 0, "%s", good[i]);
    /* and what must fail still fails for its own reason */
    cr_assert_eq(validate("bad-signature"), DTLS_X509_E_BAD_SIGNATURE);
    cr_assert_eq(validate("wrong-host"), DTLS_X509_E_HOSTNAME);
}

Test(x509_norsa, rsa_keys_and_pss_signatures_are_parsed_as_unknown)
{
    static uint8_t der[8192];
    struct dtls_pem_block blk;
    struct dtls_x509_cert c;
    size_t len, pos = 0;
    char *pem = read_pem("rsapss", "leaf.pem", &len);
    cr_assert_eq(dtls_pem_next(pem, len, &pos, der, sizeof der, &blk), 1);
    free(pem);
    cr_assert_eq(dtls_x509_cert_parse(blk.der, blk.der_len, &c), 0);
    cr_assert_eq(c.key.type, DTLS_KEY_NONE);
    cr_assert_eq(c.sig_alg, DTLS_X509_SIG_UNKNOWN);
}

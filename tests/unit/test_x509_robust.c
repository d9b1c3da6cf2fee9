/*
 * Hostile input: every truncation and thousands of random bit flips of the
 * real gen-pki certificates (and of PEM text and private keys) through the
 * DER reader, the certificate parser, the anchor builder, the PEM/key
 * decoders and the validator. Nothing may crash (run this under
 * ASan+UBSan), and no damaged certificate may ever validate.
 */
#include "test_x509_pki.h"

#include "vectors.h"

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
        char *orig = read_file(pki_path(files[fi][0], files[fi][1]), &len);
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
    char *pem = read_file(pki_path("p256", "key.pem"), &len);
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
    vec_report("x509 damaged PEM files and keys", ran, 0);
}

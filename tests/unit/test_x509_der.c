/*
 * The strict DER reader (src/x509/der.c) and the text codecs around it:
 * length and tag encodings, primitive types, times (against timegm on
 * random dates), base64 (against OpenSSL's decoder) and PEM armour.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include <dtls/x509.h>

#include "vectors.h"
#include "x509/der.h"

static int next(const uint8_t *p, size_t n, struct der_tlv *t, size_t *rest)
{
    struct der d = { p, n };
    int rc = der_next(&d, t);
    if (rest)
        *rest = d.len;
    if (rc != 0)
        cr_assert(d.p == p && d.len == n, "cursor moved on failure");
    return rc;
}

Test(x509_der, lengths)
{
    struct der_tlv t;
    size_t rest;
    uint8_t buf[300];
    /* short form, exact fit, trailing data left in the cursor */
    static const uint8_t a[] = { 0x04, 0x02, 0xaa, 0xbb, 0x00 };
    cr_assert_eq(next(a, 5, &t, &rest), 0);
    cr_assert(t.len == 2 && t.v == a + 2 && t.raw_len == 4 && rest == 1);
    /* length past the end */
    cr_assert_eq(next(a, 3, &t, NULL), -1);
    /* empty and one-byte input */
    cr_assert_eq(next(a, 0, &t, NULL), -1);
    cr_assert_eq(next(a, 1, &t, NULL), -1);
    /* indefinite length */
    static const uint8_t indef[] = { 0x30, 0x80, 0x00, 0x00 };
    cr_assert_eq(next(indef, 4, &t, NULL), -1);
    /* long form: minimal only */
    memset(buf, 0, sizeof buf);
    buf[0] = 0x04;
    buf[1] = 0x81;
    buf[2] = 0x7f; /* fits the short form */
    cr_assert_eq(next(buf, 3 + 0x7f, &t, NULL), -1);
    buf[2] = 0x80;
    cr_assert_eq(next(buf, 3 + 0x80, &t, NULL), 0);
    cr_assert_eq(t.len, 0x80);
    cr_assert_eq(next(buf, 3 + 0x7f, &t, NULL), -1); /* one short */
    buf[1] = 0x82;
    buf[2] = 0x00;
    buf[3] = 0x80; /* leading zero */
    cr_assert_eq(next(buf, 4 + 0x80, &t, NULL), -1);
    buf[2] = 0x01;
    buf[3] = 0x00;
    cr_assert_eq(next(buf, 4 + 0xff, &t, NULL), -1); /* one short */
    cr_assert_eq(next(buf, 4 + 0x100, &t, NULL), 0);
    cr_assert_eq(t.len, 0x100);
    /* more than 4 length octets, and a 4-octet length that cannot fit */
    static const uint8_t big5[] = { 0x04, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00 };
    cr_assert_eq(next(big5, sizeof big5, &t, NULL), -1);
    static const uint8_t big4[] = { 0x04, 0x84, 0xff, 0xff, 0xff, 0xff, 0x00 };
    cr_assert_eq(next(big4, sizeof big4, &t, NULL), -1);
    /* length octets cut off */
    static const uint8_t cut[] = { 0x04, 0x82, 0x01 };
    cr_assert_eq(next(cut, sizeof cut, &t, NULL), -1);
}

Test(x509_der, tags)
{
    struct der_tlv t;
    /* high tag number form: [APPLICATION 31] minimal, then a 2-octet number */
    static const uint8_t h1[] = { 0x5f, 0x1f, 0x01, 0xaa };
    cr_assert_eq(next(h1, sizeof h1, &t, NULL), 0);
    cr_assert(t.num == 31 && t.len == 1 && t.v[0] == 0xaa);
    static const uint8_t h2[] = { 0x9f, 0x81, 0x00, 0x00 };
    cr_assert_eq(next(h2, sizeof h2, &t, NULL), 0);
    cr_assert_eq(t.num, 128);
    /* not minimal: leading 0x80, or a number < 31 in the long form */
    static const uint8_t h3[] = { 0x9f, 0x80, 0x20, 0x00 };
    cr_assert_eq(next(h3, sizeof h3, &t, NULL), -1);
    static const uint8_t h4[] = { 0x9f, 0x1e, 0x00 };
    cr_assert_eq(next(h4, sizeof h4, &t, NULL), -1);
    /* tag number octets never end */
    static const uint8_t h5[] = { 0x9f, 0x81, 0x81, 0x81, 0x81, 0x01, 0x00 };
    cr_assert_eq(next(h5, sizeof h5, &t, NULL), -1);
    static const uint8_t h6[] = { 0x9f, 0x81 };
    cr_assert_eq(next(h6, sizeof h6, &t, NULL), -1);
    /* der_expect never matches a high-tag element, and restores the cursor */
    struct der d = { h1, sizeof h1 };
    cr_assert_eq(der_expect(&d, 0x5f, &t), -1);
    cr_assert(d.p == h1 && d.len == sizeof h1);
    static const uint8_t seq[] = { 0x30, 0x00 };
    d = (struct der){ seq, 2 };
    cr_assert_eq(der_expect(&d, DER_SET, &t), -1);
    cr_assert_eq(der_expect(&d, DER_SEQUENCE, &t), 0);
    cr_assert_eq(der_end(&d), 0);
}

static int integer(const uint8_t *p, size_t n)
{
    struct der d = { p, n };
    const uint8_t *v;
    size_t l;
    return der_integer(&d, &v, &l);
}

Test(x509_der, primitives)
{
    static const uint8_t i0[] = { 0x02, 0x00 };
    static const uint8_t i1[] = { 0x02, 0x01, 0x00 };
    static const uint8_t i2[] = { 0x02, 0x02, 0x00, 0x7f };
    static const uint8_t i3[] = { 0x02, 0x02, 0x00, 0x80 };
    static const uint8_t i4[] = { 0x02, 0x02, 0xff, 0x80 };
    static const uint8_t i5[] = { 0x02, 0x02, 0xff, 0x7f };
    cr_assert_eq(integer(i0, 2), -1);
    cr_assert_eq(integer(i1, 3), 0);
    cr_assert_eq(integer(i2, 4), -1);
    cr_assert_eq(integer(i3, 4), 0);
    cr_assert_eq(integer(i4, 4), -1);
    cr_assert_eq(integer(i5, 4), 0);
    struct der d;
    const uint8_t *v;
    size_t l;
    uint32_t u;
    d = (struct der){ i3, 4 };
    cr_assert(der_uint(&d, &v, &l) == 0 && l == 1 && v[0] == 0x80);
    d = (struct der){ i5, 4 };
    cr_assert_eq(der_uint(&d, &v, &l), -1); /* negative */
    static const uint8_t u5[] = { 0x02, 0x05, 0x00, 0xff, 0xff, 0xff, 0xff };
    d = (struct der){ u5, sizeof u5 };
    cr_assert(der_uint32(&d, &u) == 0 && u == 0xffffffffu);
    static const uint8_t u6[] = { 0x02, 0x05, 0x01, 0x00, 0x00, 0x00, 0x00 };
    d = (struct der){ u6, sizeof u6 };
    cr_assert_eq(der_uint32(&d, &u), -1);
    /* BOOLEAN */
    int b;
    static const uint8_t bt[] = { 0x01, 0x01, 0xff }, bf[] = { 0x01, 0x01, 0x00 }, bx[] = { 0x01, 0x01, 0x01 },
                         bl[] = { 0x01, 0x02, 0x00, 0x00 };
    d = (struct der){ bt, 3 };
    cr_assert(der_bool(&d, &b) == 0 && b == 1);
    d = (struct der){ bf, 3 };
    cr_assert(der_bool(&d, &b) == 0 && b == 0);
    d = (struct der){ bx, 3 };
    cr_assert_eq(der_bool(&d, &b), -1);
    d = (struct der){ bl, 4 };
    cr_assert_eq(der_bool(&d, &b), -1);
    /* NULL */
    static const uint8_t n0[] = { 0x05, 0x00 }, n1[] = { 0x05, 0x01, 0x00 };
    d = (struct der){ n0, 2 };
    cr_assert_eq(der_null(&d), 0);
    d = (struct der){ n1, 3 };
    cr_assert_eq(der_null(&d), -1);
    /* OID */
    static const uint8_t o1[] = { 0x06, 0x03, 0x55, 0x1d, 0x13 }, o2[] = { 0x06, 0x00 },
                         o3[] = { 0x06, 0x02, 0x55, 0x81 }, o4[] = { 0x06, 0x03, 0x55, 0x80, 0x01 },
                         o5[] = { 0x06, 0x03, 0x55, 0x81, 0x00 };
    d = (struct der){ o1, sizeof o1 };
    cr_assert(der_oid(&d, &v, &l) == 0 && l == 3);
    d = (struct der){ o2, sizeof o2 };
    cr_assert_eq(der_oid(&d, &v, &l), -1);
    d = (struct der){ o3, sizeof o3 };
    cr_assert_eq(der_oid(&d, &v, &l), -1); /* truncated sub-identifier */
    d = (struct der){ o4, sizeof o4 };
    cr_assert_eq(der_oid(&d, &v, &l), -1); /* leading 0x80 */
    d = (struct der){ o5, sizeof o5 };
    cr_assert_eq(der_oid(&d, &v, &l), 0);  /* 0x81 0x00 = 128 */
    /* BIT STRING */
    unsigned unused;
    static const uint8_t s0[] = { 0x03, 0x00 }, s1[] = { 0x03, 0x01, 0x00 }, s2[] = { 0x03, 0x01, 0x03 },
                         s3[] = { 0x03, 0x02, 0x08, 0x00 }, s4[] = { 0x03, 0x02, 0x03, 0x08 },
                         s5[] = { 0x03, 0x02, 0x03, 0x04 }, s6[] = { 0x03, 0x02, 0x01, 0x80 };
    d = (struct der){ s0, 2 };
    cr_assert_eq(der_bits(&d, DER_BIT_STRING, &v, &l, &unused), -1);
    d = (struct der){ s1, 3 };
    cr_assert(der_bits(&d, DER_BIT_STRING, &v, &l, &unused) == 0 && l == 0);
    d = (struct der){ s2, 3 };
    cr_assert_eq(der_bits(&d, DER_BIT_STRING, &v, &l, &unused), -1); /* unused bits in an empty string */
    d = (struct der){ s3, 4 };
    cr_assert_eq(der_bits(&d, DER_BIT_STRING, &v, &l, &unused), -1); /* 8 unused bits */
    d = (struct der){ s4, 4 };
    cr_assert(der_bits(&d, DER_BIT_STRING, &v, &l, &unused) == 0 && unused == 3);
    d = (struct der){ s5, 4 };
    cr_assert_eq(der_bits(&d, DER_BIT_STRING, &v, &l, &unused), -1); /* an unused bit set */
    d = (struct der){ s6, 4 };
    cr_assert_eq(der_bits_octets(&d, &v, &l), -1);                    /* key bits must be whole octets */
}

static int parse_time(const char *s, int generalized, int64_t *out)
{
    uint8_t buf[64];
    size_t n = strlen(s);
    buf[0] = generalized ? DER_GENERALIZED_TIME : DER_UTC_TIME;
    buf[1] = (uint8_t)n;
    memcpy(buf + 2, s, n);
    struct der d = { buf, n + 2 };
    return der_time(&d, out);
}

Test(x509_der, times)
{
    int64_t t;
    cr_assert(parse_time("700101000000Z", 0, &t) == 0 && t == 0);
    cr_assert(parse_time("491231235959Z", 0, &t) == 0 && t == 2524607999);
    cr_assert(parse_time("500101000000Z", 0, &t) == 0 && t == -631152000);
    cr_assert(parse_time("20491231235959Z", 1, &t) == 0 && t == 2524607999);
    cr_assert(parse_time("99991231235959Z", 1, &t) == 0 && t == 253402300799);
    /* the first day GeneralizedTime can write, and year 0's leap day (proleptic calendar) */
    cr_assert(parse_time("00000101000000Z", 1, &t) == 0 && t == -62167219200);
    cr_assert(parse_time("00000229235959Z", 1, &t) == 0 && t == -62162035201);
    cr_assert(parse_time("000229000000Z", 0, &t) == 0);                   /* 2000 is a leap year */
    cr_assert_eq(parse_time("21000229000000Z", 1, &t), -1);              /* 2100 is not */
    cr_assert_eq(parse_time("190229000000Z", 0, &t), -1);
    cr_assert_eq(parse_time("200431000000Z", 0, &t), -1);
    cr_assert_eq(parse_time("201301000000Z", 0, &t), -1);
    cr_assert_eq(parse_time("200001000000Z", 0, &t), -1);
    cr_assert_eq(parse_time("200101240000Z", 0, &t), -1);
    cr_assert_eq(parse_time("200101006000Z", 0, &t), -1);
    cr_assert_eq(parse_time("200101000060Z", 0, &t), -1);                /* no leap seconds */
    cr_assert_eq(parse_time("2001010000Z", 0, &t), -1);                  /* seconds required */
    cr_assert_eq(parse_time("200101000000", 0, &t), -1);
    cr_assert_eq(parse_time("200101000000+0100", 0, &t), -1);
    cr_assert_eq(parse_time("20200101000000.5Z", 1, &t), -1);
    cr_assert_eq(parse_time("20200101000000Z", 0, &t), -1);              /* 4-digit year in a UTCTime */
    cr_assert_eq(parse_time("200101000000Z", 1, &t), -1);
    cr_assert_eq(parse_time("2001010000 0Z", 0, &t), -1);
    cr_assert_eq(parse_time("20010100000-Z", 0, &t), -1);
    /* random valid dates against timegm */
    uint64_t rs = 0x1234;
    for (int i = 0; i < 20000; i++) {
        struct tm tm = { 0 };
        tm.tm_year = 1950 - 1900 + (int)(test_rand_u32(&rs) % 8050);
        tm.tm_mon = (int)(test_rand_u32(&rs) % 12);
        tm.tm_mday = 1 + (int)(test_rand_u32(&rs) % 28);
        tm.tm_hour = (int)(test_rand_u32(&rs) % 24);
        tm.tm_min = (int)(test_rand_u32(&rs) % 60);
        tm.tm_sec = (int)(test_rand_u32(&rs) % 60);
        if (i % 7 == 0 && tm.tm_mon == 1)
            tm.tm_mday = 29;
        char s[32];
        int gen = tm.tm_year + 1900 >= 2050 || (i & 1);
        if (gen)
            snprintf(s, sizeof s, "%04d%02d%02d%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec);
        else
            snprintf(s, sizeof s, "%02d%02d%02d%02d%02d%02dZ", (tm.tm_year + 1900) % 100, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec);
        int y = tm.tm_year + 1900;
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        int valid = !(tm.tm_mon == 1 && tm.tm_mday == 29 && !leap);
        struct tm copy = tm;
        int64_t want = (int64_t)timegm(&copy);
        int rc = parse_time(s, gen, &t);
        cr_assert_eq(rc, valid ? 0 : -1, "%s", s);
        if (valid)
            cr_assert_eq(t, want, "%s: %lld != %lld", s, (long long)t, (long long)want);
    }
    vec_report("x509 der_time vs timegm", 20000, 0);
}

Test(x509_der, base64_against_openssl)
{
    uint64_t rs = 99;
    uint8_t in[300], out[300], ref[400];
    char enc[500];
    unsigned ran = 0;
    for (int i = 0; i < 3000; i++) {
        size_t n = test_rand_u32(&rs) % 257;
        test_rand_bytes(&rs, in, n);
        int el = EVP_EncodeBlock((unsigned char *)enc, in, (int)n);
        cr_assert_eq(dtls_base64_decode(enc, (size_t)el, out, sizeof out), (long)n);
        cr_assert_eq(memcmp(in, out, n), 0);
        /* output exactly big enough, and one short */
        cr_assert_eq(dtls_base64_decode(enc, (size_t)el, out, n), (long)n);
        if (n)
            cr_assert_eq(dtls_base64_decode(enc, (size_t)el, out, n - 1), -1);
        /* corrupt one character: either rejected, or OpenSSL decodes it the same way */
        if (el) {
            char bad[500];
            memcpy(bad, enc, (size_t)el);
            bad[test_rand_u32(&rs) % (unsigned)el] = (char)(test_rand_u32(&rs) & 0xff);
            long r = dtls_base64_decode(bad, (size_t)el, out, sizeof out);
            if (r >= 0) {
                int rl = EVP_DecodeBlock(ref, (unsigned char *)bad, el);
                cr_assert_geq(rl, 0);
                /* EVP_DecodeBlock does not strip padding */
                int pad = (bad[el - 1] == '=') + (bad[el - 2] == '=');
                cr_assert_eq(r, rl - pad);
                cr_assert_eq(memcmp(out, ref, (size_t)r), 0);
            }
        }
        ran++;
    }
    vec_report("x509 base64 vs OpenSSL", ran, 0);
    static const char *bad[] = { "A", "AA", "AAA", "A===", "AA=A", "AAA=AAAA", "AB==", "AAB=", "AA==AA==", "AA AA",
                                 "AA\nAA", "====", "AA=", "-_AA" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(dtls_base64_decode(bad[i], strlen(bad[i]), out, sizeof out), -1, "\"%s\"", bad[i]);
    cr_assert_eq(dtls_base64_decode("", 0, out, 0), 0);
    cr_assert_eq(dtls_base64_decode("AA==", 4, out, 1), 1);
    cr_assert_eq(dtls_base64_decode("AAE=", 4, out, 2), 2);
}

Test(x509_der, pem_armour)
{
    char buf[512];
    uint8_t out[64];
    struct dtls_pem_block b;
    size_t pos;
    /* two blocks with prose and CRLF around them */
    strcpy(buf, "prose\r\n-----BEGIN A B-----\r\nAAEC\r\nAw==\r\n-----END A B-----\r\nmore\n"
                "-----BEGIN X-----\n-----END X-----\n");
    pos = 0;
    cr_assert_eq(dtls_pem_next(buf, strlen(buf), &pos, out, sizeof out, &b), 1);
    cr_assert(b.label_len == 3 && memcmp(b.label, "A B", 3) == 0);
    cr_assert(b.der_len == 4 && memcmp(b.der, "\x00\x01\x02\x03", 4) == 0);
    cr_assert_eq(dtls_pem_next(buf, strlen(buf), &pos, out, sizeof out, &b), 1);
    cr_assert(b.label_len == 1 && b.der_len == 0);
    cr_assert_eq(dtls_pem_next(buf, strlen(buf), &pos, out, sizeof out, &b), 0);
    /* in place gives the same bytes, over the base64 text */
    pos = 0;
    cr_assert_eq(dtls_pem_next_inplace(buf, strlen(buf), &pos, &b), 1);
    cr_assert(b.der_len == 4 && memcmp(b.der, "\x00\x01\x02\x03", 4) == 0);
    cr_assert((char *)b.der > buf && (char *)b.der < buf + 40);
    /* too small: the label is given and the block skipped */
    strcpy(buf, "-----BEGIN BIG-----\nAAECAwQF\n-----END BIG-----\n-----BEGIN S-----\nAA==\n-----END S-----\n");
    pos = 0;
    cr_assert_eq(dtls_pem_next(buf, strlen(buf), &pos, out, 2, &b), DTLS_X509_E_BUFFER_TOO_SMALL);
    cr_assert(b.label_len == 3 && memcmp(b.label, "BIG", 3) == 0);
    cr_assert_eq(dtls_pem_next(buf, strlen(buf), &pos, out, 2, &b), 1);
    cr_assert(b.label_len == 1 && b.der_len == 1);
    /* malformed */
    static const char *bad[] = {
        "-----BEGIN A-----\nAAEC\n",                                     /* no END */
        "-----BEGIN A-----\nAAEC\n-----END B-----\n",                    /* END label differs */
        "-----BEGIN A-----\nAAE\n-----END A-----\n",                     /* bad base64 */
        "-----BEGIN A-----\nProc-Type: 4,ENCRYPTED\n\nAAEC\n-----END A-----\n", /* headers */
        "-----BEGIN A\nAAEC\n-----END A-----\n",                         /* BEGIN line unterminated */
        "-----BEGIN -----\nAAEC\n-----END -----\n",                      /* empty label */
        "-----BEGIN A-----\n-----BEGIN A-----\nAAEC\n-----END A-----\n", /* nested BEGIN */
        "-----BEGIN A-----\nAA==AA==\n-----END A-----\n",                /* data after padding */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pos = 0;
        int rc = dtls_pem_next(bad[i], strlen(bad[i]), &pos, out, sizeof out, &b);
        cr_assert_eq(rc, DTLS_X509_E_BAD_PEM, "case %zu: %d", i, rc);
    }
    pos = 0;
    cr_assert_eq(dtls_pem_next("no pem here", 11, &pos, out, sizeof out, &b), 0);
    pos = 99;
    cr_assert_eq(dtls_pem_next("short", 5, &pos, out, sizeof out, &b), DTLS_X509_E_INVALID_ARGUMENT);
}

/* DER edge cases on a real certificate shape: re-encoded lengths and trailing data. */
Test(x509_der, certificate_envelope)
{
    /* a minimal valid self-signed Ed25519 certificate, made once with OpenSSL */
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    cr_assert(k);
    uint8_t raw_pub[32];
    size_t pl = 32;
    cr_assert(EVP_PKEY_get_raw_public_key(k, raw_pub, &pl) == 1);
    /* Build TBS by hand: v3, serial 1, ed25519, issuer/subject CN=a, validity, SPKI, no extensions */
    static const uint8_t name[] = { 0x30, 0x0c, 0x31, 0x0a, 0x30, 0x08, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x01, 0x61 };
    static const uint8_t alg[] = { 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70 };
    static const uint8_t validity[] = { 0x30, 0x1e, 0x17, 0x0d, '2', '0', '0', '1', '0', '1', '0', '0', '0', '0',
                                        '0', '0', 'Z', 0x17, 0x0d, '4', '9', '1', '2', '3', '1', '2', '3', '5',
                                        '9', '5', '9', 'Z' };
    uint8_t tbs[512];
    size_t n = 0;
    tbs[n++] = 0x30;
    tbs[n++] = 0; /* patched */
    static const uint8_t ver[] = { 0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x01, 0x01 };
    memcpy(tbs + n, ver, sizeof ver), n += sizeof ver;
    memcpy(tbs + n, alg, sizeof alg), n += sizeof alg;
    memcpy(tbs + n, name, sizeof name), n += sizeof name;
    memcpy(tbs + n, validity, sizeof validity), n += sizeof validity;
    memcpy(tbs + n, name, sizeof name), n += sizeof name;
    static const uint8_t spki_hdr[] = { 0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00 };
    memcpy(tbs + n, spki_hdr, sizeof spki_hdr), n += sizeof spki_hdr;
    memcpy(tbs + n, raw_pub, 32), n += 32;
    tbs[1] = (uint8_t)(n - 2);
    uint8_t sig[64];
    size_t sl = 64;
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    cr_assert(EVP_DigestSignInit(m, NULL, NULL, NULL, k) == 1);
    cr_assert(EVP_DigestSign(m, sig, &sl, tbs, n) == 1);
    EVP_MD_CTX_free(m);
    uint8_t cert[700];
    size_t body = n + sizeof alg + 2 + 1 + 64;
    size_t c = 0;
    cert[c++] = 0x30;
    cert[c++] = 0x81;
    cert[c++] = (uint8_t)body;
    memcpy(cert + c, tbs, n), c += n;
    memcpy(cert + c, alg, sizeof alg), c += sizeof alg;
    cert[c++] = 0x03;
    cert[c++] = 0x41;
    cert[c++] = 0x00;
    memcpy(cert + c, sig, 64), c += 64;
    struct dtls_x509_cert pc;
    cr_assert_eq(dtls_x509_cert_parse(cert, c, &pc), 0);
    cr_assert_eq(pc.version, 3);
    cr_assert_eq(pc.key.type, DTLS_KEY_ED25519);
    /* the certificate is its own anchor and validates (no SAN: no host) */
    struct dtls_x509_anchor a;
    cr_assert_eq(dtls_x509_anchor_from_der(cert, c, &a), 0);
    struct dtls_x509_anchors an = { &a, 1 };
    struct dtls_x509_validator v;
    dtls_x509_validator_init(&v, &an, 1893456000, NULL, DTLS_X509_PURPOSE_SERVER);
    cr_assert_eq(dtls_x509_validator_add(&v, cert, c), 0);
    cr_assert_eq(dtls_x509_validator_finish(&v), 0);

    uint8_t mod[800];
    /* trailing data after the certificate */
    memcpy(mod, cert, c);
    mod[c] = 0;
    cr_assert_eq(dtls_x509_cert_parse(mod, c + 1, &pc), DTLS_X509_E_BAD_CERTIFICATE);
    /* non-minimal outer length: 0x82 0x00 LL */
    mod[0] = 0x30;
    mod[1] = 0x82;
    mod[2] = 0x00;
    memcpy(mod + 3, cert + 2, c - 2);
    cr_assert_eq(dtls_x509_cert_parse(mod, c + 1, &pc), DTLS_X509_E_BAD_CERTIFICATE);
    /* indefinite outer length with end-of-contents */
    mod[1] = 0x80;
    memcpy(mod + 2, cert + 3, c - 3);
    mod[c - 1] = 0;
    mod[c] = 0;
    cr_assert_eq(dtls_x509_cert_parse(mod, c + 1, &pc), DTLS_X509_E_BAD_CERTIFICATE);
    /* length one past the end / one short */
    memcpy(mod, cert, c);
    mod[2]++;
    cr_assert_eq(dtls_x509_cert_parse(mod, c, &pc), DTLS_X509_E_BAD_CERTIFICATE);
    mod[2] -= 2;
    cr_assert_eq(dtls_x509_cert_parse(mod, c, &pc), DTLS_X509_E_BAD_CERTIFICATE);
    /* explicit version v1 (DEFAULT encoded) */
    memcpy(mod, cert, c);
    mod[3 + 2 + 4] = 0x00;
    cr_assert_eq(dtls_x509_cert_parse(mod, c, &pc), DTLS_X509_E_BAD_CERTIFICATE);
    /* the TBS and outer signature algorithms differ */
    memcpy(mod, cert, c);
    mod[3 + n + 6] = 0x71; /* 1.3.101.113 (Ed448) outside, Ed25519 inside */
    cr_assert_eq(dtls_x509_cert_parse(mod, c, &pc), DTLS_X509_E_BAD_CERTIFICATE);
    /* a high tag number where the version belongs */
    memcpy(mod, cert, c);
    mod[5] = 0xbf;
    cr_assert_eq(dtls_x509_cert_parse(mod, c, &pc), DTLS_X509_E_BAD_CERTIFICATE);
    EVP_PKEY_free(k);
}

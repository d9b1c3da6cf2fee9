/*
 * P-256 (keys, ECDH, ECDSA sign/verify), P-384 (ECDSA verify) and the strict
 * DER <-> r||s conversion of src/crypto/ec.h.
 *
 *  - Wycheproof: ECDSA P-256/SHA-256 and P-384/SHA-384 (DER and P1363), ECDH
 *    P-256 with raw SEC1 points and with SubjectPublicKeyInfo keys;
 *  - RFC 6979 A.2.5 (P-256, SHA-256, "sample" and "test"): exact k, r, s;
 *  - edge cases (scalar ranges, invalid points, scalars next to n);
 *  - differential tests against OpenSSL's libcrypto on random keys, points,
 *    hashes and signatures, with a fixed seed.
 *
 * Message hashes for the vectors are computed with OpenSSL, so these tests
 * do not depend on the project's own SHA-2.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <stdlib.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include "crypto/ec.h"
#include "vectors.h"

static const uint8_t P256_N_BYTES[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};
static const uint8_t P256_P_BYTES[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

/* ---- helpers ------------------------------------------------------------ */

static void digest(const char *md, const uint8_t *msg, size_t len, uint8_t *out, size_t *out_len)
{
    unsigned int n = 0;
    cr_assert(EVP_Digest(msg, len, out, &n, EVP_get_digestbyname(md), NULL) == 1);
    *out_len = n;
}

/* Big-endian integer of any length (Wycheproof private keys may carry a 00) into 32 bytes. */
static int scalar32(const char *hex, uint8_t out[32])
{
    size_t len;
    uint8_t *b = vec_hex(hex, &len);
    size_t i = 0;
    while (i < len && b[i] == 0)
        i++;
    if (len - i > 32) {
        free(b);
        return -1;
    }
    memset(out, 0, 32);
    memcpy(out + 32 - (len - i), b + i, len - i);
    free(b);
    return 0;
}

static const cJSON *item(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    cr_assert(v != NULL, "missing member %s", name);
    return v;
}

/* 256-bit big-endian a - b, a >= b. */
static void sub32(uint8_t r[32], const uint8_t a[32], const uint8_t b[32])
{
    int borrow = 0;
    for (int i = 31; i >= 0; i--) {
        int d = a[i] - b[i] - borrow;
        borrow = d < 0;
        r[i] = (uint8_t)d;
    }
}

/* ---- OpenSSL reference -------------------------------------------------- */

typedef struct {
    EC_GROUP *g;
    BN_CTX *bn;
    const char *name; /* OpenSSL group name */
    size_t flen;      /* field bytes */
} ref_curve;

static ref_curve ref_new(int nid, const char *name, size_t flen)
{
    ref_curve c = {EC_GROUP_new_by_curve_name(nid), BN_CTX_new(), name, flen};
    cr_assert(c.g && c.bn);
    return c;
}

static void ref_free(ref_curve *c)
{
    EC_GROUP_free(c->g);
    BN_CTX_free(c->bn);
}

/* out (2 flen + 1 bytes) = k * P, or k * G when P is NULL; returns 0, or -1 for infinity. */
static int ref_mul(const ref_curve *c, uint8_t *out, const uint8_t *k, size_t klen, const uint8_t *p)
{
    BIGNUM *s = BN_bin2bn(k, (int)klen, NULL);
    EC_POINT *r = EC_POINT_new(c->g), *q = NULL;
    int ret = -1;
    if (p) {
        q = EC_POINT_new(c->g);
        cr_assert(EC_POINT_oct2point(c->g, q, p, 2 * c->flen + 1, c->bn) == 1);
        cr_assert(EC_POINT_mul(c->g, r, NULL, q, s, c->bn) == 1);
    } else {
        cr_assert(EC_POINT_mul(c->g, r, s, NULL, NULL, c->bn) == 1);
    }
    if (!EC_POINT_is_at_infinity(c->g, r)) {
        cr_assert(EC_POINT_point2oct(c->g, r, POINT_CONVERSION_UNCOMPRESSED, out, 2 * c->flen + 1, c->bn) ==
                  2 * c->flen + 1);
        ret = 0;
    }
    BN_free(s);
    EC_POINT_free(r);
    EC_POINT_free(q);
    return ret;
}

/* An EVP_PKEY from a public point, plus the private scalar when priv != NULL. */
static EVP_PKEY *ref_key(const ref_curve *c, const uint8_t *pub, const uint8_t *priv)
{
    OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
    BIGNUM *d = NULL;
    OSSL_PARAM *params;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *k = NULL;

    cr_assert(OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, c->name, 0));
    cr_assert(OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pub, 2 * c->flen + 1));
    if (priv) {
        d = BN_bin2bn(priv, (int)c->flen, NULL);
        cr_assert(OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, d));
    }
    params = OSSL_PARAM_BLD_to_param(b);
    cr_assert(EVP_PKEY_fromdata_init(ctx) == 1);
    cr_assert(EVP_PKEY_fromdata(ctx, &k, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) == 1);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(b);
    BN_free(d);
    EVP_PKEY_CTX_free(ctx);
    return k;
}

static int ref_verify(EVP_PKEY *k, const uint8_t *der, size_t der_len, const uint8_t *h, size_t hlen)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(k, NULL);
    cr_assert(EVP_PKEY_verify_init(ctx) == 1);
    int ok = EVP_PKEY_verify(ctx, der, der_len, h, hlen);
    EVP_PKEY_CTX_free(ctx);
    return ok == 1 ? 0 : -1;
}

static size_t ref_sign(EVP_PKEY *k, uint8_t *der, size_t cap, const uint8_t *h, size_t hlen)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(k, NULL);
    size_t len = cap;
    cr_assert(EVP_PKEY_sign_init(ctx) == 1);
    cr_assert(EVP_PKEY_sign(ctx, der, &len, h, hlen) == 1);
    EVP_PKEY_CTX_free(ctx);
    return len;
}

/* ---- DER <-> r||s --------------------------------------------------------- */

typedef struct {
    const char *what;
    const char *der;
} der_case;

Test(ec_der, strict_parser)
{
    /* A valid 8-byte-n signature to start from: r = 0x80 (needs a 00), s = 1. */
    static const der_case bad[] = {
        {"empty", ""},
        {"not a SEQUENCE", "31080203008000020101"},
        {"SET instead of SEQUENCE", "3108020200800201 01"},
        {"indefinite length", "3080020200800201010000"},
        {"long-form length that fits short", "308107020200800201 01"},
        {"length too long", "3008020200800201 01"},
        {"length too short", "3006020200800201 01"},
        {"trailing byte after SEQUENCE", "30070202008002010100"},
        {"trailing byte inside SEQUENCE", "3008020200800201 0100"},
        {"only one INTEGER", "3004020200 80"},
        {"three INTEGERs", "300a0202008002010102 0101"},
        {"r not an INTEGER", "3007030200800201 01"},
        {"s not an INTEGER", "3007020200800401 01"},
        {"r missing the 00 (negative)", "3006020180020101"},
        {"r with an extra 00", "300802030000800201 01"},
        {"s with a leading 00 not needed", "3008020200800202 0001"},
        {"r zero", "3006020100020101"},
        {"s zero", "3007020200800201 00"},
        {"s empty", "3006020200800200"},
        {"r = 00 only then value", "300702020000020101"},
        {"INTEGER long-form length", "30080281020080020101"},
        {"r too long for n = 8", "300f020a00ffffffffffffffffff020101"},
        {"r of 9 bytes without sign pad", "300e0209010101010101010101020101"},
        {"truncated inside r", "3004020300 80"},
        {"negative s", "30070202008002 01ff"},
    };
    uint8_t rs[16], der[64];
    unsigned ran = 0;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char hex[128];
        size_t j = 0;
        for (const char *c = bad[i].der; *c; c++)
            if (*c != ' ')
                hex[j++] = *c;
        hex[j] = 0;
        size_t n = vec_hex_into(hex, der, sizeof der);
        memset(rs, 0xaa, sizeof rs);
        cr_expect(dtls_ecdsa_der_to_rs(rs, 8, der, n) == -1, "accepted: %s", bad[i].what);
        ran++;
    }

    /* The good one, and the largest values that fit 8 bytes. */
    static const uint8_t good[] = {0x30, 0x07, 0x02, 0x02, 0x00, 0x80, 0x02, 0x01, 0x01};
    cr_assert(dtls_ecdsa_der_to_rs(rs, 8, good, sizeof good) == 0);
    static const uint8_t want[16] = {0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 1};
    cr_assert(memcmp(rs, want, 16) == 0);
    cr_assert(dtls_ecdsa_rs_to_der(der, sizeof der, rs, 8) == sizeof good);
    cr_assert(memcmp(der, good, sizeof good) == 0);
    static const uint8_t full[] = {0x30, 0x16, 0x02, 0x09, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                   0xff, 0x02, 0x09, 0x00, 0x80, 0,    0,    0,    0,    0,    0,    1};
    cr_assert(dtls_ecdsa_der_to_rs(rs, 8, full, sizeof full) == 0);
    cr_assert(dtls_ecdsa_der_to_rs(rs, 7, full, sizeof full) == -1);
    /* NULLs and n = 0 */
    cr_assert(dtls_ecdsa_der_to_rs(rs, 8, NULL, 0) == -1);
    cr_assert(dtls_ecdsa_der_to_rs(rs, 0, good, sizeof good) == -1);
    ran += 5;
    vec_report("ecdsa DER parser hand-written cases", ran, 0);
}

Test(ec_der, long_form_lengths)
{
    /* n = 66 (P-521 size): SEQUENCE of 136 bytes needs 0x81 0x88; both INTEGERs are 67 bytes. */
    uint8_t rs[132], back[132], der[2 * 66 + 9];
    memset(rs, 0xff, sizeof rs);
    size_t len = dtls_ecdsa_rs_to_der(der, sizeof der, rs, 66);
    cr_assert(len == 3 + 2 * (2 + 67));
    cr_assert(der[0] == 0x30 && der[1] == 0x81 && der[2] == 0x8a);
    cr_assert(dtls_ecdsa_der_to_rs(back, 66, der, len) == 0);
    cr_assert(memcmp(back, rs, sizeof rs) == 0);
    /* the same with a non-minimal 0x82 0x00 0x8a length */
    uint8_t bad[sizeof der + 1];
    bad[0] = 0x30;
    bad[1] = 0x82;
    bad[2] = 0x00;
    memcpy(bad + 3, der + 2, len - 2);
    cr_assert(dtls_ecdsa_der_to_rs(back, 66, bad, len + 1) == -1);
    /* cap one short */
    cr_assert(dtls_ecdsa_rs_to_der(der, len - 1, rs, 66) == 0);
}

Test(ec_der, roundtrip_random)
{
    uint64_t seed = 0x5eed0001;
    unsigned ran = 0;
    for (int it = 0; it < 4000; it++) {
        size_t n = (it & 1) ? 32 : 48;
        uint8_t rs[96], back[96], der[2 * 48 + 9];
        test_rand_bytes(&seed, rs, 2 * n);
        /* Leading zero bytes and top bits in every combination. */
        uint32_t m = test_rand_u32(&seed);
        for (size_t k = 0; k < (m & 7); k++)
            rs[k] = 0;
        for (size_t k = 0; k < ((m >> 3) & 7); k++)
            rs[n + k] = 0;
        if (m & 0x40)
            rs[0] |= 0x80;
        if (rs[n - 1] == 0 && rs[0] == 0)
            rs[n - 1] = 1;
        if (rs[2 * n - 1] == 0)
            rs[2 * n - 1] = 1; /* zero values do not parse back */
        size_t len = dtls_ecdsa_rs_to_der(der, 2 * n + 9, rs, n);
        cr_assert(len > 0 && len <= 2 * n + 9);
        int zero_r = 1;
        for (size_t k = 0; k < n; k++)
            zero_r &= rs[k] == 0;
        if (zero_r) {
            cr_assert(dtls_ecdsa_der_to_rs(back, n, der, len) == -1);
            continue;
        }
        cr_assert(dtls_ecdsa_der_to_rs(back, n, der, len) == 0);
        cr_assert(memcmp(back, rs, 2 * n) == 0);
        /* Any truncation or extension fails. */
        cr_assert(dtls_ecdsa_der_to_rs(back, n, der, len - 1) == -1);
        der[len] = 0;
        cr_assert(dtls_ecdsa_der_to_rs(back, n, der, len + 1) == -1);
        ran++;
    }
    vec_report("ecdsa DER round trips", ran, 0);
}

/* ---- Wycheproof ECDSA ---------------------------------------------------- */

static void wycheproof_ecdsa(const char *file, const char *md, size_t n, int p1363)
{
    cJSON *j = vec_json(file);
    if (!j)
        cr_skip_test("%s", vec_missing_msg());
    unsigned ran = 0, skipped = 0;
    const cJSON *g;
    cJSON_ArrayForEach(g, item(j, "testGroups"))
    {
        uint8_t pub[97];
        size_t pub_len = vec_hex_into(vec_str(item(g, "publicKey"), "uncompressed"), pub, sizeof pub);
        cr_assert(pub_len == 2 * n + 1);
        const cJSON *t;
        cJSON_ArrayForEach(t, item(g, "tests"))
        {
            int id = item(t, "tcId")->valueint;
            const char *result = vec_str(t, "result");
            size_t msg_len, sig_len, hlen;
            uint8_t *msg = vec_hex(vec_str(t, "msg"), &msg_len);
            uint8_t *sig = vec_hex(vec_str(t, "sig"), &sig_len);
            uint8_t h[64], rs[96];
            int ok;

            digest(md, msg, msg_len, h, &hlen);
            if (p1363) {
                ok = sig_len == 2 * n;
                if (ok)
                    memcpy(rs, sig, 2 * n);
            } else {
                ok = dtls_ecdsa_der_to_rs(rs, n, sig, sig_len) == 0;
                /* A signature that parses is DER, so it re-encodes to the same bytes. */
                if (ok) {
                    uint8_t der[2 * 48 + 9];
                    size_t dl = dtls_ecdsa_rs_to_der(der, sizeof der, rs, n);
                    cr_expect(dl == sig_len && memcmp(der, sig, dl) == 0, "tcId %d: DER not canonical", id);
                }
            }
            if (ok)
                ok = (n == 32 ? dtls_p256_ecdsa_verify(pub, pub_len, h, hlen, rs)
                              : dtls_p384_ecdsa_verify(pub, pub_len, h, hlen, rs)) == 0;
            if (strcmp(result, "valid") == 0)
                cr_expect(ok, "%s tcId %d: valid signature rejected", file, id);
            else if (strcmp(result, "invalid") == 0)
                cr_expect(!ok, "%s tcId %d: invalid signature accepted (%s)", file, id,
                          vec_str(t, "comment"));
            else
                skipped++; /* no "acceptable" cases in these files */
            ran++;
            free(msg);
            free(sig);
        }
    }
    cJSON_Delete(j);
    vec_report(file, ran, skipped);
}

Test(ec_wycheproof, ecdsa_p256_sha256_der)
{
    wycheproof_ecdsa("wycheproof/ecdsa_secp256r1_sha256_test.json", "SHA256", 32, 0);
}

Test(ec_wycheproof, ecdsa_p256_sha256_p1363)
{
    wycheproof_ecdsa("wycheproof/ecdsa_secp256r1_sha256_p1363_test.json", "SHA256", 32, 1);
}

Test(ec_wycheproof, ecdsa_p384_sha384_der)
{
    wycheproof_ecdsa("wycheproof/ecdsa_secp384r1_sha384_test.json", "SHA384", 48, 0);
}

Test(ec_wycheproof, ecdsa_p384_sha384_p1363)
{
    wycheproof_ecdsa("wycheproof/ecdsa_secp384r1_sha384_p1363_test.json", "SHA384", 48, 1);
}

/* ---- Wycheproof ECDH ------------------------------------------------------ */

/*
 * Test-side SubjectPublicKeyInfo reader for ecdh_secp256r1_test.json: accepts
 * only the DER
 *   SEQUENCE { SEQUENCE { OID id-ecPublicKey, OID prime256v1 }, BIT STRING (0 unused bits) }
 * with minimal short-form lengths and nothing trailing, and returns the BIT
 * STRING contents (the SEC1 point, which dtls_p256_ecdh then validates).
 */
static int spki_point(const uint8_t *d, size_t len, const uint8_t **pt, size_t *pt_len)
{
    static const uint8_t alg[] = {0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
                                  0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
    if (len < 2 || d[0] != 0x30 || d[1] >= 0x80 || d[1] != len - 2)
        return -1;
    d += 2;
    len -= 2;
    if (len < sizeof alg || memcmp(d, alg, sizeof alg) != 0)
        return -1;
    d += sizeof alg;
    len -= sizeof alg;
    if (len < 3 || d[0] != 0x03 || d[1] >= 0x80 || d[1] != len - 2 || d[2] != 0x00)
        return -1;
    *pt = d + 3;
    *pt_len = len - 3;
    return 0;
}

static void wycheproof_ecdh(const char *file, int spki)
{
    cJSON *j = vec_json(file);
    if (!j)
        cr_skip_test("%s", vec_missing_msg());
    unsigned ran = 0;
    const cJSON *g;
    cJSON_ArrayForEach(g, item(j, "testGroups"))
    {
        const cJSON *t;
        cJSON_ArrayForEach(t, item(g, "tests"))
        {
            int id = item(t, "tcId")->valueint;
            const char *result = vec_str(t, "result");
            size_t pub_len, shared_len;
            uint8_t *pub = vec_hex(vec_str(t, "public"), &pub_len);
            uint8_t *shared = vec_hex(vec_str(t, "shared"), &shared_len);
            uint8_t priv[32], z[32];
            const uint8_t *pt = pub;
            size_t pt_len = pub_len;
            int ok;

            cr_assert(scalar32(vec_str(t, "private"), priv) == 0);
            ok = !spki || spki_point(pub, pub_len, &pt, &pt_len) == 0;
            if (ok)
                ok = dtls_p256_ecdh(z, priv, pt, pt_len) == 0;
            if (strcmp(result, "valid") == 0) {
                cr_expect(ok, "%s tcId %d: valid case rejected (%s)", file, id, vec_str(t, "comment"));
                if (ok)
                    cr_expect(shared_len == 32 && memcmp(z, shared, 32) == 0, "%s tcId %d: wrong secret",
                              file, id);
            } else if (strcmp(result, "invalid") == 0) {
                cr_expect(!ok, "%s tcId %d: invalid case accepted (%s)", file, id, vec_str(t, "comment"));
            } else {
                /*
                 * "acceptable" cases, decided per flag:
                 *  - CompressedPoint / CompressedPublic: TLS 1.3 key shares are
                 *    uncompressed only (RFC 8446 4.2.8.2), so dtls_p256_ecdh rejects
                 *    02/03 points: must fail.
                 *  - InvalidAsn (BER lengths, odd tags... in the SPKI) and
                 *    UnnamedCurve (explicit curve parameters instead of the
                 *    prime256v1 OID): the SPKI is not the one DER form the test
                 *    reader takes, so the case is rejected before ECDH: must fail.
                 * Anything else acceptable must at least give the right secret.
                 */
                if (vec_has_flag(t, "CompressedPoint") || vec_has_flag(t, "CompressedPublic") ||
                    vec_has_flag(t, "InvalidAsn") || vec_has_flag(t, "UnnamedCurve"))
                    cr_expect(!ok, "%s tcId %d: acceptable case expected to be rejected", file, id);
                else if (ok)
                    cr_expect(memcmp(z, shared, 32) == 0, "%s tcId %d: wrong secret", file, id);
            }
            ran++;
            free(pub);
            free(shared);
        }
    }
    cJSON_Delete(j);
    vec_report(file, ran, 0);
}

Test(ec_wycheproof, ecdh_p256_ecpoint)
{
    wycheproof_ecdh("wycheproof/ecdh_secp256r1_ecpoint_test.json", 0);
}

Test(ec_wycheproof, ecdh_p256_spki)
{
    wycheproof_ecdh("wycheproof/ecdh_secp256r1_test.json", 1);
}

/* ---- RFC 6979 A.2.5 ------------------------------------------------------ */

Test(ec_rfc6979, p256_sha256)
{
    static const struct {
        const char *msg, *k, *r, *s;
    } v[] = {
        {"sample", "A6E3C57DD01ABE90086538398355DD4C3B17AA873382B0F24D6129493D8AAD60",
         "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716",
         "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"},
        {"test", "D16B6AE827F17175E040871A1C7EC3500192C4C92677336EC2537ACAEE0008E0",
         "F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367",
         "019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083"},
    };
    uint8_t x[32], pub[65], want_pub[65], k[32], kg[65], r[32], s[32], sig[64], h[32];
    size_t hl;

    vec_hex_into("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721", x, 32);
    want_pub[0] = 0x04;
    vec_hex_into("60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6", want_pub + 1, 32);
    vec_hex_into("7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299", want_pub + 33, 32);
    cr_assert(dtls_p256_pubkey(pub, x) == 0);
    cr_assert(memcmp(pub, want_pub, 65) == 0, "public key U = xG");
    for (size_t i = 0; i < 2; i++) {
        vec_hex_into(v[i].k, k, 32);
        vec_hex_into(v[i].r, r, 32);
        vec_hex_into(v[i].s, s, 32);
        digest("SHA256", (const uint8_t *)v[i].msg, strlen(v[i].msg), h, &hl);
        cr_assert(dtls_p256_ecdsa_sign(sig, x, h, hl) == 0);
        cr_expect(memcmp(sig, r, 32) == 0, "%s: r", v[i].msg);
        cr_expect(memcmp(sig + 32, s, 32) == 0, "%s: s", v[i].msg);
        /* r is x(kG) for the RFC's k (r < n here, no reduction), so the nonce was k. */
        cr_assert(dtls_p256_pubkey(kg, k) == 0);
        cr_expect(memcmp(kg + 1, r, 32) == 0, "%s: r == x(kG)", v[i].msg);
        cr_expect(dtls_p256_ecdsa_verify(pub, 65, h, hl, sig) == 0);
    }
    vec_report("RFC 6979 A.2.5 P-256/SHA-256", 2, 0);
}

/* ---- edge cases ----------------------------------------------------------- */

Test(ec_edge, scalar_ranges)
{
    uint8_t k[32], pub[65], sig[64], z[32], h[32] = {1};
    uint8_t g[65];

    memset(k, 0, 32);
    cr_assert(dtls_p256_pubkey(pub, k) == -1, "0");
    cr_assert(dtls_p256_ecdsa_sign(sig, k, h, 32) == -1, "0");
    memcpy(k, P256_N_BYTES, 32);
    memset(pub, 0x5a, sizeof pub);
    cr_assert(dtls_p256_pubkey(pub, k) == -1, "n");
    for (size_t i = 0; i < sizeof pub; i++)
        cr_assert(pub[i] == 0x5a, "pub untouched on failure");
    cr_assert(dtls_p256_ecdsa_sign(sig, k, h, 32) == -1, "n");
    memset(k, 0xff, 32);
    cr_assert(dtls_p256_pubkey(pub, k) == -1, "2^256 - 1");
    /* 1 gives G; n - 1 gives -G */
    memset(k, 0, 32);
    k[31] = 1;
    cr_assert(dtls_p256_pubkey(g, k) == 0);
    cr_assert(dtls_p256_ecdh(z, k, g, 65) == 0);
    cr_assert(memcmp(z, g + 1, 32) == 0);
    memcpy(k, P256_N_BYTES, 32);
    k[31] -= 1;
    cr_assert(dtls_p256_pubkey(pub, k) == 0);
    cr_assert(memcmp(pub + 1, g + 1, 32) == 0);
    uint8_t negy[32];
    sub32(negy, P256_P_BYTES, g + 33);
    cr_assert(memcmp(pub + 33, negy, 32) == 0);
    /* ECDH with a private key out of range fails too */
    memset(k, 0, 32);
    cr_assert(dtls_p256_ecdh(z, k, g, 65) == -1);
    memcpy(k, P256_N_BYTES, 32);
    cr_assert(dtls_p256_ecdh(z, k, g, 65) == -1);
}

Test(ec_edge, invalid_points)
{
    uint8_t priv[32], g[65], bad[66], z[32];
    memset(priv, 0, 32);
    priv[31] = 7;
    priv[0] = 0x11;
    memset(g, 0, sizeof g);
    uint8_t one[32] = {0};
    one[31] = 1;
    cr_assert(dtls_p256_pubkey(g, one) == 0);
    cr_assert(dtls_p256_ecdh(z, priv, g, 65) == 0);
    cr_assert(dtls_p256_ecdh(z, priv, g, 64) == -1, "short");
    memcpy(bad, g, 65);
    bad[65] = 0;
    cr_assert(dtls_p256_ecdh(z, priv, bad, 66) == -1, "long");
    cr_assert(dtls_p256_ecdh(z, priv, NULL, 65) == -1, "NULL");
    static const uint8_t inf = 0x00;
    cr_assert(dtls_p256_ecdh(z, priv, &inf, 1) == -1, "infinity");
    for (uint8_t pfx = 0; pfx < 8; pfx++) {
        if (pfx == 4)
            continue;
        memcpy(bad, g, 65);
        bad[0] = pfx;
        cr_assert(dtls_p256_ecdh(z, priv, bad, 65) == -1, "prefix %u", pfx);
    }
    cr_assert(dtls_p256_ecdh(z, priv, g, 33) == -1, "compressed length");
    memcpy(bad, g, 65);
    bad[64] ^= 1;
    cr_assert(dtls_p256_ecdh(z, priv, bad, 65) == -1, "off the curve");
    /* x + p and y + p do not fit; x = p, y = p, and all-ones coordinates are out of range */
    memcpy(bad, g, 65);
    memcpy(bad + 1, P256_P_BYTES, 32);
    cr_assert(dtls_p256_ecdh(z, priv, bad, 65) == -1, "x = p");
    memcpy(bad, g, 65);
    memcpy(bad + 33, P256_P_BYTES, 32);
    cr_assert(dtls_p256_ecdh(z, priv, bad, 65) == -1, "y = p");
    memset(bad + 1, 0, 64);
    bad[0] = 4;
    cr_assert(dtls_p256_ecdh(z, priv, bad, 65) == -1, "(0, 0)");
    /* The same validation in verify. */
    uint8_t sig[64], h[32] = {9};
    cr_assert(dtls_p256_ecdsa_sign(sig, one, h, 32) == 0);
    cr_assert(dtls_p256_ecdsa_verify(g, 65, h, 32, sig) == 0);
    memcpy(bad, g, 65);
    bad[64] ^= 1;
    cr_assert(dtls_p256_ecdsa_verify(bad, 65, h, 32, sig) == -1);
    cr_assert(dtls_p256_ecdsa_verify(g, 64, h, 32, sig) == -1);
}

Test(ec_edge, verify_ranges)
{
    uint8_t one[32] = {0}, pub[65], sig[64], bad[64], h[32] = {3};
    one[31] = 5;
    cr_assert(dtls_p256_pubkey(pub, one) == 0);
    cr_assert(dtls_p256_ecdsa_sign(sig, one, h, 32) == 0);
    cr_assert(dtls_p256_ecdsa_verify(pub, 65, h, 32, sig) == 0);
    /* r, s = 0 and r, s >= n rejected (s + n would otherwise verify if it fit) */
    memcpy(bad, sig, 64);
    memset(bad, 0, 32);
    cr_assert(dtls_p256_ecdsa_verify(pub, 65, h, 32, bad) == -1);
    memcpy(bad, sig, 64);
    memset(bad + 32, 0, 32);
    cr_assert(dtls_p256_ecdsa_verify(pub, 65, h, 32, bad) == -1);
    memcpy(bad, sig, 64);
    memcpy(bad, P256_N_BYTES, 32);
    cr_assert(dtls_p256_ecdsa_verify(pub, 65, h, 32, bad) == -1);
    memcpy(bad, sig, 64);
    memcpy(bad + 32, P256_N_BYTES, 32);
    cr_assert(dtls_p256_ecdsa_verify(pub, 65, h, 32, bad) == -1);
    /* -s (n - s) is also a valid signature: ECDSA is malleable and we do not normalise */
    memcpy(bad, sig, 64);
    sub32(bad + 32, P256_N_BYTES, sig + 32);
    cr_assert(dtls_p256_ecdsa_verify(pub, 65, h, 32, bad) == 0);
    /* empty and long hashes are fine (truncation per SEC1) */
    cr_assert(dtls_p256_ecdsa_sign(sig, one, NULL, 0) == 0);
    cr_assert(dtls_p256_ecdsa_verify(pub, 65, NULL, 0, sig) == 0);
}

/*
 * Scalars next to n and small scalars: where a windowed or comb
 * multiplication meets infinity, equal or opposite points if it handles the
 * exceptional additions wrongly (k = n - 1 ends on -P + ... = -P, small k start
 * from infinity with mostly zero digits).
 */
Test(ec_edge, scalars_near_n_vs_openssl)
{
    ref_curve c = ref_new(NID_X9_62_prime256v1, "prime256v1", 32);
    uint64_t seed = 0x5eed0002;
    unsigned ran = 0;
    for (int i = 0; i < 80; i++) {
        uint8_t k[32], p[65], q[65], z[32], want[65], kp[32];
        if (i < 40) {
            uint8_t d[32] = {0};
            d[31] = (uint8_t)(i + 1);
            sub32(k, P256_N_BYTES, d); /* n - 1 .. n - 40 */
        } else {
            memset(k, 0, 32);
            k[31] = (uint8_t)(i - 39); /* 1 .. 40 */
        }
        /* pubkey */
        cr_assert(dtls_p256_pubkey(p, k) == 0);
        cr_assert(ref_mul(&c, want, k, 32, NULL) == 0);
        cr_assert(memcmp(p, want, 65) == 0, "pubkey, case %d", i);
        /* ECDH against a random point, and against G itself (k * G, the same point as above) */
        do
            test_rand_bytes(&seed, kp, 32);
        while (dtls_p256_pubkey(q, kp) != 0);
        cr_assert(dtls_p256_ecdh(z, k, q, 65) == 0);
        cr_assert(ref_mul(&c, want, k, 32, q) == 0);
        cr_assert(memcmp(z, want + 1, 32) == 0, "ecdh, case %d", i);
        uint8_t one[32] = {0}, g[65];
        one[31] = 1;
        dtls_p256_pubkey(g, one);
        cr_assert(dtls_p256_ecdh(z, k, g, 65) == 0);
        cr_assert(memcmp(z, p + 1, 32) == 0, "ecdh with G, case %d", i);
        /* sign and verify with these keys */
        uint8_t h[32], sig[64];
        test_rand_bytes(&seed, h, 32);
        cr_assert(dtls_p256_ecdsa_sign(sig, k, h, 32) == 0);
        cr_assert(dtls_p256_ecdsa_verify(p, 65, h, 32, sig) == 0);
        ran++;
    }
    ref_free(&c);
    vec_report("P-256 scalars near 0 and n vs OpenSSL", ran, 0);
}

/* ---- differential tests against OpenSSL ----------------------------------- */

Test(ec_diff, p256_keys_ecdh_sign_verify)
{
    ref_curve c = ref_new(NID_X9_62_prime256v1, "prime256v1", 32);
    uint64_t seed = 0x5eed0003;
    static const size_t hlens[] = {32, 32, 32, 0, 1, 20, 28, 31, 33, 48, 64};
    unsigned ran = 0;

    for (int it = 0; it < 2000; it++) {
        uint8_t a[32], b[32], pa[65], pb[65], want[65], zab[32], zba[32];
        uint8_t h[64], sig[64], der[2 * 32 + 9], bad[64];
        size_t hlen = hlens[test_rand_u32(&seed) % (sizeof hlens / sizeof hlens[0])];

        test_rand_bytes(&seed, a, 32);
        test_rand_bytes(&seed, b, 32);
        if (it % 97 == 0)
            memset(a, 0xff, 16); /* some keys >= n, rejected */
        int ra = dtls_p256_pubkey(pa, a), rb = dtls_p256_pubkey(pb, b);
        if (memcmp(a, P256_N_BYTES, 32) >= 0) {
            cr_assert(ra == -1);
            continue;
        }
        cr_assert(ra == 0 && rb == 0);
        cr_assert(ref_mul(&c, want, a, 32, NULL) == 0);
        cr_assert(memcmp(pa, want, 65) == 0, "pubkey %d", it);

        /* ECDH both directions, and OpenSSL's a * (bG). */
        cr_assert(dtls_p256_ecdh(zab, a, pb, 65) == 0);
        cr_assert(dtls_p256_ecdh(zba, b, pa, 65) == 0);
        cr_assert(ref_mul(&c, want, a, 32, pb) == 0);
        cr_assert(memcmp(zab, want + 1, 32) == 0, "ecdh %d", it);
        cr_assert(memcmp(zba, zab, 32) == 0, "ecdh symmetric %d", it);

        /* Our signature, DER-encoded, verified by OpenSSL and by us. */
        test_rand_bytes(&seed, h, hlen);
        cr_assert(dtls_p256_ecdsa_sign(sig, a, h, hlen) == 0);
        size_t dl = dtls_ecdsa_rs_to_der(der, sizeof der, sig, 32);
        cr_assert(dl > 0);
        EVP_PKEY *ka = ref_key(&c, pa, a);
        cr_assert(ref_verify(ka, der, dl, h, hlen) == 0, "OpenSSL rejects our signature %d (hash %zu)", it,
                  hlen);
        cr_assert(dtls_p256_ecdsa_verify(pa, 65, h, hlen, sig) == 0);
        /* Deterministic: the same input gives the same signature. */
        uint8_t sig2[64];
        cr_assert(dtls_p256_ecdsa_sign(sig2, a, h, hlen) == 0);
        cr_assert(memcmp(sig, sig2, 64) == 0);

        /* OpenSSL's signature verified by us. */
        uint8_t oder[80], ors[64];
        size_t ol = ref_sign(ka, oder, sizeof oder, h, hlen);
        cr_assert(dtls_ecdsa_der_to_rs(ors, 32, oder, ol) == 0);
        cr_assert(dtls_p256_ecdsa_verify(pa, 65, h, hlen, ors) == 0, "OpenSSL signature rejected %d", it);

        /* Corruptions: a bit of the signature, a bit of the hash, the wrong key. */
        memcpy(bad, sig, 64);
        bad[test_rand_u32(&seed) % 64] ^= (uint8_t)(1u << (test_rand_u32(&seed) % 8));
        cr_assert(dtls_p256_ecdsa_verify(pa, 65, h, hlen, bad) == -1);
        if (hlen > 0) {
            uint8_t hb[64];
            size_t bit = test_rand_u32(&seed) % (8 * (hlen < 32 ? hlen : 32));
            memcpy(hb, h, hlen);
            hb[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            cr_assert(dtls_p256_ecdsa_verify(pa, 65, hb, hlen, sig) == -1);
        }
        cr_assert(dtls_p256_ecdsa_verify(pb, 65, h, hlen, sig) == -1);
        EVP_PKEY_free(ka);
        ran++;
    }
    ref_free(&c);
    vec_report("P-256 differential vs OpenSSL (keys, ECDH x2, sign, verify x2, 3 corruptions)", ran, 0);
}

Test(ec_diff, p384_openssl_signatures)
{
    ref_curve c = ref_new(NID_secp384r1, "secp384r1", 48);
    uint64_t seed = 0x5eed0004;
    static const size_t hlens[] = {48, 48, 48, 0, 20, 32, 47, 49, 64};
    uint8_t d[48], pub[97];
    EVP_PKEY *k = NULL;
    unsigned ran = 0;

    for (int it = 0; it < 1000; it++) {
        uint8_t h[64], der[120], rs[96], bad[96];
        size_t hlen = hlens[test_rand_u32(&seed) % (sizeof hlens / sizeof hlens[0])];
        if (it % 4 == 0) { /* a fresh key for every 4 signatures */
            EVP_PKEY_free(k);
            test_rand_bytes(&seed, d, 48);
            d[0] &= 0x7f; /* below n */
            d[47] |= 1;
            cr_assert(ref_mul(&c, pub, d, 48, NULL) == 0);
            k = ref_key(&c, pub, d);
        }
        test_rand_bytes(&seed, h, hlen);
        size_t dl = ref_sign(k, der, sizeof der, h, hlen);
        cr_assert(dtls_ecdsa_der_to_rs(rs, 48, der, dl) == 0);
        cr_assert(dtls_p384_ecdsa_verify(pub, 97, h, hlen, rs) == 0, "OpenSSL P-384 signature rejected %d",
                  it);
        /* our re-encoding is what OpenSSL produced */
        uint8_t der2[2 * 48 + 9];
        size_t dl2 = dtls_ecdsa_rs_to_der(der2, sizeof der2, rs, 48);
        cr_assert(dl2 == dl && memcmp(der, der2, dl) == 0);
        /* One corruption per signature, alternating: a bit of r || s, a bit of the hash. */
        if (it % 2 == 0 || hlen == 0) {
            memcpy(bad, rs, 96);
            bad[test_rand_u32(&seed) % 96] ^= (uint8_t)(1u << (test_rand_u32(&seed) % 8));
            cr_assert(dtls_p384_ecdsa_verify(pub, 97, h, hlen, bad) == -1);
        } else {
            uint8_t hb[64];
            size_t bit = test_rand_u32(&seed) % (8 * (hlen < 48 ? hlen : 48));
            memcpy(hb, h, hlen);
            hb[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            cr_assert(dtls_p384_ecdsa_verify(pub, 97, hb, hlen, rs) == -1);
        }
        uint8_t pb[97];
        memcpy(pb, pub, 97);
        pb[96] ^= 1;
        cr_assert(dtls_p384_ecdsa_verify(pb, 97, h, hlen, rs) == -1, "point off the curve");
        cr_assert(dtls_p384_ecdsa_verify(pub, 65, h, hlen, rs) == -1);
        ran++;
    }
    EVP_PKEY_free(k);
    ref_free(&c);
    vec_report("P-384 OpenSSL signatures verified (250 keys; one corruption each, rejected)", ran, 0);
}

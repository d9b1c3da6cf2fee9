/*
 * AES (FIPS-197), AES-GCM, ChaCha20, Poly1305 and ChaCha20-Poly1305:
 * published vectors (FIPS-197, RFC 8439, NIST GCMVS, Wycheproof) and
 * differential tests against OpenSSL's libcrypto on random inputs.
 */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/aead.h"
#include "crypto/aes.h"
#include "crypto/chacha.h"
#include "vectors.h"

/* ---- helpers ---------------------------------------------------------- */

static void expect_hex(const uint8_t *got, size_t len, const char *hex, const char *what)
{
    uint8_t want[512];
    size_t n = vec_hex_into(hex, want, sizeof want);
    cr_assert_eq(n, len, "%s: length %zu, expected %zu", what, len, n);
    cr_assert(memcmp(got, want, len) == 0, "%s: output differs", what);
}

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            return 0;
    return 1;
}

/*
 * AES-GCM has two implementations: [0] the portable one, always, and [1]
 * what dtls_aes_gcm_init picks on this CPU (AES-NI + PCLMULQDQ on x86-64
 * when present, else the portable one again). Every AES-GCM test below runs
 * through both; fast_path_selected says which one [1] is.
 */
typedef int (*gcm_init_fn)(dtls_aes_gcm_ctx *, const uint8_t *, size_t);
static const gcm_init_fn gcm_init[2] = { dtls_aes_gcm_init_portable, dtls_aes_gcm_init };
static const char *const gcm_name[2] = { "portable", "selected" };

/* OpenSSL AEAD one-shot helpers. Returns 1 on success (open: tag valid). */
static int ossl_aead(const EVP_CIPHER *ci, int enc, const uint8_t *key, const uint8_t *iv, size_t iv_len,
                     const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
                     uint8_t *tag, size_t tag_len)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int ol = 0, ok = 1;
    uint8_t dummy[1];
    cr_assert_not_null(c);
    ok &= EVP_CipherInit_ex(c, ci, NULL, NULL, NULL, enc);
    ok &= EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, (int)iv_len, NULL);
    if (!enc)
        ok &= EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, (int)tag_len, tag);
    ok &= EVP_CipherInit_ex(c, NULL, NULL, key, iv, enc);
    cr_assert(ok, "OpenSSL setup failed");
    if (aad_len)
        cr_assert(EVP_CipherUpdate(c, NULL, &ol, aad, (int)aad_len));
    if (len)
        cr_assert(EVP_CipherUpdate(c, out, &ol, in, (int)len));
    ok = EVP_CipherFinal_ex(c, dummy, &ol);
    if (enc && ok)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, (int)tag_len, tag);
    EVP_CIPHER_CTX_free(c);
    return ok == 1;
}

/* ---- FIPS-197 and RFC 8439 known answers ------------------------------- */

Test(aes, fips197_block_vectors)
{
    /* FIPS-197 appendix C.1-C.3 (key 00 01 .. , plaintext 00 11 22 ..) and appendix B. */
    static const struct {
        const char *key, *pt, *ct;
    } v[] = {
        { "000102030405060708090a0b0c0d0e0f", "00112233445566778899aabbccddeeff",
          "69c4e0d86a7b0430d8cdb78070b4c55a" },
        { "000102030405060708090a0b0c0d0e0f1011121314151617", "00112233445566778899aabbccddeeff",
          "dda97ca4864cdfe06eaf70a0ec0d7191" },
        { "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
          "00112233445566778899aabbccddeeff", "8ea2b7ca516745bfeafc49904b496089" },
        { "2b7e151628aed2a6abf7158809cf4f3c", "3243f6a8885a308d313198a2e0370734",
          "3925841d02dc09fbdc118597196a0b32" },
    };
    unsigned ran = 0;
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t key[32], pt[16], out[16 * 5];
        size_t kl = vec_hex_into(v[i].key, key, sizeof key);
        dtls_aes_key k;
        vec_hex_into(v[i].pt, pt, sizeof pt);
        cr_assert_eq(dtls_aes_set_key(&k, key, kl), 0);
        dtls_aes_encrypt_blocks(&k, pt, out, 1);
        expect_hex(out, 16, v[i].ct, "FIPS-197");
        /* Same block in every lane of a 5-block call (4 bitsliced + 1), and in place. */
        for (int j = 0; j < 5; j++)
            memcpy(out + 16 * j, pt, 16);
        dtls_aes_encrypt_blocks(&k, out, out, 5);
        for (int j = 0; j < 5; j++)
            expect_hex(out + 16 * j, 16, v[i].ct, "FIPS-197 multi-block");
        ran++;
    }
    vec_report("AES FIPS-197 (transcribed)", ran, 0);
}

Test(aes, bad_key_length_refused)
{
    uint8_t key[33] = { 0 };
    dtls_aes_key k;
    dtls_aes_gcm_ctx g;
    size_t bad[] = { 0, 1, 15, 17, 20, 23, 25, 31, 33 };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(dtls_aes_set_key(&k, key, bad[i]), -1);
        cr_assert_eq(dtls_aes_gcm_init(&g, key, bad[i]), -1);
    }
}

static const uint8_t rfc_key_00_1f[32] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

static const char sunscreen[] =
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, "
    "sunscreen would be it.";

Test(chacha20, rfc8439_2_3_2_block)
{
    uint8_t nonce[12], out[64] = { 0 };
    vec_hex_into("000000090000004a00000000", nonce, sizeof nonce);
    dtls_chacha20_xor(rfc_key_00_1f, nonce, 1, out, sizeof out);
    expect_hex(out, 64,
               "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
               "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e",
               "RFC 8439 2.3.2");
    vec_report("ChaCha20 RFC 8439 2.3.2 (transcribed)", 1, 0);
}

Test(chacha20, rfc8439_2_4_2_encryption)
{
    uint8_t nonce[12], buf[sizeof sunscreen - 1];
    const char *ct = "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b"
                     "f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8"
                     "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736"
                     "5af90bbf74a35be6b40b8eedf2785e42874d";
    vec_hex_into("000000000000004a00000000", nonce, sizeof nonce);
    memcpy(buf, sunscreen, sizeof buf);
    dtls_chacha20_xor(rfc_key_00_1f, nonce, 1, buf, sizeof buf);
    expect_hex(buf, sizeof buf, ct, "RFC 8439 2.4.2");
    /* Byte-at-a-time is not offered, but a split at a block boundary must continue the stream. */
    memcpy(buf, sunscreen, sizeof buf);
    dtls_chacha20_xor(rfc_key_00_1f, nonce, 1, buf, 64);
    dtls_chacha20_xor(rfc_key_00_1f, nonce, 2, buf + 64, sizeof buf - 64);
    expect_hex(buf, sizeof buf, ct, "RFC 8439 2.4.2 split");
    vec_report("ChaCha20 RFC 8439 2.4.2 (transcribed)", 1, 0);
}

Test(poly1305, rfc8439_2_5_2)
{
    static const char msg[] = "Cryptographic Forum Research Group";
    uint8_t key[32], tag[16];
    dtls_poly1305_ctx p;
    vec_hex_into("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b", key, sizeof key);
    dtls_poly1305_init(&p, key);
    dtls_poly1305_update(&p, (const uint8_t *)msg, sizeof msg - 1);
    dtls_poly1305_final(&p, tag);
    expect_hex(tag, 16, "a8061dc1305136c6c22b8baf0c0127a9", "RFC 8439 2.5.2");
    cr_assert(all_zero((const uint8_t *)&p, sizeof p), "final must wipe the context");
    vec_report("Poly1305 RFC 8439 2.5.2 (transcribed)", 1, 0);
}

Test(poly1305, split_updates_match_one_shot)
{
    uint64_t seed = 0x5eed1305;
    uint8_t key[32], msg[300], t1[16], t2[16];
    for (int it = 0; it < 500; it++) {
        size_t len = test_rand_u32(&seed) % sizeof msg;
        dtls_poly1305_ctx a, b;
        test_rand_bytes(&seed, key, sizeof key);
        test_rand_bytes(&seed, msg, len);
        dtls_poly1305_init(&a, key);
        dtls_poly1305_update(&a, msg, len);
        dtls_poly1305_final(&a, t1);
        dtls_poly1305_init(&b, key);
        for (size_t off = 0; off < len;) {
            size_t n = test_rand_u32(&seed) % 40;
            if (n > len - off)
                n = len - off;
            dtls_poly1305_update(&b, msg + off, n);
            off += n;
        }
        dtls_poly1305_final(&b, t2);
        cr_assert(memcmp(t1, t2, 16) == 0, "split updates differ (len %zu)", len);
    }
}

Test(poly1305, final_reduction_edges)
{
    /*
     * r = 1 and s = 0 make the tag h mod p itself. Two full blocks give
     * h = (2^128 + m1) + (2^128 + m2) = 2^129 + m1 + m2. With m1 = 2^128 - 1
     * (all 0xff) and m2 = 2^128 - 4 + d (first byte 0xfc + d, little-endian),
     * h = 2^130 - 5 + d = p + d: the final subtraction of p must give d.
     */
    for (uint8_t d = 0; d < 4; d++) {
        uint8_t key[32] = { 0 }, msg[32], tag[16], want[16] = { 0 };
        dtls_poly1305_ctx p;
        key[0] = 1;
        memset(msg, 0xff, sizeof msg);
        msg[16] = (uint8_t)(0xfc + d);
        dtls_poly1305_init(&p, key);
        dtls_poly1305_update(&p, msg, sizeof msg);
        dtls_poly1305_final(&p, tag);
        want[0] = d;
        cr_assert(memcmp(tag, want, 16) == 0, "h = p + %u must reduce to %u", d, d);
    }
    /* Just below p: h = p - 1 = 2^130 - 6 stays as is; the tag is h mod 2^128 = 2^128 - 6. */
    {
        uint8_t key[32] = { 0 }, msg[32], tag[16];
        dtls_poly1305_ctx p;
        key[0] = 1;
        memset(msg, 0xff, sizeof msg);
        msg[16] = 0xfb;
        dtls_poly1305_init(&p, key);
        dtls_poly1305_update(&p, msg, sizeof msg);
        dtls_poly1305_final(&p, tag);
        cr_assert_eq(tag[0], 0xfa);
        for (int i = 1; i < 16; i++)
            cr_assert_eq(tag[i], 0xff);
    }
}

Test(chachapoly, rfc8439_2_8_2)
{
    uint8_t key[32], nonce[12], aad[12], buf[sizeof sunscreen - 1], tag[16];
    dtls_chachapoly_ctx c;
    const char *ct = "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
                     "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
                     "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
                     "3ff4def08e4b7a9de576d26586cec64b6116";
    vec_hex_into("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f", key, sizeof key);
    vec_hex_into("070000004041424344454647", nonce, sizeof nonce);
    vec_hex_into("50515253c0c1c2c3c4c5c6c7", aad, sizeof aad);
    memcpy(buf, sunscreen, sizeof buf);
    dtls_chachapoly_init(&c, key);
    dtls_chachapoly_seal(&c, nonce, aad, sizeof aad, buf, sizeof buf, tag);
    expect_hex(buf, sizeof buf, ct, "RFC 8439 2.8.2 ciphertext");
    expect_hex(tag, 16, "1ae10b594f09e26a7e902ecbd0600691", "RFC 8439 2.8.2 tag");
    cr_assert_eq(dtls_chachapoly_open(&c, nonce, aad, sizeof aad, buf, sizeof buf, tag), 0);
    cr_assert(memcmp(buf, sunscreen, sizeof buf) == 0);
    vec_report("ChaCha20-Poly1305 RFC 8439 2.8.2 (transcribed)", 1, 0);
}

/* ---- Wycheproof -------------------------------------------------------- */

Test(aes_gcm, wycheproof)
{
    cJSON *j = vec_json("wycheproof/aes_gcm_test.json");
    unsigned ran = 0, valid = 0, rejected = 0, refused = 0;
    const cJSON *g, *t;
    if (!j)
        cr_skip_test("%s", vec_missing_msg());
    for (int m = 0; m < 2; m++) /* portable, then the selected implementation */
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(j, "testGroups"))
    {
        int iv_bits = cJSON_GetObjectItem(g, "ivSize")->valueint;
        int tag_bits = cJSON_GetObjectItem(g, "tagSize")->valueint;
        cJSON_ArrayForEach(t, cJSON_GetObjectItem(g, "tests"))
        {
            size_t kl, ivl, al, ml, cl, tl;
            uint8_t *key = vec_hex(vec_str(t, "key"), &kl);
            uint8_t *iv = vec_hex(vec_str(t, "iv"), &ivl);
            uint8_t *aad = vec_hex(vec_str(t, "aad"), &al);
            uint8_t *msg = vec_hex(vec_str(t, "msg"), &ml);
            uint8_t *ct = vec_hex(vec_str(t, "ct"), &cl);
            uint8_t *tag = vec_hex(vec_str(t, "tag"), &tl);
            const char *result = vec_str(t, "result");
            int tc = cJSON_GetObjectItem(t, "tcId")->valueint;
            uint8_t *buf = malloc(ml + cl + 1);
            uint8_t mytag[16];
            dtls_aes_gcm_ctx c;

            cr_assert((size_t)iv_bits == 8 * ivl && (size_t)tag_bits == 8 * tl, "tc %d: sizes", tc);
            cr_assert_eq(gcm_init[m](&c, key, kl), 0, "tc %d (%s): key size %zu", tc, gcm_name[m], kl);
            if (strcmp(result, "valid") == 0) {
                memcpy(buf, msg, ml);
                cr_assert_eq(dtls_aes_gcm_seal_iv(&c, iv, ivl, aad, al, buf, ml, mytag, tl), 0, "tc %d", tc);
                cr_assert(cl == ml && memcmp(buf, ct, cl) == 0, "tc %d: ciphertext", tc);
                cr_assert(memcmp(mytag, tag, tl) == 0, "tc %d: tag", tc);
                cr_assert_eq(dtls_aes_gcm_open_iv(&c, iv, ivl, aad, al, buf, cl, tag, tl), 0, "tc %d: open", tc);
                cr_assert(memcmp(buf, msg, ml) == 0, "tc %d: decryption", tc);
                if (ivl == 12 && tl == 16) {
                    /* The TLS-shaped fast path must agree. */
                    memcpy(buf, msg, ml);
                    dtls_aes_gcm_seal(&c, iv, aad, al, buf, ml, mytag);
                    cr_assert(memcmp(buf, ct, cl) == 0 && memcmp(mytag, tag, 16) == 0, "tc %d: seal", tc);
                    cr_assert_eq(dtls_aes_gcm_open(&c, iv, aad, al, buf, cl, tag), 0, "tc %d", tc);
                    cr_assert(memcmp(buf, msg, ml) == 0, "tc %d", tc);
                }
                valid++;
            } else {
                /* invalid: the tag must not verify, or the parameters are refused. */
                cr_assert_str_eq(result, "invalid", "tc %d: unexpected result kind", tc);
                if (ivl == 0) {
                    memcpy(buf, msg, ml);
                    cr_assert_eq(dtls_aes_gcm_seal_iv(&c, iv, ivl, aad, al, buf, ml, mytag, tl), -1,
                                 "tc %d: empty IV must be refused", tc);
                    refused++;
                }
                memcpy(buf, ct, cl);
                cr_assert_eq(dtls_aes_gcm_open_iv(&c, iv, ivl, aad, al, buf, cl, tag, tl), -1,
                             "tc %d: invalid case accepted", tc);
                cr_assert(all_zero(buf, cl), "tc %d: output not zeroed on failure", tc);
                if (ivl == 12 && tl == 16) {
                    memcpy(buf, ct, cl);
                    cr_assert_eq(dtls_aes_gcm_open(&c, iv, aad, al, buf, cl, tag), -1, "tc %d", tc);
                    cr_assert(all_zero(buf, cl), "tc %d", tc);
                }
                rejected++;
            }
            ran++;
            free(key); free(iv); free(aad); free(msg); free(ct); free(tag); free(buf);
        }
    }
    cJSON_Delete(j);
    cr_assert_eq(ran, 2 * 316, "expected all 316 Wycheproof AES-GCM vectors, twice");
    fprintf(stderr, "aes_gcm wycheproof: %u valid, %u invalid rejected (%u of them refused: empty IV)\n",
            valid, rejected, refused);
    vec_report("AES-GCM Wycheproof", ran, 0);
}

Test(chachapoly, wycheproof)
{
    cJSON *j = vec_json("wycheproof/chacha20_poly1305_test.json");
    unsigned ran = 0, valid = 0, rejected = 0, refused = 0;
    const cJSON *g, *t;
    if (!j)
        cr_skip_test("%s", vec_missing_msg());
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(j, "testGroups"))
    {
        int iv_bits = cJSON_GetObjectItem(g, "ivSize")->valueint;
        cJSON_ArrayForEach(t, cJSON_GetObjectItem(g, "tests"))
        {
            size_t kl, ivl, al, ml, cl, tl;
            uint8_t *key = vec_hex(vec_str(t, "key"), &kl);
            uint8_t *iv = vec_hex(vec_str(t, "iv"), &ivl);
            uint8_t *aad = vec_hex(vec_str(t, "aad"), &al);
            uint8_t *msg = vec_hex(vec_str(t, "msg"), &ml);
            uint8_t *ct = vec_hex(vec_str(t, "ct"), &cl);
            uint8_t *tag = vec_hex(vec_str(t, "tag"), &tl);
            const char *result = vec_str(t, "result");
            int tc = cJSON_GetObjectItem(t, "tcId")->valueint;
            uint8_t *buf = malloc(ml + cl + 1);
            uint8_t mytag[16];
            dtls_chachapoly_ctx c;

            cr_assert((size_t)iv_bits == 8 * ivl && kl == 32, "tc %d: sizes", tc);
            if (ivl != 12) {
                /* The API only takes 12-byte nonces: such a case cannot even be expressed. */
                cr_assert_str_eq(result, "invalid", "tc %d: valid case with a %zu-byte nonce", tc, ivl);
                refused++;
                rejected++;
            } else if (strcmp(result, "valid") == 0) {
                cr_assert_eq(tl, 16);
                dtls_chachapoly_init(&c, key);
                memcpy(buf, msg, ml);
                dtls_chachapoly_seal(&c, iv, aad, al, buf, ml, mytag);
                cr_assert(cl == ml && memcmp(buf, ct, cl) == 0, "tc %d: ciphertext", tc);
                cr_assert(memcmp(mytag, tag, 16) == 0, "tc %d: tag", tc);
                cr_assert_eq(dtls_chachapoly_open(&c, iv, aad, al, buf, cl, tag), 0, "tc %d: open", tc);
                cr_assert(memcmp(buf, msg, ml) == 0, "tc %d: decryption", tc);
                valid++;
            } else {
                cr_assert_str_eq(result, "invalid", "tc %d", tc);
                cr_assert_eq(tl, 16);
                dtls_chachapoly_init(&c, key);
                memcpy(buf, ct, cl);
                cr_assert_eq(dtls_chachapoly_open(&c, iv, aad, al, buf, cl, tag), -1,
                             "tc %d: invalid case accepted", tc);
                cr_assert(all_zero(buf, cl), "tc %d: output not zeroed on failure", tc);
                rejected++;
            }
            ran++;
            free(key); free(iv); free(aad); free(msg); free(ct); free(tag); free(buf);
        }
    }
    cJSON_Delete(j);
    cr_assert_eq(ran, 325, "expected all 325 Wycheproof ChaCha20-Poly1305 vectors");
    fprintf(stderr, "chacha20_poly1305 wycheproof: %u valid, %u invalid rejected (%u by nonce size)\n",
            valid, rejected, refused);
    vec_report("ChaCha20-Poly1305 Wycheproof", ran, 0);
}

/* ---- NIST GCMVS ------------------------------------------------------- */

struct rsp_rec {
    char key[256], iv[256], pt[2048], aad[2048], ct[2048], tag[256];
    int fail;
};

static void rsp_trim(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        s[--n] = 0;
}

/* Reads the next record; it ends at the line named `last` (or FAIL). Returns 0 at EOF. */
static int rsp_next(FILE *f, struct rsp_rec *r, const char *last)
{
    char line[4200];
    memset(r, 0, sizeof *r);
    while (fgets(line, sizeof line, f)) {
        char *eq, *val, *dst = NULL;
        size_t cap = 0;
        rsp_trim(line);
        if (strcmp(line, "FAIL") == 0) {
            r->fail = 1;
            return 1;
        }
        eq = strstr(line, " = ");
        if (line[0] == '#' || line[0] == '[' || !eq) {
            /* "PT =" with an empty value has no trailing space after trimming. */
            size_t n = strlen(line);
            if (n >= 2 && strcmp(line + n - 2, " =") == 0) {
                line[n - 2] = 0;
                if (strcmp(line, last) == 0)
                    return 1;
            }
            continue;
        }
        *eq = 0;
        val = eq + 3;
        if (strcmp(line, "Key") == 0) dst = r->key, cap = sizeof r->key;
        else if (strcmp(line, "IV") == 0) dst = r->iv, cap = sizeof r->iv;
        else if (strcmp(line, "PT") == 0) dst = r->pt, cap = sizeof r->pt;
        else if (strcmp(line, "AAD") == 0) dst = r->aad, cap = sizeof r->aad;
        else if (strcmp(line, "CT") == 0) dst = r->ct, cap = sizeof r->ct;
        else if (strcmp(line, "Tag") == 0) dst = r->tag, cap = sizeof r->tag;
        if (dst) {
            cr_assert(strlen(val) < cap, "rsp field too long");
            strcpy(dst, val);
        }
        if (strcmp(line, last) == 0)
            return 1;
    }
    return 0;
}

static void nist_encrypt(const char *file, size_t want_key_len)
{
    FILE *f = vec_open(file);
    struct rsp_rec *r = malloc(sizeof *r);
    unsigned ran = 0;
    if (!f) {
        free(r);
        cr_skip_test("%s", vec_missing_msg());
    }
    while (rsp_next(f, r, "Tag")) {
        uint8_t key[32], iv[12], pt[1024], aad[1024], tag[16], mytag[16];
        size_t kl = vec_hex_into(r->key, key, sizeof key);
        size_t ivl = vec_hex_into(r->iv, iv, sizeof iv);
        size_t pl = vec_hex_into(r->pt, pt, sizeof pt);
        size_t al = vec_hex_into(r->aad, aad, sizeof aad);
        dtls_aes_gcm_ctx c;
        cr_assert(kl == want_key_len && ivl == 12);
        cr_assert_eq(vec_hex_into(r->tag, tag, sizeof tag), 16);
        for (int m = 0; m < 2; m++) {
            uint8_t buf[1024];
            memcpy(buf, pt, pl);
            cr_assert_eq(gcm_init[m](&c, key, kl), 0);
            dtls_aes_gcm_seal(&c, iv, aad, al, buf, pl, mytag);
            expect_hex(buf, pl, r->ct, "NIST GCM encrypt CT");
            cr_assert(memcmp(mytag, tag, 16) == 0, "NIST GCM encrypt record %u (%s): tag", ran, gcm_name[m]);
        }
        ran++;
    }
    fclose(f);
    free(r);
    cr_assert_eq(ran, 375, "%s: expected 375 records", file);
    vec_report(file, ran, 0);
}

static void nist_decrypt(const char *file, size_t want_key_len)
{
    FILE *f = vec_open(file);
    struct rsp_rec *r = malloc(sizeof *r);
    unsigned ran = 0, fails = 0;
    if (!f) {
        free(r);
        cr_skip_test("%s", vec_missing_msg());
    }
    while (rsp_next(f, r, "PT")) {
        uint8_t key[32], iv[12], ct[1024], aad[1024], tag[16];
        size_t kl = vec_hex_into(r->key, key, sizeof key);
        size_t ivl = vec_hex_into(r->iv, iv, sizeof iv);
        size_t cl = vec_hex_into(r->ct, ct, sizeof ct);
        size_t al = vec_hex_into(r->aad, aad, sizeof aad);
        dtls_aes_gcm_ctx c;
        int rc;
        cr_assert(kl == want_key_len && ivl == 12);
        cr_assert_eq(vec_hex_into(r->tag, tag, sizeof tag), 16);
        for (int m = 0; m < 2; m++) {
            uint8_t buf[1024];
            memcpy(buf, ct, cl);
            cr_assert_eq(gcm_init[m](&c, key, kl), 0);
            rc = dtls_aes_gcm_open(&c, iv, aad, al, buf, cl, tag);
            if (r->fail) {
                cr_assert_eq(rc, -1, "NIST GCM decrypt record %u (%s): FAIL record accepted", ran, gcm_name[m]);
                cr_assert(all_zero(buf, cl), "record %u: output not zeroed", ran);
            } else {
                cr_assert_eq(rc, 0, "NIST GCM decrypt record %u (%s): rejected", ran, gcm_name[m]);
                expect_hex(buf, cl, r->pt, "NIST GCM decrypt PT");
            }
        }
        fails += r->fail ? 1u : 0u;
        ran++;
    }
    fclose(f);
    free(r);
    cr_assert_eq(ran, 375, "%s: expected 375 records", file);
    fprintf(stderr, "%s: %u FAIL records rejected\n", file, fails);
    vec_report(file, ran, 0);
}

Test(aes_gcm, nist_encrypt_128) { nist_encrypt("nist/gcmEncryptExtIV128_iv96_tag128.rsp", 16); }
Test(aes_gcm, nist_encrypt_256) { nist_encrypt("nist/gcmEncryptExtIV256_iv96_tag128.rsp", 32); }
Test(aes_gcm, nist_decrypt_128) { nist_decrypt("nist/gcmDecrypt128_iv96_tag128.rsp", 16); }
Test(aes_gcm, nist_decrypt_256) { nist_decrypt("nist/gcmDecrypt256_iv96_tag128.rsp", 32); }

/* ---- parameters, in place, failure path --------------------------------- */

Test(aes_gcm, parameter_checks)
{
    for (int m = 0; m < 2; m++) {
        uint8_t key[16] = { 1 }, iv[16] = { 2 }, buf[32], tag[17];
        dtls_aes_gcm_ctx c;
        cr_assert_eq(gcm_init[m](&c, key, 16), 0);
        memset(buf, 0x55, sizeof buf);
        cr_assert_eq(dtls_aes_gcm_seal_iv(&c, iv, 0, NULL, 0, buf, sizeof buf, tag, 16), -1);
        cr_assert_eq(dtls_aes_gcm_seal_iv(&c, iv, 12, NULL, 0, buf, sizeof buf, tag, 0), -1);
        cr_assert_eq(dtls_aes_gcm_seal_iv(&c, iv, 12, NULL, 0, buf, sizeof buf, tag, 17), -1);
        cr_assert_eq(dtls_aes_gcm_open_iv(&c, iv, 0, NULL, 0, buf, sizeof buf, tag, 16), -1);
        cr_assert_eq(dtls_aes_gcm_open_iv(&c, iv, 12, NULL, 0, buf, sizeof buf, tag, 0), -1);
        cr_assert_eq(dtls_aes_gcm_open_iv(&c, iv, 12, NULL, 0, buf, sizeof buf, tag, 17), -1);
        /* Truncated tags: a 4-byte tag is the prefix of the full one. */
        {
            uint8_t full[16], t4[4], b2[32];
            memset(buf, 0x11, sizeof buf);
            memcpy(b2, buf, sizeof b2);
            cr_assert_eq(dtls_aes_gcm_seal_iv(&c, iv, 12, NULL, 0, buf, sizeof buf, full, 16), 0);
            cr_assert_eq(dtls_aes_gcm_seal_iv(&c, iv, 12, NULL, 0, b2, sizeof b2, t4, 4), 0);
            cr_assert(memcmp(full, t4, 4) == 0 && memcmp(buf, b2, sizeof buf) == 0);
            cr_assert_eq(dtls_aes_gcm_open_iv(&c, iv, 12, NULL, 0, b2, sizeof b2, t4, 4), 0);
        }
    }
}

/*
 * The fast path is really taken where the CPU has it (so the tests above
 * exercised it), and never by the portable entry points or for AES-192.
 */
Test(aes_gcm, fast_path_selected)
{
    uint8_t key[32] = { 7 };
    dtls_aes_gcm_ctx c;
    int have = 0;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    have = __builtin_cpu_supports("aes") && __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("ssse3");
#endif
    cr_assert_eq(dtls_aes_gcm_init(&c, key, 16), 0);
    cr_assert_eq(dtls_aes_gcm_accelerated(&c), have, "AES-128-GCM: fast path %s", have ? "expected" : "unexpected");
    cr_assert_eq(dtls_aes_gcm_init(&c, key, 32), 0);
    cr_assert_eq(dtls_aes_gcm_accelerated(&c), have);
    cr_assert_eq(dtls_aes_gcm_init(&c, key, 24), 0);
    cr_assert_eq(dtls_aes_gcm_accelerated(&c), 0, "AES-192 has no fast path");
    cr_assert_eq(dtls_aes_gcm_init_portable(&c, key, 16), 0);
    cr_assert_eq(dtls_aes_gcm_accelerated(&c), 0);
    /* the providers: dtls_crypto_builtin takes the fast path, dtls_crypto_portable never */
    {
        dtls_aead_ctx k;
        dtls_crypto_builtin.aes128gcm->init(&k, key);
        cr_assert_eq(dtls_aes_gcm_accelerated(&k.gcm), have);
        dtls_crypto_builtin.aes256gcm->init(&k, key);
        cr_assert_eq(dtls_aes_gcm_accelerated(&k.gcm), have);
        dtls_crypto_portable.aes128gcm->init(&k, key);
        cr_assert_eq(dtls_aes_gcm_accelerated(&k.gcm), 0);
        dtls_crypto_portable.aes256gcm->init(&k, key);
        cr_assert_eq(dtls_aes_gcm_accelerated(&k.gcm), 0);
    }
    fprintf(stderr, "aes_gcm: the AES-NI + PCLMULQDQ path is %s on this CPU\n", have ? "used (and tested)" : "not available");
}

/* The record layer's shape: header as AAD, data in place, tag written right after it. */
Test(aead, in_place_and_failure_zeroes)
{
    const struct dtls_aead *as[5] = { &dtls_aead_aes128gcm, &dtls_aead_aes256gcm, &dtls_aead_chacha20poly1305,
                                      &dtls_aead_aes128gcm_portable, &dtls_aead_aes256gcm_portable };
    const EVP_CIPHER *ev[5] = { EVP_aes_128_gcm(), EVP_aes_256_gcm(), EVP_chacha20_poly1305(),
                                EVP_aes_128_gcm(), EVP_aes_256_gcm() };
    uint64_t seed = 0xa11ce;
    for (int a = 0; a < 5; a++) {
        uint8_t key[32], nonce[12], hdr[5], pt[1000], rec[1000 + 16], ref[1000], reftag[16];
        dtls_aead_ctx k;
        test_rand_bytes(&seed, key, sizeof key);
        test_rand_bytes(&seed, nonce, sizeof nonce);
        test_rand_bytes(&seed, hdr, sizeof hdr);
        test_rand_bytes(&seed, pt, sizeof pt);
        cr_assert_eq(as[a]->key_len, a % 3 == 0 ? 16u : 32u);
        as[a]->init(&k, key);
        memcpy(rec, pt, sizeof pt);
        as[a]->seal(&k, nonce, hdr, sizeof hdr, rec, sizeof pt, rec + sizeof pt);
        cr_assert(ossl_aead(ev[a], 1, key, nonce, 12, hdr, sizeof hdr, pt, sizeof pt, ref, reftag, 16));
        cr_assert(memcmp(rec, ref, sizeof ref) == 0 && memcmp(rec + sizeof pt, reftag, 16) == 0, "%s",
                  as[a]->name);
        cr_assert_eq(as[a]->open(&k, nonce, hdr, sizeof hdr, rec, sizeof pt, rec + sizeof pt), 0);
        cr_assert(memcmp(rec, pt, sizeof pt) == 0, "%s: in-place round trip", as[a]->name);

        /* Failure: each kind of corruption is rejected and the data zeroed. */
        for (int kind = 0; kind < 4; kind++) {
            uint8_t n2[12], h2[5];
            memcpy(rec, ref, sizeof ref);
            memcpy(rec + sizeof pt, reftag, 16);
            memcpy(n2, nonce, 12);
            memcpy(h2, hdr, 5);
            switch (kind) {
            case 0: rec[sizeof pt + 15] ^= 0x80; break; /* tag */
            case 1: rec[517] ^= 0x01; break;            /* ciphertext */
            case 2: h2[4] ^= 0x04; break;               /* aad */
            default: n2[11] ^= 0x10; break;             /* nonce */
            }
            cr_assert_eq(as[a]->open(&k, n2, h2, sizeof h2, rec, sizeof pt, rec + sizeof pt), -1,
                         "%s: corruption %d accepted", as[a]->name, kind);
            cr_assert(all_zero(rec, sizeof pt), "%s: data not zeroed", as[a]->name);
        }
    }
}

/* ---- differential against OpenSSL ------------------------------------- */

#define DIFF_ITERS 3000

static void differential(int which)
{
    const struct dtls_aead *as[5] = { &dtls_aead_aes128gcm, &dtls_aead_aes256gcm, &dtls_aead_chacha20poly1305,
                                      &dtls_aead_aes128gcm_portable, &dtls_aead_aes256gcm_portable };
    const EVP_CIPHER *ev[5] = { EVP_aes_128_gcm(), EVP_aes_256_gcm(), EVP_chacha20_poly1305(),
                                EVP_aes_128_gcm(), EVP_aes_256_gcm() };
    const struct dtls_aead *a = as[which];
    uint64_t seed = 0xd1ff0000u + (uint64_t)which;
    uint8_t *pt = malloc(4096), *buf = malloc(4096 + 16), *ref = malloc(4096);
    unsigned rejected = 0;

    for (int it = 0; it < DIFF_ITERS; it++) {
        uint8_t key[32], nonce[12], aad[64], tag[16], reftag[16];
        /* Mostly uniform lengths, with the short and block-boundary ones over-represented. */
        size_t len = test_rand_u32(&seed) % 4097;
        size_t aad_len = test_rand_u32(&seed) % 65;
        dtls_aead_ctx k;
        if (it % 4 == 0)
            len = test_rand_u32(&seed) % 130;
        test_rand_bytes(&seed, key, sizeof key);
        test_rand_bytes(&seed, nonce, sizeof nonce);
        test_rand_bytes(&seed, aad, aad_len);
        test_rand_bytes(&seed, pt, len);
        a->init(&k, key);

        /* Seal with us, open with OpenSSL. */
        memcpy(buf, pt, len);
        a->seal(&k, nonce, aad, aad_len, buf, len, tag);
        cr_assert(ossl_aead(ev[which], 0, key, nonce, 12, aad, aad_len, buf, len, ref, tag, 16),
                  "%s it %d: OpenSSL rejects our output (len %zu, aad %zu)", a->name, it, len, aad_len);
        cr_assert(memcmp(ref, pt, len) == 0, "%s it %d: OpenSSL decrypts to something else", a->name, it);

        /* Seal with OpenSSL, open with us. */
        cr_assert(ossl_aead(ev[which], 1, key, nonce, 12, aad, aad_len, pt, len, ref, reftag, 16));
        cr_assert(memcmp(ref, buf, len) == 0 && memcmp(reftag, tag, 16) == 0,
                  "%s it %d: output differs from OpenSSL", a->name, it);
        memcpy(buf, ref, len);
        cr_assert_eq(a->open(&k, nonce, aad, aad_len, buf, len, reftag), 0, "%s it %d: open", a->name, it);
        cr_assert(memcmp(buf, pt, len) == 0, "%s it %d: decryption", a->name, it);

        /* A flipped tag bit is rejected, the data zeroed. */
        memcpy(buf, ref, len);
        {
            uint32_t bit = test_rand_u32(&seed) % 128;
            reftag[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        cr_assert_eq(a->open(&k, nonce, aad, aad_len, buf, len, reftag), -1, "%s it %d: bad tag", a->name, it);
        cr_assert(all_zero(buf, len), "%s it %d: not zeroed", a->name, it);
        rejected++;
    }
    free(pt);
    free(buf);
    free(ref);
    fprintf(stderr, "%s differential vs OpenSSL: %d iterations (seal us/open OpenSSL, seal OpenSSL/open us), "
                    "%u flipped tags rejected\n", a->name, DIFF_ITERS, rejected);
}

Test(aead, differential_aes128gcm_openssl) { differential(0); }
Test(aead, differential_aes256gcm_openssl) { differential(1); }
Test(aead, differential_chacha20poly1305_openssl) { differential(2); }
Test(aead, differential_aes128gcm_portable_openssl) { differential(3); }
Test(aead, differential_aes256gcm_portable_openssl) { differential(4); }

Test(aes_gcm, differential_any_iv_and_tag_length_openssl)
{
    const EVP_CIPHER *ev[3] = { EVP_aes_128_gcm(), EVP_aes_192_gcm(), EVP_aes_256_gcm() };
    uint64_t seed = 0x6c3;
    uint8_t key[32], iv[80], aad[64], pt[300], buf[300], ref[300], tag[16], reftag[16];
    for (int it = 0; it < 3000; it++) {
        int ks = (it / 2) % 3; /* even it: portable, odd: the selected implementation */
        size_t kl = 16 + 8 * (size_t)ks;
        size_t iv_len = 1 + test_rand_u32(&seed) % sizeof iv;
        size_t tag_len = 1 + test_rand_u32(&seed) % 16;
        size_t aad_len = test_rand_u32(&seed) % 65;
        size_t len = test_rand_u32(&seed) % (sizeof pt + 1);
        dtls_aes_gcm_ctx c;
        test_rand_bytes(&seed, key, kl);
        test_rand_bytes(&seed, iv, iv_len);
        test_rand_bytes(&seed, aad, aad_len);
        test_rand_bytes(&seed, pt, len);
        cr_assert_eq(gcm_init[it & 1](&c, key, kl), 0);
        memcpy(buf, pt, len);
        cr_assert_eq(dtls_aes_gcm_seal_iv(&c, iv, iv_len, aad, aad_len, buf, len, tag, tag_len), 0);
        cr_assert(ossl_aead(ev[ks], 1, key, iv, iv_len, aad, aad_len, pt, len, ref, reftag, 16));
        cr_assert(memcmp(buf, ref, len) == 0, "it %d: ciphertext (iv %zu)", it, iv_len);
        cr_assert(memcmp(tag, reftag, tag_len) == 0, "it %d: tag (iv %zu, tag %zu)", it, iv_len, tag_len);
        cr_assert_eq(dtls_aes_gcm_open_iv(&c, iv, iv_len, aad, aad_len, buf, len, reftag, tag_len), 0);
        cr_assert(memcmp(buf, pt, len) == 0);
        memcpy(buf, ref, len);
        reftag[tag_len - 1] ^= 1;
        cr_assert_eq(dtls_aes_gcm_open_iv(&c, iv, iv_len, aad, aad_len, buf, len, reftag, tag_len), -1);
        cr_assert(all_zero(buf, len));
    }
}

Test(aes, differential_blocks_openssl)
{
    const EVP_CIPHER *ev[3] = { EVP_aes_128_ecb(), EVP_aes_192_ecb(), EVP_aes_256_ecb() };
    uint64_t seed = 0xae5;
    uint8_t key[32], in[16 * 11], out[16 * 11], ref[16 * 11];
    for (int it = 0; it < 3000; it++) {
        int ks = it % 3;
        size_t kl = 16 + 8 * (size_t)ks, nb = test_rand_u32(&seed) % 12;
        dtls_aes_key k;
        EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
        int ol;
        test_rand_bytes(&seed, key, kl);
        test_rand_bytes(&seed, in, sizeof in);
        cr_assert_eq(dtls_aes_set_key(&k, key, kl), 0);
        dtls_aes_encrypt_blocks(&k, in, out, nb);
        cr_assert(EVP_EncryptInit_ex(c, ev[ks], NULL, key, NULL));
        EVP_CIPHER_CTX_set_padding(c, 0);
        cr_assert(EVP_EncryptUpdate(c, ref, &ol, in, (int)(16 * nb)));
        EVP_CIPHER_CTX_free(c);
        cr_assert(memcmp(out, ref, 16 * nb) == 0, "it %d: AES-%zu, %zu blocks", it, 8 * kl, nb);
        /* In place gives the same. */
        dtls_aes_encrypt_blocks(&k, in, in, nb);
        cr_assert(memcmp(in, ref, 16 * nb) == 0);
    }
}

Test(chacha20, differential_openssl)
{
    uint64_t seed = 0xc4a;
    uint8_t key[32], nonce[12], iv[16], buf[1100], ref[1100];
    for (int it = 0; it < 2000; it++) {
        size_t len = test_rand_u32(&seed) % sizeof buf;
        uint32_t ctr = test_rand_u32(&seed) >> 8; /* stays far from 2^32: OpenSSL carries past it */
        EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
        int ol;
        test_rand_bytes(&seed, key, sizeof key);
        test_rand_bytes(&seed, nonce, sizeof nonce);
        test_rand_bytes(&seed, buf, len);
        iv[0] = (uint8_t)ctr; iv[1] = (uint8_t)(ctr >> 8); iv[2] = (uint8_t)(ctr >> 16); iv[3] = (uint8_t)(ctr >> 24);
        memcpy(iv + 4, nonce, 12);
        cr_assert(EVP_EncryptInit_ex(c, EVP_chacha20(), NULL, key, iv));
        cr_assert(EVP_EncryptUpdate(c, ref, &ol, buf, (int)len));
        EVP_CIPHER_CTX_free(c);
        dtls_chacha20_xor(key, nonce, ctr, buf, len);
        cr_assert(memcmp(buf, ref, len) == 0, "it %d: len %zu", it, len);
    }
}

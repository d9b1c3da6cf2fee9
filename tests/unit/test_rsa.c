/*
 * RSA verification (src/crypto/rsa.c): Wycheproof PKCS#1 v1.5 and PSS
 * vectors, the RFC 8448 CertificateVerify, differential tests against
 * OpenSSL on keys generated at test time (2048..4096 bits, e = 3, 65537 and
 * a 73-bit e), the modular exponentiation alone against BN_mod_exp on
 * crafted moduli, PSS encodings with one fault each, and the key and
 * signature rejection rules.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <stdlib.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "crypto/rsa.h"
#include "crypto/sha2.h"
#include "vectors.h"

/*
 * A private copy of the implementation with the size floor lowered to 1024
 * bits, under other names. It serves the RFC 8448 trace, whose server key
 * is 1024 bits (the library itself refuses that key, checked below, but the
 * trace is still worth running through the same arithmetic and PSS code),
 * and it makes the exponentiation core, rsa_public, callable from here so
 * that its output can be compared with OpenSSL's directly.
 */
int rsa1024_pkcs1_verify(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                         const struct dtls_hash *h, const uint8_t *hash, const uint8_t *sig, size_t sig_len);
int rsa1024_pss_verify(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                       const struct dtls_hash *h, const uint8_t *hash, size_t salt_len, const uint8_t *sig,
                       size_t sig_len);
size_t rsa1024_modulus_bits(const uint8_t *n, size_t n_len);
int rsa1024_pss_sign(const struct dtls_rsa_private_key *key, const struct dtls_hash *h, const uint8_t *hash,
                     const uint8_t *salt, size_t salt_len, uint8_t *sig, size_t *sig_len);
#define RSA_FLOOR_BITS 1024
#define dtls_rsa_pss_sign rsa1024_pss_sign
#define dtls_rsa_pkcs1_verify rsa1024_pkcs1_verify
#define dtls_rsa_pss_verify rsa1024_pss_verify
#define dtls_rsa_modulus_bits rsa1024_modulus_bits
#include "crypto/rsa.c"
#undef dtls_rsa_pkcs1_verify
#undef dtls_rsa_pss_verify
#undef dtls_rsa_modulus_bits
#undef dtls_rsa_pss_sign
#undef RSA_FLOOR_BITS

/* ---- helpers -------------------------------------------------------------- */

static const struct dtls_hash *hash_by_name(const char *name)
{
    if (strcmp(name, "SHA-256") == 0)
        return &dtls_hash_sha256;
    if (strcmp(name, "SHA-384") == 0)
        return &dtls_hash_sha384;
    if (strcmp(name, "SHA-512") == 0)
        return &dtls_hash_sha512;
    return NULL;
}

static void hash_msg(const struct dtls_hash *h, const uint8_t *msg, size_t len, uint8_t *out)
{
    dtls_hash_ctx c;
    h->init(&c);
    h->update(&c, msg, len);
    h->final(&c, out);
}

/* ---- Wycheproof --------------------------------------------------------- */

/*
 * 'acceptable' in these files: only MissingNull (a DigestInfo without the
 * NULL parameters). We compare against the single DER encoding RFC 8017
 * prescribes for SHA-2 (with NULL), so those are rejected, which both the
 * file and RFC 8017 allow. SmallPublicKey (e = 3) vectors are 'valid' and
 * are accepted: e = 3 is a legitimate exponent for verification.
 */
static void run_pkcs1_file(const char *file, unsigned *ran_out)
{
    cJSON *j = vec_json(file);
    if (!j)
        cr_skip_test("%s", vec_missing_msg());
    unsigned ran = 0, valid = 0, invalid = 0;
    const cJSON *g;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(j, "testGroups"))
    {
        const cJSON *pk = cJSON_GetObjectItem(g, "publicKey");
        const struct dtls_hash *h = hash_by_name(vec_str(g, "sha"));
        cr_assert_not_null(h);
        size_t n_len, e_len;
        uint8_t *n = vec_hex(vec_str(pk, "modulus"), &n_len);
        uint8_t *e = vec_hex(vec_str(pk, "publicExponent"), &e_len);
        const cJSON *t;
        cJSON_ArrayForEach(t, cJSON_GetObjectItem(g, "tests"))
        {
            int id = cJSON_GetObjectItem(t, "tcId")->valueint;
            const char *result = vec_str(t, "result");
            size_t msg_len, sig_len;
            uint8_t *msg = vec_hex(vec_str(t, "msg"), &msg_len);
            uint8_t *sig = vec_hex(vec_str(t, "sig"), &sig_len);
            uint8_t md[64];
            hash_msg(h, msg, msg_len, md);
            int rc = dtls_rsa_pkcs1_verify(n, n_len, e, e_len, h, md, sig, sig_len);
            if (strcmp(result, "valid") == 0) {
                cr_assert_eq(rc, 0, "%s tcId %d: valid signature rejected", file, id);
                valid++;
            } else {
                /* invalid, or acceptable (MissingNull only; see above) */
                if (strcmp(result, "acceptable") == 0)
                    cr_assert(vec_has_flag(t, "MissingNull"), "%s tcId %d: unexpected acceptable", file, id);
                cr_assert_eq(rc, -1, "%s tcId %d (%s): invalid signature accepted", file, id, result);
                invalid++;
            }
            ran++;
            free(msg);
            free(sig);
        }
        free(n);
        free(e);
    }
    cJSON_Delete(j);
    cr_assert(valid > 0 && invalid > 0);
    *ran_out = ran;
}

Test(rsa_wycheproof, pkcs1_2048_sha256)
{
    unsigned ran;
    run_pkcs1_file("wycheproof/rsa_signature_2048_sha256_test.json", &ran);
    vec_report("rsa_signature_2048_sha256 wycheproof", ran, 0);
}

Test(rsa_wycheproof, pkcs1_3072_sha256)
{
    unsigned ran;
    run_pkcs1_file("wycheproof/rsa_signature_3072_sha256_test.json", &ran);
    vec_report("rsa_signature_3072_sha256 wycheproof", ran, 0);
}

Test(rsa_wycheproof, pkcs1_4096_sha256)
{
    unsigned ran;
    run_pkcs1_file("wycheproof/rsa_signature_4096_sha256_test.json", &ran);
    vec_report("rsa_signature_4096_sha256 wycheproof", ran, 0);
}

/* PSS files have only valid and invalid results (no 'acceptable'). */
static void run_pss_file(const char *file)
{
    cJSON *j = vec_json(file);
    if (!j)
        cr_skip_test("%s", vec_missing_msg());
    unsigned ran = 0, valid = 0, invalid = 0;
    const cJSON *g;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(j, "testGroups"))
    {
        const cJSON *pk = cJSON_GetObjectItem(g, "publicKey");
        const struct dtls_hash *h = hash_by_name(vec_str(g, "sha"));
        cr_assert_not_null(h);
        cr_assert_str_eq(vec_str(g, "mgf"), "MGF1");
        cr_assert_str_eq(vec_str(g, "mgfSha"), vec_str(g, "sha"));
        size_t slen = (size_t)cJSON_GetObjectItem(g, "sLen")->valueint;
        size_t n_len, e_len;
        uint8_t *n = vec_hex(vec_str(pk, "modulus"), &n_len);
        uint8_t *e = vec_hex(vec_str(pk, "publicExponent"), &e_len);
        const cJSON *t;
        cJSON_ArrayForEach(t, cJSON_GetObjectItem(g, "tests"))
        {
            int id = cJSON_GetObjectItem(t, "tcId")->valueint;
            const char *result = vec_str(t, "result");
            size_t msg_len, sig_len;
            uint8_t *msg = vec_hex(vec_str(t, "msg"), &msg_len);
            uint8_t *sig = vec_hex(vec_str(t, "sig"), &sig_len);
            uint8_t md[64];
            hash_msg(h, msg, msg_len, md);
            int rc = dtls_rsa_pss_verify(n, n_len, e, e_len, h, md, slen, sig, sig_len);
            if (strcmp(result, "valid") == 0) {
                cr_assert_eq(rc, 0, "%s tcId %d: valid signature rejected", file, id);
                valid++;
                /* The same signature with another salt length must fail. */
                cr_assert_eq(dtls_rsa_pss_verify(n, n_len, e, e_len, h, md, slen + 1, sig, sig_len), -1);
                if (slen > 0)
                    cr_assert_eq(dtls_rsa_pss_verify(n, n_len, e, e_len, h, md, slen - 1, sig, sig_len), -1);
            } else {
                cr_assert_str_eq(result, "invalid", "%s tcId %d", file, id);
                cr_assert_eq(rc, -1, "%s tcId %d: invalid signature accepted", file, id);
                invalid++;
            }
            ran++;
            free(msg);
            free(sig);
        }
        free(n);
        free(e);
    }
    cJSON_Delete(j);
    cr_assert(valid > 0 && invalid > 0);
    vec_report(file, ran, 0);
}

Test(rsa_wycheproof, pss_2048_sha256_mgf1_32)
{
    run_pss_file("wycheproof/rsa_pss_2048_sha256_mgf1_32_test.json");
}

Test(rsa_wycheproof, pss_2048_sha384_mgf1_48)
{
    run_pss_file("wycheproof/rsa_pss_2048_sha384_mgf1_48_test.json");
}

/* ---- RFC 8448 ------------------------------------------------------------- */

/* The hex of the first section-3 field with that name (document order). */
static uint8_t *rfc8448_field(const cJSON *j, const char *field, size_t *len)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(j, "fields"))
    {
        if (strncmp(vec_str(f, "section"), "3.", 2) == 0 && strcmp(vec_str(f, "field"), field) == 0)
            return vec_hex(vec_str(f, "hex"), len);
    }
    cr_assert_fail("RFC 8448 field '%s' not found in section 3", field);
    return NULL;
}

/*
 * Section 3 (simple 1-RTT handshake): the server's CertificateVerify is
 * rsa_pss_rsae_sha256 over 64 spaces || "TLS 1.3, server CertificateVerify"
 * || 0x00 || SHA-256(ClientHello || ServerHello || EncryptedExtensions ||
 * Certificate), signed with the Section 2 key. That key has a 1024-bit
 * modulus, below DTLS_RSA_MIN_BITS, so the library must refuse it; the
 * private 1024-bit-floor copy of rsa.c must verify it, and reject it with
 * any single bit of the signature, the content or the salt length changed.
 */
Test(rsa_rfc8448, certificate_verify)
{
    cJSON *j = vec_json("rfc8448/rfc8448_fields.json");
    if (!j)
        cr_skip_test("%s", vec_missing_msg());
    const cJSON *key = cJSON_GetObjectItem(j, "server_rsa_key");
    size_t n_len, e_len;
    uint8_t *n = vec_hex(vec_str(key, "modulus"), &n_len);
    uint8_t *e = vec_hex(vec_str(key, "public exponent"), &e_len);
    cr_assert_eq(dtls_rsa_modulus_bits(n, n_len), 1024);

    static const char *const msgs[4] = {"ClientHello", "ServerHello", "EncryptedExtensions", "Certificate"};
    dtls_sha256_ctx th;
    dtls_sha256_init(&th);
    for (int i = 0; i < 4; i++) {
        size_t len;
        uint8_t *m = rfc8448_field(j, msgs[i], &len);
        cr_assert(len >= 4 && m[0] == (i == 0 ? 1 : i == 1 ? 2 : i == 2 ? 8 : 11), "%s", msgs[i]);
        dtls_sha256_update(&th, m, len);
        free(m);
    }
    uint8_t content[64 + 33 + 1 + 32];
    memset(content, 0x20, 64);
    memcpy(content + 64, "TLS 1.3, server CertificateVerify", 33);
    content[97] = 0;
    dtls_sha256_final(&th, content + 98);
    uint8_t md[32];
    dtls_sha256(content, sizeof content, md);

    size_t cv_len;
    uint8_t *cv = rfc8448_field(j, "CertificateVerify", &cv_len);
    /* 0f 000084 | 0804 (rsa_pss_rsae_sha256) | 0080 | signature */
    cr_assert_eq(cv_len, 4 + 2 + 2 + 128);
    cr_assert(cv[0] == 0x0f && cv[4] == 0x08 && cv[5] == 0x04 && cv[6] == 0x00 && cv[7] == 0x80);
    uint8_t *sig = cv + 8;

    /* The library: too small a key, whatever the signature. */
    cr_assert_eq(dtls_rsa_pss_verify(n, n_len, e, e_len, &dtls_hash_sha256, md, 32, sig, 128), -1);
    /* The same code with a 1024-bit floor: verifies. */
    cr_assert_eq(rsa1024_pss_verify(n, n_len, e, e_len, &dtls_hash_sha256, md, 32, sig, 128), 0);
    cr_assert_eq(rsa1024_pss_verify(n, n_len, e, e_len, &dtls_hash_sha256, md, 31, sig, 128), -1);
    cr_assert_eq(rsa1024_pss_verify(n, n_len, e, e_len, &dtls_hash_sha256, md, 33, sig, 128), -1);
    cr_assert_eq(rsa1024_pkcs1_verify(n, n_len, e, e_len, &dtls_hash_sha256, md, sig, 128), -1);
    unsigned flips = 0;
    for (size_t bit = 0; bit < 128 * 8; bit++) {
        sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        cr_assert_eq(rsa1024_pss_verify(n, n_len, e, e_len, &dtls_hash_sha256, md, 32, sig, 128), -1,
                     "bit %zu", bit);
        sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        flips++;
    }
    for (size_t bit = 0; bit < 32 * 8; bit++) {
        md[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        cr_assert_eq(rsa1024_pss_verify(n, n_len, e, e_len, &dtls_hash_sha256, md, 32, sig, 128), -1);
        md[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        flips++;
    }
    cr_assert_eq(rsa1024_pss_verify(n, n_len, e, e_len, &dtls_hash_sha256, md, 32, sig, 128), 0);
    vec_report("rfc8448 CertificateVerify (1 signature, bit flips)", 1 + flips, 0);
    free(cv);
    free(n);
    free(e);
    cJSON_Delete(j);
}

/* ---- OpenSSL keys and signatures ---------------------------------------------- */

struct key {
    EVP_PKEY *pkey;
    uint8_t n[520], e[520];
    size_t n_len, e_len;
};

/* exp_hex NULL: 65537. OpenSSL may yield a modulus a bit short of an odd size (with e = 65537
 * it always does): retried a few times. */
static void key_gen(struct key *k, unsigned bits, const char *exp_hex)
{
    for (int attempt = 0;; attempt++) {
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
        cr_assert_not_null(c);
        cr_assert_eq(EVP_PKEY_keygen_init(c), 1);
        cr_assert_eq(EVP_PKEY_CTX_set_rsa_keygen_bits(c, (int)bits), 1);
        if (exp_hex) {
            BIGNUM *bn = NULL;
            cr_assert(BN_hex2bn(&bn, exp_hex) > 0);
            cr_assert_eq(EVP_PKEY_CTX_set1_rsa_keygen_pubexp(c, bn), 1);
            BN_free(bn);
        }
        k->pkey = NULL;
        cr_assert_eq(EVP_PKEY_generate(c, &k->pkey), 1, "RSA-%u key generation", bits);
        EVP_PKEY_CTX_free(c);

        BIGNUM *n = NULL, *e = NULL;
        cr_assert_eq(EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_N, &n), 1);
        cr_assert_eq(EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_E, &e), 1);
        int got = BN_num_bits(n);
        k->n_len = (size_t)BN_bn2bin(n, k->n);
        k->e_len = (size_t)BN_bn2bin(e, k->e);
        BN_free(n);
        BN_free(e);
        if ((unsigned)got == bits)
            return;
        cr_assert(attempt < 5, "RSA-%u: OpenSSL keeps generating %d-bit moduli", bits, got);
        EVP_PKEY_free(k->pkey);
    }
}

static const EVP_MD *evp_md(const struct dtls_hash *h)
{
    return h->digest_len == 32 ? EVP_sha256() : h->digest_len == 48 ? EVP_sha384() : EVP_sha512();
}

/* OpenSSL signs the digest md: PKCS#1 v1.5 when pss is 0, else PSS (MGF1 with the same hash)
 * with salt length salt (or RSA_PSS_SALTLEN_DIGEST / _MAX). Returns the signature length. */
static size_t ossl_sign(const struct key *k, const struct dtls_hash *h, const uint8_t *md, int pss, int salt,
                        uint8_t *sig)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k->pkey, NULL);
    cr_assert_not_null(c);
    cr_assert_eq(EVP_PKEY_sign_init(c), 1);
    cr_assert_eq(EVP_PKEY_CTX_set_rsa_padding(c, pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING), 1);
    cr_assert_eq(EVP_PKEY_CTX_set_signature_md(c, evp_md(h)), 1);
    if (pss) {
        cr_assert_eq(EVP_PKEY_CTX_set_rsa_mgf1_md(c, evp_md(h)), 1);
        cr_assert_eq(EVP_PKEY_CTX_set_rsa_pss_saltlen(c, salt), 1);
    }
    size_t len = 600;
    cr_assert_eq(EVP_PKEY_sign(c, sig, &len, md, h->digest_len), 1);
    EVP_PKEY_CTX_free(c);
    return len;
}

struct diff_counts {
    unsigned sigs, rejects;
};

/*
 * iters random messages (0..4096 bytes) per hash: OpenSSL signs, we verify,
 * and every corruption must be refused.
 */
static void differential(const struct key *k, unsigned iters, uint64_t seed, struct diff_counts *cnt)
{
    static const struct dtls_hash *const pkcs1_hashes[3] = {&dtls_hash_sha256, &dtls_hash_sha384,
                                                            &dtls_hash_sha512};
    static const struct dtls_hash *const pss_hashes[2] = {&dtls_hash_sha256, &dtls_hash_sha384};
    uint64_t rng = seed;
    static uint8_t msg[4096];
    uint8_t md[64], md2[64], sig[600];
    size_t klen = k->n_len;

    for (unsigned it = 0; it < iters; it++) {
        size_t mlen = test_rand_u32(&rng) % 4097;
        test_rand_bytes(&rng, msg, mlen);

        /* PKCS#1 v1.5 */
        const struct dtls_hash *h = pkcs1_hashes[it % 3];
        const struct dtls_hash *other = pkcs1_hashes[(it + 1) % 3];
        hash_msg(h, msg, mlen, md);
        size_t slen = ossl_sign(k, h, md, 0, 0, sig);
        cr_assert_eq(slen, klen);
        cr_assert_eq(dtls_rsa_pkcs1_verify(k->n, k->n_len, k->e, k->e_len, h, md, sig, slen), 0,
                     "PKCS#1 %s %zu-byte key iteration %u", h->name, klen, it);
        cnt->sigs++;
        /* another hash function over the same message */
        hash_msg(other, msg, mlen, md2);
        cr_assert_eq(dtls_rsa_pkcs1_verify(k->n, k->n_len, k->e, k->e_len, other, md2, sig, slen), -1);
        /* the right hash, corrupted */
        size_t bit = test_rand_u32(&rng) % (h->digest_len * 8);
        md[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        cr_assert_eq(dtls_rsa_pkcs1_verify(k->n, k->n_len, k->e, k->e_len, h, md, sig, slen), -1);
        md[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        /* the signature, corrupted */
        bit = test_rand_u32(&rng) % (slen * 8);
        sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        cr_assert_eq(dtls_rsa_pkcs1_verify(k->n, k->n_len, k->e, k->e_len, h, md, sig, slen), -1);
        sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        /* a PKCS#1 signature is not a PSS one */
        cr_assert_eq(dtls_rsa_pss_verify(k->n, k->n_len, k->e, k->e_len, h, md, h->digest_len, sig, slen),
                     -1);
        cnt->rejects += 4;

        /* PSS, salt = hash length (what TLS 1.3 requires) */
        h = pss_hashes[it % 2];
        other = pss_hashes[(it + 1) % 2];
        hash_msg(h, msg, mlen, md);
        slen = ossl_sign(k, h, md, 1, RSA_PSS_SALTLEN_DIGEST, sig);
        cr_assert_eq(slen, klen);
        cr_assert_eq(dtls_rsa_pss_verify(k->n, k->n_len, k->e, k->e_len, h, md, h->digest_len, sig, slen), 0,
                     "PSS %s %zu-byte key iteration %u", h->name, klen, it);
        cnt->sigs++;
        cr_assert_eq(dtls_rsa_pss_verify(k->n, k->n_len, k->e, k->e_len, h, md, h->digest_len - 1, sig, slen),
                     -1);
        cr_assert_eq(dtls_rsa_pss_verify(k->n, k->n_len, k->e, k->e_len, h, md, h->digest_len + 1, sig, slen),
                     -1);
        cr_assert_eq(dtls_rsa_pss_verify(k->n, k->n_len, k->e, k->e_len, h, md, 0, sig, slen), -1);
        hash_msg(other, msg, mlen, md2);
        cr_assert_eq(
            dtls_rsa_pss_verify(k->n, k->n_len, k->e, k->e_len, other, md2, other->digest_len, sig, slen),
            -1);
        cr_assert_eq(
            dtls_rsa_pss_verify(k->n, k->n_len, k->e, k->e_len, other, md2, h->digest_len, sig, slen), -1);
        bit = test_rand_u32(&rng) % (h->digest_len * 8);
        md[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        cr_assert_eq(dtls_rsa_pss_verify(k->n, k->n_len, k->e, k->e_len, h, md, h->digest_len, sig, slen),
                     -1);
        md[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        bit = test_rand_u32(&rng) % (slen * 8);
        sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        cr_assert_eq(dtls_rsa_pss_verify(k->n, k->n_len, k->e, k->e_len, h, md, h->digest_len, sig, slen),
                     -1);
        sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        cr_assert_eq(dtls_rsa_pkcs1_verify(k->n, k->n_len, k->e, k->e_len, h, md, sig, slen), -1);
        cnt->rejects += 8;

        /* Every few iterations: PSS with other salt lengths (0 and the maximum). */
        if (it % 8 == 0) {
            int salt = (it % 16 == 0) ? 0 : RSA_PSS_SALTLEN_MAX;
            size_t em_len = (dtls_rsa_modulus_bits(k->n, klen) - 1 + 7) / 8; /* emBits = modBits - 1 */
            size_t want = salt == 0 ? 0 : em_len - h->digest_len - 2;
            slen = ossl_sign(k, h, md, 1, salt, sig);
            cr_assert_eq(dtls_rsa_pss_verify(k->n, k->n_len, k->e, k->e_len, h, md, want, sig, slen), 0,
                         "PSS salt %zu %zu-byte key", want, klen);
            cr_assert_eq(dtls_rsa_pss_verify(k->n, k->n_len, k->e, k->e_len, h, md, want + 1, sig, slen), -1);
            cnt->sigs++;
            cnt->rejects++;
        }
    }
}

static void run_differential(unsigned bits, const char *exp_hex, unsigned iters, uint64_t seed)
{
    struct key k;
    struct diff_counts cnt = {0, 0};
    key_gen(&k, bits, exp_hex);
    cr_assert_eq(dtls_rsa_modulus_bits(k.n, k.n_len), bits);
    differential(&k, iters, seed, &cnt);
    fprintf(stderr, "rsa differential RSA-%u e=%s: %u signatures verified, %u corruptions rejected\n", bits,
            exp_hex ? exp_hex : "10001", cnt.sigs, cnt.rejects);
    EVP_PKEY_free(k.pkey);
}

Test(rsa_differential, rsa2048, .timeout = 120)
{
    run_differential(2048, NULL, 200, 0x2048);
}

/* e = 3 and modBits = 1 mod 8, so PSS has emLen = k - 1 (leading zero byte). */
Test(rsa_differential, rsa2049_e3, .timeout = 120)
{
    run_differential(2049, "3", 100, 0x2049);
}

/* A size that is a multiple of neither 32 nor 64 bits, and a large exponent. */
Test(rsa_differential, rsa2600_big_e, .timeout = 120)
{
    run_differential(2600, "1000000000000000001F", 30, 0x2600); /* e = 2^72 + 31 */
}

Test(rsa_differential, rsa3072, .timeout = 120)
{
    run_differential(3072, NULL, 80, 0x3072);
}

Test(rsa_differential, rsa4096, .timeout = 120)
{
    run_differential(4096, NULL, 48, 0x4096);
}

/* ---- the arithmetic alone -------------------------------------------------- */

/*
 * sig^e mod n from the private copy's rsa_public (the core both verifiers
 * share), against OpenSSL's BN_mod_exp, on moduli built to reach the rare
 * paths of the long division that enters the Montgomery domain: a top limb
 * of 0x80..0 or all ones, n = 2^b - 1 and 2^(b-1) + 1, and signatures whose
 * top limbs equal n's (the quotient estimate is then one too large and the
 * divisor is added back). Exponents 3, 65537, random odd ones with many 1
 * bits (the domain is re-entered after each middle 1 bit), and, for the
 * smallest sizes (slow), some as long as n. Sizes 1024..4096 bits, including ones that are not multiples
 * of 32 or 64 bits.
 */
static void bn_to_fixed(const BIGNUM *x, uint8_t *out, size_t len)
{
    cr_assert_eq(BN_bn2binpad(x, out, (int)len), (int)len);
}

static void random_below(uint64_t *rng, uint8_t *x, const uint8_t *n, size_t k, size_t same_top)
{
    /* same_top leading bytes copied from n, the rest random, then made < n. */
    test_rand_bytes(rng, x, k);
    memcpy(x, n, same_top);
    if (same_top < k && x[same_top] >= n[same_top])
        x[same_top] = n[same_top] == 0 ? 0 : (uint8_t)(test_rand_u32(rng) % n[same_top]);
    if (same_top >= k || memcmp(x, n, k) >= 0) { /* fully equal top: x = n - 1 - small */
        memcpy(x, n, k);
        x[k - 1] = (uint8_t)(x[k - 1] - 1); /* n odd: no borrow */
    }
}

Test(rsa_arith, modexp_vs_openssl, .timeout = 120)
{
    static const unsigned sizes[] = {1024, 1025, 1056, 1087, 1500, 2048, 2049, 2080,
                                     2111, 2600, 3072, 3073, 3104, 4064, 4095, 4096};
    uint64_t rng = 0x5eed;
    BN_CTX *bctx = BN_CTX_new();
    BIGNUM *bn = BN_new(), *bs = BN_new(), *be = BN_new(), *br = BN_new();
    unsigned ran = 0;
    uint8_t n[512], sig[512], e[512], want[512];
    union block out;

    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        const unsigned bits = sizes[si];
        const size_t k = (bits + 7) / 8;
        const unsigned topbits = bits - 8 * (unsigned)(k - 1); /* bits used in n[0] */
        for (int kind = 0; kind < 6; kind++) {
            test_rand_bytes(&rng, n, k);
            switch (kind) {
            case 0:
                break; /* random */
            case 1:
                memset(n, 0xff, k);
                break; /* 2^bits - 1 */
            case 2:
                memset(n, 0, k);
                n[k - 1] = 1;
                break; /* 2^(bits-1) + 1 */
            case 3:
                memset(n, 0, k / 4);
                break; /* 0x80..0 top, zeros below */
            case 4:
                memset(n, 0xff, k / 4);
                break; /* all-ones top limbs */
            case 5:
                memset(n + 1, 0, 12);
                break; /* 1, then a run of zeros */
            }
            n[0] = (uint8_t)((n[0] & ((1u << (topbits - 1)) - 1)) | (1u << (topbits - 1)));
            if (kind == 1)
                n[0] = (uint8_t)((1u << topbits) - 1);
            n[k - 1] |= 1;
            cr_assert_eq(dtls_rsa_modulus_bits(n, k), bits);
            BN_bin2bn(n, (int)k, bn);

            for (int sk = 0; sk < 9; sk++) {
                switch (sk) {
                case 0:
                    memset(sig, 0, k);
                    break;
                case 1:
                    memset(sig, 0, k);
                    sig[k - 1] = 1;
                    break;
                case 2:
                    memset(sig, 0, k);
                    sig[k - 1] = 2;
                    break;
                case 3:
                    random_below(&rng, sig, n, k, k);
                    break; /* n - 1 */
                case 4:
                    random_below(&rng, sig, n, k, 16);
                    break; /* top two 64-bit limbs of n */
                case 5:
                    random_below(&rng, sig, n, k, 8);
                    break;
                case 6:
                    random_below(&rng, sig, n, k, 4);
                    break;
                default:
                    random_below(&rng, sig, n, k, 0);
                    break;
                }
                BN_bin2bn(sig, (int)k, bs);
                for (int ek = 0; ek < 4; ek++) {
                    size_t e_len;
                    if (ek == 0) {
                        e[0] = 3;
                        e_len = 1;
                    } else if (ek == 1) {
                        e[0] = 1;
                        e[1] = 0;
                        e[2] = 1;
                        e_len = 3;
                    } else if (ek == 2 || sk != 7 || bits > 1100) {
                        e_len = 1 + test_rand_u32(&rng) % 4; /* up to 32 bits, many 1 bits */
                        test_rand_bytes(&rng, e, e_len);
                        e[0] |= 0x80;
                        e[e_len - 1] |= 1;
                    } else {
                        e_len = k; /* as long as n, below it */
                        random_below(&rng, e, n, k, 0);
                        e[k - 1] |= 1;
                        if (memcmp(e, n, k) >= 0)
                            continue;
                    }
                    BN_bin2bn(e, (int)e_len, be);
                    cr_assert_eq(BN_mod_exp(br, bs, be, bn, bctx), 1);
                    bn_to_fixed(br, want, k);
                    size_t got = rsa_public(&out, n, k, e, e_len, sig, k);
                    cr_assert_eq(got, k, "%u bits, kind %d, sig %d, e %d: refused", bits, kind, sk, ek);
                    cr_assert_arr_eq(out.b, want, k, "%u bits, n kind %d, sig kind %d, e kind %d", bits, kind,
                                     sk, ek);
                    ran++;
                }
            }
        }
    }
    BN_free(bn);
    BN_free(bs);
    BN_free(be);
    BN_free(br);
    BN_CTX_free(bctx);
    fprintf(stderr, "rsa arithmetic vs BN_mod_exp: %u exponentiations (%d-bit limbs)\n", ran, LIMB_BITS);
}

/* ---- PSS padding, one check at a time ------------------------------------------- */

/* The private-key operation alone (no padding): sig = em^d mod n; em must be below n. */
static void raw_sign(const struct key *k, const uint8_t *em, uint8_t *sig)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k->pkey, NULL);
    cr_assert_not_null(c);
    cr_assert_eq(EVP_PKEY_decrypt_init(c), 1);
    cr_assert_eq(EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING), 1);
    size_t len = k->n_len;
    cr_assert_eq(EVP_PKEY_decrypt(c, sig, &len, em, k->n_len), 1);
    cr_assert_eq(len, k->n_len);
    EVP_PKEY_CTX_free(c);
}

static void test_mgf1_xor(const EVP_MD *md, const uint8_t *seed, size_t seed_len, uint8_t *out, size_t len)
{
    uint8_t buf[64 + 4], block[64];
    size_t hlen = (size_t)EVP_MD_get_size(md);
    memcpy(buf, seed, seed_len);
    for (uint32_t ctr = 0; len > 0; ctr++) {
        unsigned int bl;
        buf[seed_len] = (uint8_t)(ctr >> 24);
        buf[seed_len + 1] = (uint8_t)(ctr >> 16);
        buf[seed_len + 2] = (uint8_t)(ctr >> 8);
        buf[seed_len + 3] = (uint8_t)ctr;
        cr_assert_eq(EVP_Digest(buf, seed_len + 4, block, &bl, md, NULL), 1);
        size_t take = len < hlen ? len : hlen;
        for (size_t i = 0; i < take; i++)
            out[i] ^= block[i];
        out += take;
        len -= take;
    }
}

/* Faults to inject while encoding (RFC 8017 9.1.1 otherwise). */
enum pss_fault {
    PSS_OK,
    PSS_TRAILER,
    PSS_PS_NONZERO,
    PSS_NO_ONE,
    PSS_SALT_AFTER_H,
    PSS_TOP_BIT,
    PSS_LEAD_BYTE
};

/* EM of k bytes (with a leading zero byte when emLen = k - 1). Returns 1 when done, 0 when the
 * value is not below n (the caller tries another salt), -1 when the fault does not apply here. */
static int pss_encode(const struct key *k, const EVP_MD *md, const uint8_t *mhash, const uint8_t *salt,
                      size_t slen, enum pss_fault fault, uint8_t *out)
{
    size_t hlen = (size_t)EVP_MD_get_size(md);
    size_t mod_bits = dtls_rsa_modulus_bits(k->n, k->n_len);
    size_t em_bits = mod_bits - 1, em_len = (em_bits + 7) / 8, kl = k->n_len;
    uint8_t mprime[8 + 64 + 600], h[64];
    unsigned int hl;
    memset(mprime, 0, 8);
    memcpy(mprime + 8, mhash, hlen);
    memcpy(mprime + 8 + hlen, salt, slen);
    cr_assert_eq(EVP_Digest(mprime, 8 + hlen + slen, h, &hl, md, NULL), 1);

    memset(out, 0, kl);
    uint8_t *em = out + (kl - em_len);
    size_t db_len = em_len - hlen - 1;
    uint8_t *db = em;
    db[db_len - slen - 1] = fault == PSS_NO_ONE ? 0x02 : 0x01;
    if (fault == PSS_PS_NONZERO) {
        if (db_len - slen - 1 == 0)
            return -1; /* no padding string at the maximum salt length */
        db[db_len - slen - 2] = 0x01;
    }
    if (fault == PSS_SALT_AFTER_H && slen == 0)
        return -1;
    memcpy(db + db_len - slen, salt, slen);
    if (fault == PSS_SALT_AFTER_H && slen > 0)
        db[db_len - 1] ^= 0x01;
    test_mgf1_xor(md, h, hlen, db, db_len);
    db[0] &= (uint8_t)(0xff >> (8 * em_len - em_bits));
    memcpy(em + db_len, h, hlen);
    em[em_len - 1] = fault == PSS_TRAILER ? 0xbd : 0xbc;
    if (fault == PSS_TOP_BIT) {
        if (8 * em_len == em_bits)
            return -1;
        em[0] |= 0x80;
    }
    if (fault == PSS_LEAD_BYTE) {
        if (em_len == kl)
            return -1;
        out[0] = 0x01;
    }
    return memcmp(out, k->n, kl) < 0;
}

static void pss_faults(unsigned bits, const char *exp_hex, uint64_t seed, unsigned *ran)
{
    static const enum pss_fault faults[] = {PSS_OK,           PSS_TRAILER, PSS_PS_NONZERO, PSS_NO_ONE,
                                            PSS_SALT_AFTER_H, PSS_TOP_BIT, PSS_LEAD_BYTE};
    const struct dtls_hash *hs[2] = {&dtls_hash_sha256, &dtls_hash_sha384};
    uint64_t rng = seed;
    struct key k;
    key_gen(&k, bits, exp_hex);
    for (int hi = 0; hi < 2; hi++) {
        const struct dtls_hash *h = hs[hi];
        const EVP_MD *md = evp_md(h);
        size_t em_len = (dtls_rsa_modulus_bits(k.n, k.n_len) - 1 + 7) / 8;
        const size_t salts[4] = {0, 1, h->digest_len, em_len - h->digest_len - 2};
        for (size_t fi = 0; fi < sizeof faults / sizeof faults[0]; fi++) {
            for (int si = 0; si < 4; si++) {
                uint8_t mhash[64], salt[600], em[600], sig[600];
                size_t slen = salts[si];
                int tries = 0, ok;
                do {
                    test_rand_bytes(&rng, mhash, h->digest_len);
                    test_rand_bytes(&rng, salt, slen);
                    ok = pss_encode(&k, md, mhash, salt, slen, faults[fi], em);
                } while (ok == 0 && ++tries < 200);
                if (ok < 0)
                    continue;
                cr_assert_eq(ok, 1, "fault %d salt %zu: no encoding below n", (int)faults[fi], slen);
                raw_sign(&k, em, sig);
                int rc = dtls_rsa_pss_verify(k.n, k.n_len, k.e, k.e_len, h, mhash, slen, sig, k.n_len);
                if (faults[fi] == PSS_OK) {
                    cr_assert_eq(rc, 0, "RSA-%u %s salt %zu: valid encoding rejected", bits, h->name, slen);
                    if (slen > 0)
                        cr_assert_eq(
                            dtls_rsa_pss_verify(k.n, k.n_len, k.e, k.e_len, h, mhash, slen - 1, sig, k.n_len),
                            -1);
                } else {
                    cr_assert_eq(rc, -1, "RSA-%u %s salt %zu: fault %d accepted", bits, h->name, slen,
                                 (int)faults[fi]);
                }
                (*ran)++;
            }
        }
    }
    EVP_PKEY_free(k.pkey);
}

/*
 * Encodings made here (RFC 8017 9.1.1) with one fault each, signed with the
 * raw private-key operation: wrong trailer byte, nonzero padding string,
 * 0x02 instead of the 0x01 separator, a salt byte changed after H was
 * computed, the bit above emBits set (2048: emBits = 2047), and, for a
 * 2049-bit key (emLen = k - 1), a nonzero leading byte. Salt lengths 0, 1,
 * hLen and the maximum; SHA-256 and SHA-384.
 */
Test(rsa_pss, padding_faults, .timeout = 120)
{
    unsigned ran = 0;
    pss_faults(2048, NULL, 0xfa017, &ran);
    pss_faults(2049, "3", 0xfa018, &ran); /* OpenSSL makes exact odd sizes only with small e */
    fprintf(stderr, "rsa PSS padding faults: %u signatures checked\n", ran);
}

/* ---- key and signature rejection ------------------------------------------------ */

Test(rsa_reject, weak_1024_bit_key, .timeout = 60)
{
    struct key k;
    uint8_t md[32], sig[600];
    key_gen(&k, 1024, NULL);
    cr_assert_eq(dtls_rsa_modulus_bits(k.n, k.n_len), 1024);
    dtls_sha256("weak", 4, md);
    size_t slen = ossl_sign(&k, &dtls_hash_sha256, md, 0, 0, sig);
    cr_assert_eq(dtls_rsa_pkcs1_verify(k.n, k.n_len, k.e, k.e_len, &dtls_hash_sha256, md, sig, slen), -1);
    /* ...while the arithmetic itself is fine (private copy with the floor at 1024). */
    cr_assert_eq(rsa1024_pkcs1_verify(k.n, k.n_len, k.e, k.e_len, &dtls_hash_sha256, md, sig, slen), 0);
    slen = ossl_sign(&k, &dtls_hash_sha256, md, 1, RSA_PSS_SALTLEN_DIGEST, sig);
    cr_assert_eq(dtls_rsa_pss_verify(k.n, k.n_len, k.e, k.e_len, &dtls_hash_sha256, md, 32, sig, slen), -1);
    cr_assert_eq(rsa1024_pss_verify(k.n, k.n_len, k.e, k.e_len, &dtls_hash_sha256, md, 32, sig, slen), 0);
    EVP_PKEY_free(k.pkey);
}

/* A just-too-large modulus: any odd 4097-bit n is refused before any arithmetic. */
Test(rsa_reject, modulus_size_bounds)
{
    uint8_t n[514], sig[514], md[32] = {0};
    const uint8_t e[3] = {1, 0, 1};
    memset(n, 0xff, sizeof n);
    memset(sig, 0x01, sizeof sig);
    n[0] = 0x01; /* 4097 bits in 513 bytes */
    cr_assert_eq(dtls_rsa_modulus_bits(n, 513), 4097);
    cr_assert_eq(dtls_rsa_pkcs1_verify(n, 513, e, 3, &dtls_hash_sha256, md, sig, 513), -1);
    cr_assert_eq(dtls_rsa_pss_verify(n, 513, e, 3, &dtls_hash_sha256, md, 32, sig, 513), -1);
    /* 2047 bits */
    n[0] = 0x7f;
    cr_assert_eq(dtls_rsa_modulus_bits(n, 256), 2047);
    cr_assert_eq(dtls_rsa_pkcs1_verify(n, 256, e, 3, &dtls_hash_sha256, md, sig, 256), -1);
    cr_assert_eq(dtls_rsa_pss_verify(n, 256, e, 3, &dtls_hash_sha256, md, 32, sig, 256), -1);
    /* dtls_rsa_modulus_bits corner cases */
    cr_assert_eq(dtls_rsa_modulus_bits(n, 0), 0);
    cr_assert_eq(dtls_rsa_modulus_bits(NULL, 0), 0);
    memset(n, 0, sizeof n);
    cr_assert_eq(dtls_rsa_modulus_bits(n, sizeof n), 0);
    n[sizeof n - 1] = 1;
    cr_assert_eq(dtls_rsa_modulus_bits(n, sizeof n), 1);
    n[3] = 0x80;
    cr_assert_eq(dtls_rsa_modulus_bits(n, sizeof n), (sizeof n - 3) * 8);
}

/* A 2048-bit OpenSSL key and a valid signature; then one thing at a time is broken. */
Test(rsa_reject, parameters, .timeout = 60)
{
    struct key k;
    uint8_t md[64], sig[600], buf[600], n2[600], e2[600];
    key_gen(&k, 2048, NULL);
    const size_t kl = k.n_len;
    const struct dtls_hash *h = &dtls_hash_sha256;
    dtls_sha256("parameters", 10, md);
    size_t slen = ossl_sign(&k, h, md, 0, 0, sig);
    cr_assert_eq(slen, kl);
    cr_assert_eq(dtls_rsa_pkcs1_verify(k.n, kl, k.e, k.e_len, h, md, sig, slen), 0);

    /* Leading zeros on n and e are allowed... */
    memset(n2, 0, 5);
    memcpy(n2 + 5, k.n, kl);
    memset(e2, 0, 7);
    memcpy(e2 + 7, k.e, k.e_len);
    cr_assert_eq(dtls_rsa_pkcs1_verify(n2, kl + 5, e2, k.e_len + 7, h, md, sig, slen), 0);
    /* ...but not on the signature: its length must be that of n. */
    memset(buf, 0, 1);
    memcpy(buf + 1, sig, slen);
    cr_assert_eq(dtls_rsa_pkcs1_verify(k.n, kl, k.e, k.e_len, h, md, buf, slen + 1), -1);
    cr_assert_eq(dtls_rsa_pkcs1_verify(k.n, kl, k.e, k.e_len, h, md, sig, slen - 1), -1);
    cr_assert_eq(dtls_rsa_pkcs1_verify(k.n, kl, k.e, k.e_len, h, md, sig + 1, slen - 1), -1);
    cr_assert_eq(dtls_rsa_pkcs1_verify(k.n, kl, k.e, k.e_len, h, md, sig, 0), -1);

    /* Signature values n, n + 1, 2^(8k) - 1 (all >= n), 0 and 1. */
    memcpy(buf, k.n, kl);
    cr_assert_eq(dtls_rsa_pkcs1_verify(k.n, kl, k.e, k.e_len, h, md, buf, kl), -1);
    buf[kl - 1]++;
    cr_assert_eq(dtls_rsa_pkcs1_verify(k.n, kl, k.e, k.e_len, h, md, buf, kl), -1);
    memset(buf, 0xff, kl);
    cr_assert_eq(dtls_rsa_pkcs1_verify(k.n, kl, k.e, k.e_len, h, md, buf, kl), -1);
    memset(buf, 0, kl);
    cr_assert_eq(dtls_rsa_pkcs1_verify(k.n, kl, k.e, k.e_len, h, md, buf, kl), -1);
    cr_assert_eq(dtls_rsa_pss_verify(k.n, kl, k.e, k.e_len, h, md, 32, buf, kl), -1);
    buf[kl - 1] = 1;
    cr_assert_eq(dtls_rsa_pkcs1_verify(k.n, kl, k.e, k.e_len, h, md, buf, kl), -1);
    cr_assert_eq(dtls_rsa_pss_verify(k.n, kl, k.e, k.e_len, h, md, 32, buf, kl), -1);

    /* Exponents: empty, 0, 1, 2, even, e = n, e > n. */
    const uint8_t e0[1] = {0}, e1[1] = {1}, e2b[1] = {2}, e_even[3] = {1, 0, 0};
    cr_assert_eq(dtls_rsa_pkcs1_verify(k.n, kl, e0, 0, h, md, sig, slen), -1);
    cr_assert_eq(dtls_rsa_pkcs1_verify(k.n, kl, e0, 1, h, md, sig, slen), -1);
    cr_assert_eq(dtls_rsa_pkcs1_verify(k.n, kl, e1, 1, h, md, sig, slen), -1);
    cr_assert_eq(dtls_rsa_pkcs1_verify(k.n, kl, e2b, 1, h, md, sig, slen), -1);
    cr_assert_eq(dtls_rsa_pkcs1_verify(k.n, kl, e_even, 3, h, md, sig, slen), -1);
    cr_assert_eq(dtls_rsa_pkcs1_verify(k.n, kl, k.n, kl, h, md, sig, slen), -1);
    memset(e2, 0xff, kl + 1);
    cr_assert_eq(dtls_rsa_pkcs1_verify(k.n, kl, e2, kl, h, md, sig, slen), -1);
    cr_assert_eq(dtls_rsa_pkcs1_verify(k.n, kl, e2, kl + 1, h, md, sig, slen), -1);
    /* e = n - 2: odd, below n, accepted as a key (the signature is then wrong, not the key): */
    memcpy(e2, k.n, kl);
    e2[kl - 1] = (uint8_t)(e2[kl - 1] - 2); /* n is odd and its last byte >= 1; no borrow when >= 2 */
    if (k.n[kl - 1] >= 3)
        cr_assert_eq(dtls_rsa_pkcs1_verify(k.n, kl, e2, kl, h, md, sig, slen), -1);

    /* Even modulus (same size). */
    memcpy(n2, k.n, kl);
    n2[kl - 1] ^= 1;
    cr_assert_eq(dtls_rsa_pkcs1_verify(n2, kl, k.e, k.e_len, h, md, sig, slen), -1);

    /* Hash objects: digest lengths that match no DigestInfo, NULL pointers. */
    struct dtls_hash odd = dtls_hash_sha256;
    odd.digest_len = 20;
    cr_assert_eq(dtls_rsa_pkcs1_verify(k.n, kl, k.e, k.e_len, &odd, md, sig, slen), -1);
    odd.digest_len = 0;
    cr_assert_eq(dtls_rsa_pss_verify(k.n, kl, k.e, k.e_len, &odd, md, 0, sig, slen), -1);
    odd.digest_len = 65;
    cr_assert_eq(dtls_rsa_pss_verify(k.n, kl, k.e, k.e_len, &odd, md, 0, sig, slen), -1);
    cr_assert_eq(dtls_rsa_pkcs1_verify(k.n, kl, k.e, k.e_len, NULL, md, sig, slen), -1);
    cr_assert_eq(dtls_rsa_pkcs1_verify(k.n, kl, k.e, k.e_len, h, NULL, sig, slen), -1);
    cr_assert_eq(dtls_rsa_pkcs1_verify(NULL, 0, k.e, k.e_len, h, md, sig, slen), -1);
    cr_assert_eq(dtls_rsa_pkcs1_verify(k.n, kl, NULL, 0, h, md, sig, slen), -1);
    cr_assert_eq(dtls_rsa_pkcs1_verify(k.n, kl, k.e, k.e_len, h, md, NULL, 0), -1);

    /* PSS: huge salt lengths must not overflow the length checks. */
    slen = ossl_sign(&k, h, md, 1, RSA_PSS_SALTLEN_DIGEST, sig);
    cr_assert_eq(dtls_rsa_pss_verify(k.n, kl, k.e, k.e_len, h, md, 32, sig, slen), 0);
    cr_assert_eq(dtls_rsa_pss_verify(k.n, kl, k.e, k.e_len, h, md, (size_t)-1, sig, slen), -1);
    cr_assert_eq(dtls_rsa_pss_verify(k.n, kl, k.e, k.e_len, h, md, (size_t)-32, sig, slen), -1);
    cr_assert_eq(dtls_rsa_pss_verify(k.n, kl, k.e, k.e_len, h, md, kl, sig, slen), -1);
    cr_assert_eq(dtls_rsa_pss_verify(k.n, kl, k.e, k.e_len, h, md, kl - 33, sig, slen), -1);
    EVP_PKEY_free(k.pkey);
}

/* ---- signing ------------------------------------------------------------------ */

/* The CRT key of an OpenSSL key, as the library takes it (buffers in the struct). */
struct crt_key {
    struct dtls_rsa_private_key k;
    uint8_t n[520], e[520], p[264], q[264], dp[264], dq[264], qinv[264];
};

static size_t bn_param(EVP_PKEY *pkey, const char *name, uint8_t *out)
{
    BIGNUM *bn = NULL;
    cr_assert_eq(EVP_PKEY_get_bn_param(pkey, name, &bn), 1, "%s", name);
    size_t len = (size_t)BN_bn2bin(bn, out);
    BN_free(bn);
    return len;
}

static void crt_from(struct crt_key *c, EVP_PKEY *pkey)
{
    memset(c, 0, sizeof *c);
    c->k.n_len = bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, c->n);
    c->k.e_len = bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, c->e);
    c->k.p_len = bn_param(pkey, OSSL_PKEY_PARAM_RSA_FACTOR1, c->p);
    c->k.q_len = bn_param(pkey, OSSL_PKEY_PARAM_RSA_FACTOR2, c->q);
    c->k.dp_len = bn_param(pkey, OSSL_PKEY_PARAM_RSA_EXPONENT1, c->dp);
    c->k.dq_len = bn_param(pkey, OSSL_PKEY_PARAM_RSA_EXPONENT2, c->dq);
    c->k.qinv_len = bn_param(pkey, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, c->qinv);
    c->k.n = c->n, c->k.e = c->e, c->k.p = c->p, c->k.q = c->q;
    c->k.dp = c->dp, c->k.dq = c->dq, c->k.qinv = c->qinv;
}

/* OpenSSL's verdict on a PSS signature with salt = digest length. */
static int ossl_pss_verify(EVP_PKEY *pkey, const struct dtls_hash *h, const uint8_t *md, const uint8_t *sig,
                           size_t len)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(pkey, NULL);
    cr_assert_not_null(c);
    cr_assert_eq(EVP_PKEY_verify_init(c), 1);
    cr_assert_eq(EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PSS_PADDING), 1);
    cr_assert_eq(EVP_PKEY_CTX_set_signature_md(c, evp_md(h)), 1);
    cr_assert_eq(EVP_PKEY_CTX_set_rsa_mgf1_md(c, evp_md(h)), 1);
    cr_assert_eq(EVP_PKEY_CTX_set_rsa_pss_saltlen(c, RSA_PSS_SALTLEN_DIGEST), 1);
    int rc = EVP_PKEY_verify(c, sig, len, md, h->digest_len);
    EVP_PKEY_CTX_free(c);
    return rc;
}

/*
 * We sign (random digests and salts, SHA-256 and SHA-384), OpenSSL and our verifier
 * accept; the same salt gives the same signature; a key with any CRT part damaged, or
 * with p and q swapped (qInv then belongs to the other order), never yields a signature
 * and leaves the buffer zeroed.
 */
static void sign_checks(unsigned bits, const char *exp_hex, unsigned iters, uint64_t seed)
{
    static const struct dtls_hash *const hashes[2] = {&dtls_hash_sha256, &dtls_hash_sha384};
    struct key k;
    struct crt_key c;
    uint64_t rng = seed;
    uint8_t md[48], salt[48], sig[512], sig2[512];
    key_gen(&k, bits, exp_hex);
    crt_from(&c, k.pkey);
    for (unsigned it = 0; it < iters; it++) {
        const struct dtls_hash *h = hashes[it % 2];
        test_rand_bytes(&rng, md, h->digest_len);
        test_rand_bytes(&rng, salt, h->digest_len);
        size_t len = sizeof sig;
        cr_assert_eq(dtls_rsa_pss_sign(&c.k, h, md, salt, h->digest_len, sig, &len), 0, "RSA-%u sign %u", bits, it);
        cr_assert_eq(len, k.n_len);
        cr_assert_eq(ossl_pss_verify(k.pkey, h, md, sig, len), 1, "OpenSSL refuses our RSA-%u signature %u", bits, it);
        cr_assert_eq(dtls_rsa_pss_verify(k.n, k.n_len, k.e, k.e_len, h, md, h->digest_len, sig, len), 0);
        if (it == 0) {
            size_t len2 = sizeof sig2;
            cr_assert_eq(dtls_rsa_pss_sign(&c.k, h, md, salt, h->digest_len, sig2, &len2), 0);
            cr_assert_eq(memcmp(sig, sig2, len), 0, "the same salt must give the same signature");
            salt[0] ^= 1;
            cr_assert_eq(dtls_rsa_pss_sign(&c.k, h, md, salt, h->digest_len, sig2, &len2), 0);
            cr_assert_neq(memcmp(sig, sig2, len), 0, "another salt must give another signature");
            /* a buffer one byte short */
            len2 = k.n_len - 1;
            cr_assert_eq(dtls_rsa_pss_sign(&c.k, h, md, salt, h->digest_len, sig2, &len2), -1);
        }
    }
    /* damaged keys: one bit of each secret part, then p and q swapped */
    uint8_t *parts[5] = {c.p, c.q, c.dp, c.dq, c.qinv};
    size_t lens[5] = {c.k.p_len, c.k.q_len, c.k.dp_len, c.k.dq_len, c.k.qinv_len};
    for (int i = 0; i < 5; i++) {
        size_t byte = test_rand_u32(&rng) % lens[i], bit = test_rand_u32(&rng) % 8;
        if (i < 2 && byte == lens[i] - 1 && bit == 0)
            bit = 1; /* (keep the primes odd: the arithmetic is what is tested here) */
        parts[i][byte] ^= (uint8_t)(1u << bit);
        size_t len = sizeof sig;
        memset(sig, 0xa5, sizeof sig);
        cr_assert_eq(dtls_rsa_pss_sign(&c.k, &dtls_hash_sha256, md, salt, 32, sig, &len), -1,
                     "RSA-%u: part %d damaged, still signed", bits, i);
        for (size_t j = 0; j < k.n_len; j++)
            cr_assert_eq(sig[j], 0, "a refused signature must not be left in the buffer");
        parts[i][byte] ^= (uint8_t)(1u << bit);
    }
    struct dtls_rsa_private_key swapped = c.k;
    swapped.p = c.k.q, swapped.p_len = c.k.q_len, swapped.q = c.k.p, swapped.q_len = c.k.p_len;
    swapped.dp = c.k.dq, swapped.dp_len = c.k.dq_len, swapped.dq = c.k.dp, swapped.dq_len = c.k.dp_len;
    size_t len = sizeof sig;
    cr_assert_eq(dtls_rsa_pss_sign(&swapped, &dtls_hash_sha256, md, salt, 32, sig, &len), -1);
    /* and the undamaged key still signs */
    len = sizeof sig;
    cr_assert_eq(dtls_rsa_pss_sign(&c.k, &dtls_hash_sha256, md, salt, 32, sig, &len), 0);
    fprintf(stderr, "rsa sign RSA-%u e=%s: %u signatures accepted by OpenSSL, 6 damaged keys refused\n", bits,
            exp_hex ? exp_hex : "10001", iters);
    dtls_wipe(&c, sizeof c);
    EVP_PKEY_free(k.pkey);
}

Test(rsa_sign, rsa2048, .timeout = 120)
{
    sign_checks(2048, NULL, 40, 0x5162048);
}

/* e = 3 and emLen = k - 1 (modBits = 1 mod 8): PSS's leading zero byte */
Test(rsa_sign, rsa2049_e3, .timeout = 120)
{
    sign_checks(2049, "3", 20, 0x5162049);
}

/* primes that are not a whole number of limbs */
Test(rsa_sign, rsa2600_big_e, .timeout = 120)
{
    sign_checks(2600, "1000000000000000001F", 10, 0x5162600);
}

Test(rsa_sign, rsa3072, .timeout = 120)
{
    sign_checks(3072, NULL, 10, 0x5163072);
}

Test(rsa_sign, rsa4096, .timeout = 120)
{
    sign_checks(4096, NULL, 6, 0x5164096);
}

/* Keys the signer refuses before any arithmetic: below 2048 bits, an even prime, no key. */
Test(rsa_sign, refused_keys)
{
    struct key k;
    struct crt_key c;
    uint8_t md[32] = {1}, salt[32] = {2}, sig[512];
    size_t len = sizeof sig;
    key_gen(&k, 2048, NULL);
    crt_from(&c, k.pkey);
    c.p[c.k.p_len - 1] ^= 1;
    cr_assert_eq(dtls_rsa_pss_sign(&c.k, &dtls_hash_sha256, md, salt, 32, sig, &len), -1);
    c.p[c.k.p_len - 1] ^= 1;
    cr_assert_eq(dtls_rsa_pss_sign(NULL, &dtls_hash_sha256, md, salt, 32, sig, &len), -1);
    cr_assert_eq(dtls_rsa_pss_sign(&c.k, &dtls_hash_sha256, md, NULL, 32, sig, &len), -1);
    /* a salt too long for the modulus (emLen >= hLen + sLen + 2 fails) */
    static uint8_t big_salt[256];
    cr_assert_eq(dtls_rsa_pss_sign(&c.k, &dtls_hash_sha256, md, big_salt, 256 - 32 - 1, sig, &len), -1);
    cr_assert_eq(dtls_rsa_pss_sign(&c.k, &dtls_hash_sha256, md, big_salt, 256 - 32 - 2, sig, &len), 0);
    EVP_PKEY_free(k.pkey);
    struct key w;
    key_gen(&w, 1024, NULL);
    crt_from(&c, w.pkey);
    len = sizeof sig;
    cr_assert_eq(dtls_rsa_pss_sign(&c.k, &dtls_hash_sha256, md, salt, 32, sig, &len), -1, "RSA-1024 signed");
    /* the private copy (floor 1024) signs it, and OpenSSL accepts: the size check is the only refusal */
    len = sizeof sig;
    cr_assert_eq(rsa1024_pss_sign(&c.k, &dtls_hash_sha256, md, salt, 32, sig, &len), 0);
    cr_assert_eq(ossl_pss_verify(w.pkey, &dtls_hash_sha256, md, sig, len), 1);
    EVP_PKEY_free(w.pkey);
}

/*
 * X25519 (RFC 7748) and Ed25519 (RFC 8032): RFC vectors, Wycheproof, and
 * differential tests against OpenSSL's libcrypto on random inputs.
 *
 * Wycheproof x25519 "acceptable" cases, decided per flag:
 *  - ZeroSharedSecret (low-order public keys, with or without the other
 *    flags below): must be REJECTED, dtls_x25519 returns -1. A TLS 1.3
 *    client has to abort on an all-zero shared secret (RFC 8446 7.4.2,
 *    RFC 7748 section 6.1), and the vectors' `shared` is all zero anyway.
 *  - every other acceptable flag (Twist, NonCanonicalPublic,
 *    SmallPublicKey, SpecialPublicKey, EdgeCase*, Ktv): the RFC 7748
 *    function is computed as specified (bit 255 masked, u reduced mod p,
 *    twist points processed like any other), so the call must return 0
 *    and the result must equal `shared`.
 *
 * Wycheproof ed25519: every valid vector must verify, every invalid one
 * must be rejected. Signatures whose length is not 64 bytes cannot be
 * passed to dtls_ed25519_verify (the length is the caller's check); they
 * are counted as rejected, and must be marked invalid.
 *
 * The RFC 7748 1,000,000-iteration loop is skipped (too slow for a unit
 * test); the 1 and 1,000 iteration results are checked.
 */
#include <criterion/criterion.h>

#include <openssl/evp.h>

#include <stdlib.h>
#include <string.h>

#include "crypto/curve25519.h"
#include "vectors.h"

/* ---- helpers ------------------------------------------------------------ */

static void hexdump(const char *label, const uint8_t *p, size_t n)
{
    fprintf(stderr, "  %s: ", label);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "%02x", p[i]);
    fprintf(stderr, "\n");
}

static void expect_eq(const uint8_t *got, const uint8_t *want, size_t n, const char *what)
{
    if (memcmp(got, want, n) != 0) {
        fprintf(stderr, "mismatch: %s\n", what);
        hexdump("got ", got, n);
        hexdump("want", want, n);
        cr_assert_fail("%s: mismatch", what);
    }
}

static void hex32(const char *hex, uint8_t out[32])
{
    cr_assert_eq(vec_hex_into(hex, out, 32), 32u);
}

/* ---- OpenSSL reference ---------------------------------------------------- */

/* Returns 0 and the shared secret, or -1 when OpenSSL refuses (e.g. all-zero result). */
static int ossl_x25519(uint8_t out[32], const uint8_t priv[32], const uint8_t pub[32])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, 32);
    EVP_PKEY *p = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub, 32);
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);
    size_t len = 32;
    int ok;
    cr_assert(k && p && c);
    ok = EVP_PKEY_derive_init(c) == 1 && EVP_PKEY_derive_set_peer(c, p) == 1 &&
         EVP_PKEY_derive(c, out, &len) == 1 && len == 32;
    EVP_PKEY_CTX_free(c);
    EVP_PKEY_free(p);
    EVP_PKEY_free(k);
    return ok ? 0 : -1;
}

static void ossl_x25519_pub(uint8_t pub[32], const uint8_t priv[32])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, 32);
    size_t len = 32;
    cr_assert(k);
    cr_assert_eq(EVP_PKEY_get_raw_public_key(k, pub, &len), 1);
    cr_assert_eq(len, 32u);
    EVP_PKEY_free(k);
}

static void ossl_ed25519_pub(uint8_t pub[32], const uint8_t seed[32])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    size_t len = 32;
    cr_assert(k);
    cr_assert_eq(EVP_PKEY_get_raw_public_key(k, pub, &len), 1);
    EVP_PKEY_free(k);
}

static void ossl_ed25519_sign(uint8_t sig[64], const uint8_t seed[32], const uint8_t *msg, size_t len)
{
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    size_t sl = 64;
    cr_assert(k && m);
    cr_assert_eq(EVP_DigestSignInit(m, NULL, NULL, NULL, k), 1);
    cr_assert_eq(EVP_DigestSign(m, sig, &sl, msg, len), 1);
    cr_assert_eq(sl, 64u);
    EVP_MD_CTX_free(m);
    EVP_PKEY_free(k);
}

/* 0 when OpenSSL accepts, -1 otherwise (including keys it cannot load) */
static int ossl_ed25519_verify(const uint8_t pub[32], const uint8_t *msg, size_t len, const uint8_t sig[64])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    int ok;
    cr_assert(m);
    ok =
        k && EVP_DigestVerifyInit(m, NULL, NULL, NULL, k) == 1 && EVP_DigestVerify(m, sig, 64, msg, len) == 1;
    EVP_MD_CTX_free(m);
    EVP_PKEY_free(k);
    return ok ? 0 : -1;
}

/* ---- X25519: RFC 7748 ------------------------------------------------------ */

Test(x25519, rfc7748_section_5_2)
{
    static const struct {
        const char *scalar, *u, *out;
    } v[] = {
        {"a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
         "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
         "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"},
        /* u has bit 255 set: it must be masked */
        {"4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
         "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
         "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t k[32], u[32], want[32], got[32];
        hex32(v[i].scalar, k);
        hex32(v[i].u, u);
        hex32(v[i].out, want);
        cr_assert_eq(dtls_x25519(got, k, u), 0);
        expect_eq(got, want, 32, "RFC 7748 5.2");
    }
    vec_report("x25519 RFC 7748 5.2", 2, 0);
}

Test(x25519, rfc7748_iterated)
{
    uint8_t k[32] = {9}, u[32] = {9}, r[32], want[32];
    for (int i = 1; i <= 1000; i++) {
        cr_assert_eq(dtls_x25519(r, k, u), 0);
        memcpy(u, k, 32);
        memcpy(k, r, 32);
        if (i == 1) {
            hex32("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079", want);
            expect_eq(k, want, 32, "after 1 iteration");
        }
    }
    hex32("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51", want);
    expect_eq(k, want, 32, "after 1,000 iterations");
    vec_report("x25519 RFC 7748 5.2 iterations (1, 1000; 1,000,000 skipped)", 2, 1);
}

Test(x25519, rfc7748_section_6_1)
{
    uint8_t a[32], b[32], pa[32], pb[32], k[32], want[32], got[32];
    hex32("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", a);
    hex32("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", b);
    hex32("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", k);

    dtls_x25519_base(got, a);
    hex32("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", want);
    expect_eq(got, want, 32, "Alice's public key");
    memcpy(pa, got, 32);
    dtls_x25519_base(got, b);
    hex32("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", want);
    expect_eq(got, want, 32, "Bob's public key");
    memcpy(pb, got, 32);

    cr_assert_eq(dtls_x25519(got, a, pb), 0);
    expect_eq(got, k, 32, "K computed by Alice");
    cr_assert_eq(dtls_x25519(got, b, pa), 0);
    expect_eq(got, k, 32, "K computed by Bob");
    vec_report("x25519 RFC 7748 6.1", 5, 0);
}

/* The output may overwrite the peer's point in place. */
Test(x25519, output_aliases_point)
{
    uint8_t k[32], u[32], want[32];
    hex32("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4", k);
    hex32("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c", u);
    hex32("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552", want);
    cr_assert_eq(dtls_x25519(u, k, u), 0);
    expect_eq(u, want, 32, "in-place X25519");
}

/* Low-order points give an all-zero secret: -1, whatever the scalar. */
Test(x25519, zero_result_rejected)
{
    uint8_t k[32], out[32];
    uint8_t u0[32] = {0}, u1[32] = {1};
    uint8_t p_enc[32]; /* p itself, a non-canonical encoding of 0 */
    uint64_t rs = 0x25519;
    memset(p_enc, 0xff, 32);
    p_enc[0] = 0xed;
    p_enc[31] = 0x7f;
    for (int i = 0; i < 16; i++) {
        test_rand_bytes(&rs, k, 32);
        cr_assert_eq(dtls_x25519(out, k, u0), -1);
        cr_assert_eq(dtls_x25519(out, k, u1), -1);
        cr_assert_eq(dtls_x25519(out, k, p_enc), -1);
    }
}

/* ---- X25519: Wycheproof ----------------------------------------------------- */

Test(x25519, wycheproof)
{
    cJSON *j = vec_json("wycheproof/x25519_test.json");
    if (!j)
        cr_skip_test("%s", vec_missing_msg());
    unsigned ran = 0, skipped = 0, rejected = 0;
    const cJSON *g, *t;
    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(j, "testGroups"))
    {
        cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(g, "tests"))
        {
            int id = cJSON_GetObjectItemCaseSensitive(t, "tcId")->valueint;
            const char *result = vec_str(t, "result");
            size_t npub, npriv, nshared;
            uint8_t *pub = vec_hex(vec_str(t, "public"), &npub);
            uint8_t *priv = vec_hex(vec_str(t, "private"), &npriv);
            uint8_t *shared = vec_hex(vec_str(t, "shared"), &nshared);
            uint8_t out[32];

            if (npub != 32 || npriv != 32 || nshared != 32) {
                /* cannot be expressed through the fixed-size API */
                cr_assert_str_neq(result, "valid", "tcId %d: valid vector with odd lengths", id);
                skipped++;
            } else {
                int rc = dtls_x25519(out, priv, pub);
                int must_reject = strcmp(result, "acceptable") == 0 && vec_has_flag(t, "ZeroSharedSecret");
                if (strcmp(result, "invalid") == 0) {
                    cr_assert(rc == -1 || memcmp(out, shared, 32) != 0, "tcId %d: invalid accepted", id);
                } else if (must_reject) {
                    cr_assert_eq(rc, -1, "tcId %d: all-zero shared secret not rejected", id);
                    expect_eq(out, shared, 32, "all-zero vector"); /* out is zero too */
                    rejected++;
                } else {
                    cr_assert_eq(rc, 0, "tcId %d (%s): rejected", id, result);
                    if (memcmp(out, shared, 32) != 0) {
                        hexdump("got ", out, 32);
                        hexdump("want", shared, 32);
                        cr_assert_fail("tcId %d: wrong shared secret", id);
                    }
                }
                ran++;
            }
            free(pub);
            free(priv);
            free(shared);
        }
    }
    cJSON_Delete(j);
    fprintf(stderr, "x25519 wycheproof: %u ZeroSharedSecret cases rejected\n", rejected);
    vec_report("x25519 wycheproof", ran, skipped);
    cr_assert(ran >= 500);
}

/*
 * dtls_x25519_base takes Ed25519's fixed-base comb on 64-bit hosts and the
 * ladder elsewhere; both must give X25519(k, 9) as the ladder computes it,
 * whatever the scalar's bits (clamping makes all-zero and all-ones legal).
 */
Test(x25519, base_matches_ladder)
{
    static const uint8_t nine[32] = { 9 };
    uint64_t rs = 0xba5e9;
    for (int i = 0; i < 1000; i++) {
        uint8_t k[32], a[32], b[32];
        if (i == 0)
            memset(k, 0, 32);
        else if (i == 1)
            memset(k, 0xff, 32);
        else
            test_rand_bytes(&rs, k, 32);
        dtls_x25519_base(a, k);
        cr_assert_eq(dtls_x25519(b, k, nine), 0);
        expect_eq(a, b, 32, "x25519_base vs x25519(k, 9)");
    }
}

/* ---- X25519: differential vs OpenSSL ------------------------------------------ */

Test(x25519, differential_openssl)
{
    enum { N = 2000 };
    uint64_t rs = 0xc0ffee7748;
    for (int i = 0; i < N; i++) {
        uint8_t a[32], b[32], pa[32], pb[32], ref[32], got[32], u[32];
        test_rand_bytes(&rs, a, 32);
        test_rand_bytes(&rs, b, 32);

        /* key generation */
        dtls_x25519_base(pa, a);
        ossl_x25519_pub(ref, a);
        expect_eq(pa, ref, 32, "x25519_base vs OpenSSL");
        ossl_x25519_pub(pb, b);

        /* agreement with a real peer key */
        cr_assert_eq(dtls_x25519(got, a, pb), 0);
        cr_assert_eq(ossl_x25519(ref, a, pb), 0);
        expect_eq(got, ref, 32, "x25519 vs OpenSSL (peer key)");

        /* agreement with an arbitrary 32-byte string: twist points,
         * bit 255 set, values >= p all occur */
        test_rand_bytes(&rs, u, 32);
        if (i % 64 == 0)
            memset(u + 1, 0xff, 31); /* near 2^255 / 2^256: non-canonical */
        int rc = dtls_x25519(got, b, u);
        int rref = ossl_x25519(ref, b, u);
        cr_assert_eq(rc, rref, "iteration %d: return codes differ", i);
        if (rc == 0)
            expect_eq(got, ref, 32, "x25519 vs OpenSSL (random u)");
    }
    fprintf(stderr, "x25519 vs OpenSSL: %d iterations x 3 comparisons (base point, peer key, random u)\n", N);
}

/* ---- Ed25519: RFC 8032 ----------------------------------------------------------- */

static const char rfc8032_msg1024[] =
    "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98fa6e264bf09efe12ee50f8f54e9f77b1"
    "e355f6c50544e23fb1433ddf73be84d879de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d"
    "658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc1a858efcb8550ee3a5e1998bd177e93a"
    "7363c344fe6b199ee5d02e82d522c4feba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e"
    "06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbefefd75499da96bd68a8a97b928a8bbc10"
    "3b6621fcde2beca1231d206be6cd9ec7aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1"
    "85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2d17ba70eb6248e594e1a2297acbbb39d"
    "502f1a8c6eb6f1ce22b3de1a1f40cc24554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270"
    "88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc2732e69485bbc9c90bfbd62481d9089b"
    "eccf80cfe2df16a2cf65bd92dd597b0707e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba"
    "b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51addd3b75a2b1ae0784504df543af8969b"
    "e3ea7082ff7fc9888c144da2af58429ec96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7"
    "51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c42f58c30c04aafdb038dda0847dd988d"
    "cda6f3bfd15c4b4c4525004aa06eeff8ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df"
    "f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08d78ff4ef5d63653a65040cf9bfd4aca7"
    "984a74d37145986780fc0b16ac451649de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4"
    "88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a32ef5b52a1ecc820e308aa342721aac09"
    "43bf6686b64b2579376504ccc493d97e6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f"
    "b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b50d334ba77c225bc307ba537152f3f161"
    "0e4eafe595f6d9d90d11faa933a15ef1369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d"
    "b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c0618983f8741c5ef68d3a101e8a3b8ca"
    "c60c905c15fc910840b94c00a0b9d0";

static const struct {
    const char *name, *seed, *pub, *msg, *sig;
} rfc8032[] = {
    {"TEST 1", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
     "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"TEST 2", "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
     "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"TEST 3", "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
     "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
    {"TEST 1024", "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
     "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e", rfc8032_msg1024,
     "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350"
     "aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03"},
};

Test(ed25519, rfc8032_section_7_1)
{
    unsigned flips = 0;
    for (size_t i = 0; i < sizeof rfc8032 / sizeof rfc8032[0]; i++) {
        uint8_t seed[32], pub[32], want_sig[64], sig[64], got[32];
        size_t mlen;
        uint8_t *msg = vec_hex(rfc8032[i].msg, &mlen);
        hex32(rfc8032[i].seed, seed);
        hex32(rfc8032[i].pub, pub);
        cr_assert_eq(vec_hex_into(rfc8032[i].sig, want_sig, 64), 64u);

        dtls_ed25519_pubkey(got, seed);
        expect_eq(got, pub, 32, rfc8032[i].name);
        dtls_ed25519_sign(sig, seed, pub, msg, mlen);
        expect_eq(sig, want_sig, 64, rfc8032[i].name);
        cr_assert_eq(dtls_ed25519_verify(pub, msg, mlen, sig), 0, "%s: not verified", rfc8032[i].name);

        /* every single-bit change of the signature is rejected */
        for (unsigned bit = 0; bit < 512; bit++) {
            sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            cr_assert_eq(dtls_ed25519_verify(pub, msg, mlen, sig), -1, "%s: sig bit %u", rfc8032[i].name,
                         bit);
            sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            flips++;
        }
        /* and of the public key */
        for (unsigned bit = 0; bit < 256; bit++) {
            pub[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            cr_assert_eq(dtls_ed25519_verify(pub, msg, mlen, sig), -1, "%s: pub bit %u", rfc8032[i].name,
                         bit);
            pub[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            flips++;
        }
        /* and of the message (up to its first 64 bytes) */
        for (size_t bit = 0; bit < 8 * mlen && bit < 512; bit++) {
            msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            cr_assert_eq(dtls_ed25519_verify(pub, msg, mlen, sig), -1, "%s: msg bit %zu", rfc8032[i].name,
                         bit);
            msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            flips++;
        }
        /* a message one byte longer or shorter */
        if (mlen > 0)
            cr_assert_eq(dtls_ed25519_verify(pub, msg, mlen - 1, sig), -1);
        free(msg);
    }
    fprintf(stderr, "ed25519 RFC 8032: %u single-bit changes rejected\n", flips);
    vec_report("ed25519 RFC 8032 7.1 (TEST 1, 2, 3, 1024)", 4, 0);
}

/* pub may be NULL; a wrong pub does not change (or break) the signature. */
Test(ed25519, sign_derives_public_key)
{
    uint8_t seed[32], pub[32], wrong[32], s1[64], s2[64], s3[64];
    const uint8_t msg[] = "abc";
    hex32(rfc8032[0].seed, seed);
    hex32(rfc8032[0].pub, pub);
    memcpy(wrong, pub, 32);
    wrong[0] ^= 1;
    dtls_ed25519_sign(s1, seed, pub, msg, 3);
    dtls_ed25519_sign(s2, seed, NULL, msg, 3);
    dtls_ed25519_sign(s3, seed, wrong, msg, 3);
    expect_eq(s2, s1, 64, "sign with pub = NULL");
    expect_eq(s3, s1, 64, "sign with a wrong pub");
    cr_assert_eq(dtls_ed25519_verify(pub, msg, 3, s1), 0);
}

/* Signing a message held in the signature buffer itself. */
Test(ed25519, sign_message_overlaps_signature)
{
    uint8_t seed[32], pub[32], buf[64], want[64];
    uint64_t rs = 77;
    hex32(rfc8032[1].seed, seed);
    hex32(rfc8032[1].pub, pub);
    test_rand_bytes(&rs, buf, 64);
    dtls_ed25519_sign(want, seed, pub, buf, 64);
    uint8_t copy[64];
    memcpy(copy, buf, 64);
    dtls_ed25519_sign(buf, seed, pub, buf, 64);
    expect_eq(buf, want, 64, "in-place signature");
    cr_assert_eq(dtls_ed25519_verify(pub, copy, 64, buf), 0);
}

/*
 * Encodings RFC 8032 5.1.3 forbids. With A the identity (y = 1, x = 0), the
 * cofactorless equation [S]B = R + [k]A holds for R = [S]B whatever the
 * message, so (R = B, S = 1) verifies under the canonical encoding of the
 * identity; the same point written as y = p + 1 (non-canonical) or with
 * the sign bit set on x = 0 must be rejected. S = L and S = L + 1 are
 * rejected too, while the extreme valid scalars S = 0 and S = L - 1 verify.
 * (No small-order check on A: RFC 8032 has none, and the identity key is
 * accepted as the cofactorless equation says.)
 */
Test(ed25519, encoding_rules)
{
    static const uint8_t msg[] = "message";
    uint8_t sig[64], pub[32];
    uint8_t l_bytes[32];
    hex32("5866666666666666666666666666666666666666666666666666666666666666", sig); /* B */
    memset(sig + 32, 0, 32);
    sig[32] = 1;

    memset(pub, 0, 32);
    pub[0] = 1; /* identity, canonical */
    cr_assert_eq(dtls_ed25519_verify(pub, msg, 7, sig), 0);

    memset(pub, 0xff, 32); /* y = p + 1 = 2^255 - 18 */
    pub[0] = 0xee;
    pub[31] = 0x7f;
    cr_assert_eq(dtls_ed25519_verify(pub, msg, 7, sig), -1, "non-canonical y accepted");

    memset(pub, 0, 32); /* y = 1 with the sign bit: x = 0 cannot be negative */
    pub[0] = 1;
    pub[31] = 0x80;
    cr_assert_eq(dtls_ed25519_verify(pub, msg, 7, sig), -1, "x = 0 with sign bit accepted");

    /* S >= L */
    memset(pub, 0, 32);
    pub[0] = 1;
    hex32("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010", l_bytes);
    memcpy(sig + 32, l_bytes, 32);
    cr_assert_eq(dtls_ed25519_verify(pub, msg, 7, sig), -1, "S = L accepted");
    sig[32]++;
    cr_assert_eq(dtls_ed25519_verify(pub, msg, 7, sig), -1, "S = L + 1 accepted"); /* = 1 mod L */
    memset(sig, 0, 32);
    sig[0] = 1; /* R = identity = [L]B: only the range check rejects S = L here */
    memcpy(sig + 32, l_bytes, 32);
    cr_assert_eq(dtls_ed25519_verify(pub, msg, 7, sig), -1, "S = L with R = identity accepted");

    /* the extreme scalars against the identity key: S = 0 with R = identity,
     * S = L - 1 with R = -B (B's encoding with the sign bit set) */
    memset(sig, 0, 64);
    sig[0] = 1;
    cr_assert_eq(dtls_ed25519_verify(pub, msg, 7, sig), 0, "S = 0");
    hex32("5866666666666666666666666666666666666666666666666666666666666666", sig);
    sig[31] |= 0x80;
    memcpy(sig + 32, l_bytes, 32);
    sig[32]--;
    cr_assert_eq(dtls_ed25519_verify(pub, msg, 7, sig), 0, "S = L - 1");
    sig[31] &= 0x7f;
    cr_assert_eq(dtls_ed25519_verify(pub, msg, 7, sig), -1, "S = L - 1 with R = B");

    /* a y with no x on the curve: y = 2 (u/v = 3/(4d + 1) is not a square) */
    memset(pub, 0, 32);
    pub[0] = 2;
    cr_assert_eq(dtls_ed25519_verify(pub, msg, 7, sig), -1);
}

/* ---- Ed25519: Wycheproof ---------------------------------------------------------- */

Test(ed25519, wycheproof)
{
    cJSON *j = vec_json("wycheproof/ed25519_test.json");
    if (!j)
        cr_skip_test("%s", vec_missing_msg());
    unsigned ran = 0, skipped = 0, valid = 0, invalid = 0;
    const cJSON *g, *t;
    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(j, "testGroups"))
    {
        const cJSON *key = cJSON_GetObjectItemCaseSensitive(g, "publicKey");
        size_t npub;
        uint8_t *pub = vec_hex(vec_str(key, "pk"), &npub);
        cr_assert_eq(npub, 32u);
        cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(g, "tests"))
        {
            int id = cJSON_GetObjectItemCaseSensitive(t, "tcId")->valueint;
            const char *result = vec_str(t, "result");
            size_t nmsg, nsig;
            uint8_t *msg = vec_hex(vec_str(t, "msg"), &nmsg);
            uint8_t *sig = vec_hex(vec_str(t, "sig"), &nsig);
            int rc = -1; /* a signature that is not 64 bytes never reaches verify */
            if (nsig == 64)
                rc = dtls_ed25519_verify(pub, msg, nmsg, sig);
            if (strcmp(result, "valid") == 0) {
                cr_assert_eq(rc, 0, "tcId %d: valid signature rejected", id);
                valid++;
            } else {
                cr_assert_str_eq(result, "invalid", "tcId %d: unexpected result %s", id, result);
                cr_assert_eq(rc, -1, "tcId %d: invalid signature accepted", id);
                invalid++;
            }
            ran++;
            free(msg);
            free(sig);
        }
        free(pub);
    }
    cJSON_Delete(j);
    fprintf(stderr, "ed25519 wycheproof: %u valid accepted, %u invalid rejected\n", valid, invalid);
    vec_report("ed25519 wycheproof", ran, skipped);
    cr_assert(ran >= 150);
}

/* ---- Ed25519: differential vs OpenSSL ------------------------------------------------ */

Test(ed25519, differential_openssl)
{
    enum { N = 300, MAXLEN = 4096 };
    uint64_t rs = 0xed25519;
    uint8_t *msg = malloc(MAXLEN);
    unsigned mutated = 0;
    cr_assert(msg);
    for (int i = 0; i < N; i++) {
        uint8_t seed[32], pub[32], ref_pub[32], sig[64], ref_sig[64];
        size_t len = test_rand_u32(&rs) % (MAXLEN + 1);
        if (i < 4)
            len = (size_t)i; /* make sure the shortest lengths occur */
        test_rand_bytes(&rs, seed, 32);
        test_rand_bytes(&rs, msg, len);

        dtls_ed25519_pubkey(pub, seed);
        ossl_ed25519_pub(ref_pub, seed);
        expect_eq(pub, ref_pub, 32, "public key vs OpenSSL");

        /* ours -> OpenSSL */
        dtls_ed25519_sign(sig, seed, pub, msg, len);
        cr_assert_eq(ossl_ed25519_verify(pub, msg, len, sig), 0,
                     "iteration %d: OpenSSL rejects our signature", i);

        /* OpenSSL -> ours (Ed25519 is deterministic: the signatures are equal) */
        ossl_ed25519_sign(ref_sig, seed, msg, len);
        expect_eq(sig, ref_sig, 64, "signature vs OpenSSL");
        cr_assert_eq(dtls_ed25519_verify(pub, msg, len, ref_sig), 0, "iteration %d: we reject OpenSSL's", i);

        /* a random change to R, S, the key or the message: both must agree (reject) */
        uint32_t what = test_rand_u32(&rs) % 3, bit = test_rand_u32(&rs);
        if (what == 0) {
            ref_sig[(bit / 8) % 64] ^= (uint8_t)(1u << (bit % 8));
        } else if (what == 1) {
            ref_pub[(bit / 8) % 32] ^= (uint8_t)(1u << (bit % 8));
        } else if (len > 0) {
            msg[(bit / 8) % len] ^= (uint8_t)(1u << (bit % 8));
        } else {
            ref_sig[63] ^= 0x40; /* S >= L */
        }
        int ours = dtls_ed25519_verify(ref_pub, msg, len, ref_sig);
        int theirs = ossl_ed25519_verify(ref_pub, msg, len, ref_sig);
        cr_assert_eq(ours, theirs, "iteration %d: verdicts differ on a mutated input", i);
        cr_assert_eq(ours, -1);
        mutated++;
    }
    free(msg);
    fprintf(stderr, "ed25519 vs OpenSSL: %d keys, sign both ways + %u mutated verifications\n", N, mutated);
}
